// A line chart of overall scores over time, every point labelled with its value, and the
// same numbers in a table below it (the chart's text alternative).

import { formatDate } from '../format';

export interface TrendPoint {
  label: string;
  date: string;
  value: number;
}

const WIDTH = 640;
const HEIGHT = 260;
const PAD = { left: 44, right: 20, top: 24, bottom: 36 };

export function TrendChart({ title, points }: { title: string; points: TrendPoint[] }) {
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length === 1 ? innerW / 2 : (i / (points.length - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (Math.max(0, Math.min(100, v)) / 100) * innerH;
  const summary = `${points.length} scored session${points.length === 1 ? '' : 's'}, oldest first: ${points
    .map((p) => p.value)
    .join(', ')}.`;

  return (
    <figure className="chart" data-testid="trend-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={`${title}: ${summary}`}>
        <title>{title}</title>
        {[0, 25, 50, 75, 100].map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} className="chart__grid" />
            <text x={PAD.left - 8} y={y(tick) + 4} textAnchor="end" className="chart__axis">
              {tick}
            </text>
          </g>
        ))}
        <polyline points={points.map((p, i) => `${x(i)},${y(p.value)}`).join(' ')} className="chart__line" />
        {points.map((p, i) => (
          <g key={`${i}-${p.date}`} data-testid="trend-point" data-value={p.value}>
            <circle cx={x(i)} cy={y(p.value)} r={5} className="chart__point" />
            <text x={x(i)} y={y(p.value) - 10} textAnchor="middle" className="chart__value">
              {p.value}
            </text>
            <text x={x(i)} y={HEIGHT - 12} textAnchor="middle" className="chart__axis">
              {i + 1}
            </text>
          </g>
        ))}
      </svg>
      <table className="data-table">
        <caption>{title}: the data</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Role</th>
            <th scope="col">Completed</th>
            <th scope="col">Overall score</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p, i) => (
            <tr key={`${i}-${p.date}`}>
              <td>{i + 1}</td>
              <td>{p.label}</td>
              <td>{formatDate(p.date)}</td>
              <td>{p.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
