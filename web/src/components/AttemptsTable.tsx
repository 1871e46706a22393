import { SCORE_DIMENSIONS } from '../api/types';
import type { Attempt } from '../api/types';
import { formatDate, formatScore, sessionStatusText } from '../format';
import { Link } from '../router';

/** Every attempt at the same posting side by side: one column per attempt, one row per score. */
export function AttemptsTable({ attempts, currentId }: { attempts: Attempt[]; currentId: string }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="attempts-heading">
      <table className="data-table attempts" data-testid="attempts">
        <caption id="attempts-heading">Your attempts at this interview, oldest first</caption>
        <thead>
          <tr>
            <td />
            {attempts.map((a) => (
              <th key={a.id} scope="col">
                {a.id === currentId ? (
                  <>Attempt {a.attempt_number} (this one)</>
                ) : (
                  <Link to={`/sessions/${a.id}`}>Attempt {a.attempt_number}</Link>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Status</th>
            {attempts.map((a) => (
              <td key={a.id}>{sessionStatusText(a.status)}</td>
            ))}
          </tr>
          <tr>
            <th scope="row">Completed</th>
            {attempts.map((a) => (
              <td key={a.id}>{formatDate(a.completed_at)}</td>
            ))}
          </tr>
          <tr>
            <th scope="row">Overall score</th>
            {attempts.map((a) => (
              <td key={a.id}>
                <strong>{formatScore(a.overall_score)}</strong>
              </td>
            ))}
          </tr>
          {SCORE_DIMENSIONS.map((d) => (
            <tr key={d.key}>
              <th scope="row">{d.label}</th>
              {attempts.map((a) => (
                <td key={a.id}>{formatScore(a[d.key])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
