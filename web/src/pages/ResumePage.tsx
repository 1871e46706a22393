import { useCallback, useEffect, useState } from 'react';

import { isApiError } from '../api/client';
import { resumes } from '../api/endpoints';
import type { Resume } from '../api/types';
import { ConfirmButton } from '../components/ConfirmButton';
import { ErrorAlert, Loading, TextAreaField } from '../components/forms';
import { useLoad } from '../hooks/useLoad';
import { usePageTitle } from '../hooks/usePageTitle';
import { useSubmit } from '../hooks/useSubmit';
import { Link } from '../router';
import { useStatus } from '../status';
import { formatDate } from '../format';

export function ResumePage() {
  usePageTitle('Résumé');
  const { announce } = useStatus();
  // null: the user has none yet (404), so saving creates one.
  const loaded = useLoad<Resume | null>(async () => {
    try {
      return await resumes.get();
    } catch (e) {
      if (isApiError(e) && e.status === 404) return null;
      throw e;
    }
  }, []);
  const resume = loaded.data;
  const [content, setContent] = useState('');
  useEffect(() => setContent(resume?.content ?? ''), [resume]);

  const save = useSubmit(
    useCallback(async () => {
      const saved = resume ? await resumes.update(content) : await resumes.create(content);
      loaded.setData(saved);
      announce(resume ? 'Résumé saved.' : 'Résumé created.');
    }, [resume, content, loaded, announce]),
  );

  const remove = useSubmit(
    useCallback(async () => {
      await resumes.remove();
      loaded.setData(null);
      announce('Résumé deleted.');
    }, [loaded, announce]),
  );

  return (
    <section>
      <h1 tabIndex={-1}>Your résumé</h1>
      <p className="lead">The AI reads it when it writes questions and feedback. Plain text is fine.</p>
      {loaded.loading && resume === undefined && <Loading what="your résumé" />}
      <ErrorAlert error={loaded.error} />
      {resume !== undefined && (
        <>
          <form onSubmit={save.onSubmit} noValidate data-testid="resume-form">
            <ErrorAlert error={save.error} fields={['content']} />
            <TextAreaField
              label="Résumé text"
              name="content"
              rows={14}
              required
              value={content}
              onChange={(e) => setContent(e.target.value)}
              error={save.error}
              hint={resume ? `Last saved ${formatDate(resume.updated_at)}.` : 'You have no résumé yet.'}
              data-testid="resume-content"
            />
            <button type="submit" className="button button--primary" disabled={save.busy} data-testid="save-resume">
              {save.busy ? 'Saving…' : resume ? 'Save résumé' : 'Create résumé'}
            </button>
          </form>
          {resume && (
            <div className="danger-zone">
              <ErrorAlert error={remove.error} />
              <ConfirmButton
                label="Delete résumé"
                question="Delete your résumé? New sessions will run without it."
                confirmLabel="Yes, delete it"
                onConfirm={() => void remove.run()}
                busy={remove.busy}
                testId="delete-resume"
              />
            </div>
          )}
          <p>
            Next: <Link to="/postings">add a job posting</Link> to practise for.
          </p>
        </>
      )}
    </section>
  );
}
