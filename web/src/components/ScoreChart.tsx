// Horizontal bars for scores 0–100. Each bar carries its name and its number as text, so
// nothing depends on colour; the SVG's title and description give the same in words.

export interface ScoreItem {
  label: string;
  value: number | null;
}

const ROW = 44;
const LABEL_WIDTH = 200;
const BAR_WIDTH = 320;
const WIDTH = LABEL_WIDTH + BAR_WIDTH + 70;

export function ScoreChart({ title, items, testId = 'score-chart' }: { title: string; items: ScoreItem[]; testId?: string }) {
  const height = items.length * ROW + 8;
  const summary = items.map((i) => `${i.label}: ${i.value == null ? 'no score yet' : `${i.value} out of 100`}`).join('; ');
  return (
    <figure className="chart" data-testid={testId}>
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        role="img"
        aria-label={`${title}. ${summary}.`}
        preserveAspectRatio="xMinYMin meet"
      >
        <title>{title}</title>
        {items.map((item, index) => {
          const y = index * ROW + 8;
          const value = item.value ?? 0;
          return (
            <g key={item.label} data-testid="score-bar" data-label={item.label} data-value={item.value ?? ''}>
              <text x={0} y={y + 19} className="chart__label">
                {item.label}
              </text>
              <rect x={LABEL_WIDTH} y={y} width={BAR_WIDTH} height={26} className="chart__track" rx={3} />
              <rect
                x={LABEL_WIDTH}
                y={y}
                width={(Math.max(0, Math.min(100, value)) / 100) * BAR_WIDTH}
                height={26}
                className="chart__bar"
                rx={3}
              />
              <text x={LABEL_WIDTH + BAR_WIDTH + 10} y={y + 19} className="chart__value">
                {item.value == null ? '–' : item.value}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
