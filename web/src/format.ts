export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatScore(score: number | null | undefined): string {
  return score == null ? '–' : String(Math.round(score * 10) / 10);
}

const STATUS_TEXT: Record<string, string> = { active: 'Active', paused: 'Paused', completed: 'Completed' };

export function sessionStatusText(status: string): string {
  return STATUS_TEXT[status] ?? status;
}

export function capitalise(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
