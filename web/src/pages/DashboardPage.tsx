import { me } from '../api/endpoints';
import { ErrorAlert, Loading } from '../components/forms';
import { ScoreChart } from '../components/ScoreChart';
import { TrendChart } from '../components/TrendChart';
import { formatScore } from '../format';
import { useLoad } from '../hooks/useLoad';
import { usePageTitle } from '../hooks/usePageTitle';
import { Link } from '../router';

export function DashboardPage() {
  usePageTitle('Your progress');
  const { data, error, loading } = useLoad(() => me.dashboard(), []);

  return (
    <section data-testid="dashboard">
      <h1 tabIndex={-1}>Your progress</h1>
      {loading && !data && <Loading what="your progress" />}
      <ErrorAlert error={error} />
      {data && (
        <>
          <dl className="stats">
            <div>
              <dt>Completed sessions</dt>
              <dd data-testid="stat-completed">{data.completed_sessions}</dd>
            </div>
            <div>
              <dt>Questions answered</dt>
              <dd data-testid="stat-answered">{data.questions_answered}</dd>
            </div>
            <div>
              <dt>Average overall score</dt>
              <dd data-testid="stat-average">{formatScore(data.average_overall_score)}</dd>
            </div>
            <div>
              <dt>Best overall score</dt>
              <dd data-testid="stat-best">{formatScore(data.best_overall_score)}</dd>
            </div>
          </dl>

          <h2>Score trend</h2>
          {data.score_trend.length > 0 ? (
            <TrendChart
              title="Overall score of your last scored sessions, oldest first"
              points={data.score_trend.map((p) => ({ label: p.job_posting_title, date: p.completed_at, value: p.overall_score }))}
            />
          ) : (
            <p>
              No scored sessions yet. Complete a session and ask for feedback: your scores will show here. Start from a{' '}
              <Link to="/postings">job posting</Link>.
            </p>
          )}

          <h2>Average by dimension</h2>
          {data.average_overall_score == null ? (
            <p>No feedback yet.</p>
          ) : (
            <ScoreChart
              title="Average score by dimension, out of 100"
              testId="dimension-chart"
              items={[
                { label: 'Technical accuracy', value: data.dimension_averages.technical_accuracy },
                { label: 'Communication clarity', value: data.dimension_averages.communication_clarity },
                { label: 'Problem solving', value: data.dimension_averages.problem_solving },
                { label: 'Relevance', value: data.dimension_averages.relevance },
              ].map((i) => ({ ...i, value: i.value == null ? null : Math.round(i.value * 10) / 10 }))}
            />
          )}

          <h2>Roles you practise most</h2>
          {data.top_roles.length ? (
            <ol data-testid="top-roles">
              {data.top_roles.map((r) => (
                <li key={r.title}>
                  {r.title}: {r.sessions} completed session{r.sessions === 1 ? '' : 's'}
                </li>
              ))}
            </ol>
          ) : (
            <p>None yet.</p>
          )}
        </>
      )}
    </section>
  );
}
