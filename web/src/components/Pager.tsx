export function Pager({
  page,
  count,
  hasPrevious,
  hasNext,
  onPage,
}: {
  page: number;
  count: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPage: (page: number) => void;
}) {
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="button" disabled={!hasPrevious} onClick={() => onPage(page - 1)}>
        Previous page
      </button>
      <span>
        Page {page} ({count} in all)
      </span>
      <button type="button" className="button" disabled={!hasNext} onClick={() => onPage(page + 1)}>
        Next page
      </button>
    </nav>
  );
}
