import { useCallback, useState } from 'react';

import { postings, sessions } from '../api/endpoints';
import type { JobPosting } from '../api/types';
import { ConfirmButton } from '../components/ConfirmButton';
import { ErrorAlert, Loading } from '../components/forms';
import { Pager } from '../components/Pager';
import { useLoad } from '../hooks/useLoad';
import { usePageTitle } from '../hooks/usePageTitle';
import { Link, navigate } from '../router';
import { useStatus } from '../status';

export function PostingsPage() {
  usePageTitle('Job postings');
  const { announce } = useStatus();
  const [page, setPage] = useState(1);
  const list = useLoad(() => postings.list(page), [page]);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busyId, setBusyId] = useState<string | null>(null);

  const start = useCallback(
    async (posting: JobPosting) => {
      setBusyId(posting.id);
      setActionError(null);
      try {
        const session = await sessions.start(posting.id);
        announce(`Practice session started for ${posting.title}.`, { keep: true });
        navigate(`/sessions/${session.id}`);
      } catch (e) {
        setActionError(e);
      } finally {
        setBusyId(null);
      }
    },
    [announce],
  );

  const remove = useCallback(
    async (posting: JobPosting) => {
      setBusyId(posting.id);
      setActionError(null);
      try {
        await postings.remove(posting.id);
        announce(`Job posting “${posting.title}” deleted.`);
        await list.reload();
      } catch (e) {
        setActionError(e);
      } finally {
        setBusyId(null);
      }
    },
    [announce, list],
  );

  return (
    <section>
      <h1 tabIndex={-1}>Job postings</h1>
      <p>
        <Link to="/postings/new" className="button button--primary" data-testid="new-posting">
          New job posting
        </Link>
      </p>
      <ErrorAlert error={list.error} />
      <ErrorAlert error={actionError} />
      {list.loading && !list.data && <Loading what="job postings" />}
      {list.data && list.data.count === 0 && <p>No job postings yet. Add the job you want to practise for.</p>}
      {list.data && list.data.results.length > 0 && (
        <ul className="cards" data-testid="posting-list">
          {list.data.results.map((posting) => (
            <li key={posting.id} className="card" data-testid="posting-item">
              <h2>{posting.title}</h2>
              <p className="meta">
                {[posting.company, posting.experience_level, `language: ${posting.language || 'en'}`].filter(Boolean).join(' · ')}
              </p>
              {posting.tech_stack.length > 0 && (
                <ul className="tags" aria-label="Tech stack">
                  {posting.tech_stack.map((t) => (
                    <li key={t}>{t}</li>
                  ))}
                </ul>
              )}
              <div className="actions">
                <button
                  type="button"
                  className="button button--primary"
                  disabled={busyId === posting.id}
                  onClick={() => void start(posting)}
                  data-testid="start-session"
                  aria-label={`Start practice for ${posting.title}`}
                >
                  Start practice
                </button>
                <Link to={`/postings/${posting.id}/edit`} className="button" aria-label={`Edit ${posting.title}`} data-testid="edit-posting">
                  Edit
                </Link>
                <ConfirmButton
                  label="Delete"
                  question={`Delete “${posting.title}”?`}
                  confirmLabel="Yes, delete"
                  onConfirm={() => void remove(posting)}
                  busy={busyId === posting.id}
                  testId="delete-posting"
                />
              </div>
            </li>
          ))}
        </ul>
      )}
      {list.data && <Pager page={page} hasPrevious={Boolean(list.data.previous)} hasNext={Boolean(list.data.next)} count={list.data.count} onPage={setPage} />}
    </section>
  );
}
