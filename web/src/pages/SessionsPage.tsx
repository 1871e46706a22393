import { sessions } from '../api/endpoints';
import type { SessionFilters, SessionStatus } from '../api/types';
import { ErrorAlert, Loading, SelectField } from '../components/forms';
import { Pager } from '../components/Pager';
import { formatDate, formatScore, sessionStatusText } from '../format';
import { useLoad } from '../hooks/useLoad';
import { usePageTitle } from '../hooks/usePageTitle';
import { Link, navigate, useLocation } from '../router';

/** The filters live in the address (?status=completed&has_feedback=true&page=2): Back works, links can be shared. */
function readFilters(search: URLSearchParams): Required<Pick<SessionFilters, 'status' | 'has_feedback' | 'page'>> {
  const status = search.get('status') ?? '';
  const feedback = search.get('has_feedback') ?? '';
  return {
    status: (['active', 'paused', 'completed'].includes(status) ? status : '') as SessionStatus | '',
    has_feedback: (['true', 'false'].includes(feedback) ? feedback : '') as 'true' | 'false' | '',
    page: Math.max(1, Number(search.get('page')) || 1),
  };
}

function filterUrl(filters: SessionFilters): string {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  if (filters.has_feedback) params.set('has_feedback', filters.has_feedback);
  if (filters.page && filters.page > 1) params.set('page', String(filters.page));
  const qs = params.toString();
  return `/sessions${qs ? `?${qs}` : ''}`;
}

export function SessionsPage() {
  usePageTitle('Practice sessions');
  const { search } = useLocation();
  const filters = readFilters(search);
  const list = useLoad(() => sessions.list(filters), [filters.status, filters.has_feedback, filters.page]);
  const change = (next: SessionFilters) => navigate(filterUrl({ ...filters, ...next }), { replace: true });

  return (
    <section>
      <h1 tabIndex={-1}>Practice sessions</h1>
      <p>
        To start a new session, pick a <Link to="/postings">job posting</Link>.
      </p>
      <form className="filters" aria-label="Filter sessions" onSubmit={(e) => e.preventDefault()}>
        <SelectField label="Status" name="status" value={filters.status} onChange={(e) => change({ status: e.target.value as SessionStatus | '', page: 1 })} data-testid="filter-status">
          <option value="">Any</option>
          <option value="active">Active</option>
          <option value="paused">Paused</option>
          <option value="completed">Completed</option>
        </SelectField>
        <SelectField
          label="Feedback"
          name="has_feedback"
          value={filters.has_feedback}
          onChange={(e) => change({ has_feedback: e.target.value as 'true' | 'false' | '', page: 1 })}
          data-testid="filter-feedback"
        >
          <option value="">Any</option>
          <option value="true">With feedback</option>
          <option value="false">Without feedback</option>
        </SelectField>
      </form>
      <ErrorAlert error={list.error} />
      {list.loading && !list.data && <Loading what="sessions" />}
      {list.data && list.data.count === 0 && <p>No sessions match.</p>}
      {list.data && list.data.results.length > 0 && (
        <table className="data-table" data-testid="session-list">
          <caption className="visually-hidden">Your practice sessions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Attempt</th>
              <th scope="col">Status</th>
              <th scope="col">Questions</th>
              <th scope="col">Overall score</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {list.data.results.map((s) => (
              <tr key={s.id} data-testid="session-item">
                <th scope="row">
                  <Link to={`/sessions/${s.id}`}>
                    {s.job_posting.title}
                    {s.job_posting.company ? ` at ${s.job_posting.company}` : ''}
                  </Link>
                </th>
                <td>{s.attempt_number ?? 1}</td>
                <td>{sessionStatusText(s.status)}</td>
                <td>{s.current_question_number}</td>
                <td>{formatScore(s.overall_score)}</td>
                <td>{formatDate(s.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data && (
        <Pager
          page={filters.page}
          count={list.data.count}
          hasPrevious={Boolean(list.data.previous)}
          hasNext={Boolean(list.data.next)}
          onPage={(page) => change({ page })}
        />
      )}
    </section>
  );
}
