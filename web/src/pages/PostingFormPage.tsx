import { useCallback, useEffect, useState } from 'react';

import { postings } from '../api/endpoints';
import type { JobPosting, JobPostingInput } from '../api/types';
import { ErrorAlert, Loading, TextAreaField, TextField } from '../components/forms';
import { useLoad } from '../hooks/useLoad';
import { usePageTitle } from '../hooks/usePageTitle';
import { useSubmit } from '../hooks/useSubmit';
import { Link, navigate } from '../router';
import { useStatus } from '../status';

const FIELDS = ['title', 'company', 'description', 'experience_level', 'tech_stack', 'language'] as const;
const LANGUAGES = ['en', 'en-GB', 'de', 'fr', 'es', 'it', 'nl', 'pl', 'pt-BR', 'pt-PT', 'sv', 'ja', 'zh-CN'];

interface FormState {
  title: string;
  company: string;
  description: string;
  experience_level: string;
  tech_stack: string;
  language: string;
}

const EMPTY: FormState = { title: '', company: '', description: '', experience_level: '', tech_stack: '', language: 'en' };

function toForm(p: JobPosting): FormState {
  return {
    title: p.title,
    company: p.company ?? '',
    description: p.description,
    experience_level: p.experience_level ?? '',
    tech_stack: p.tech_stack.join(', '),
    language: p.language || 'en',
  };
}

/** "Python, Django ,, React" → ["Python", "Django", "React"] */
export function parseTechStack(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

function toInput(f: FormState): JobPostingInput {
  return {
    title: f.title.trim(),
    company: f.company.trim(),
    description: f.description.trim(),
    experience_level: f.experience_level.trim(),
    tech_stack: parseTechStack(f.tech_stack),
    language: f.language.trim() || 'en',
  };
}

export function PostingFormPage({ params }: { params: Record<string, string> }) {
  const id = params.id;
  usePageTitle(id ? 'Edit job posting' : 'New job posting');
  const { announce } = useStatus();
  const existing = useLoad(() => (id ? postings.get(id) : Promise.resolve(null)), [id]);
  const [form, setForm] = useState<FormState>(EMPTY);
  useEffect(() => {
    if (existing.data) setForm(toForm(existing.data));
  }, [existing.data]);

  const set = (key: keyof FormState) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  const { busy, error, onSubmit } = useSubmit(
    useCallback(async () => {
      const saved = id ? await postings.update(id, toInput(form)) : await postings.create(toInput(form));
      announce(id ? `“${saved.title}” saved.` : `Job posting “${saved.title}” created.`, { keep: true });
      navigate('/postings');
    }, [id, form, announce]),
  );

  return (
    <section>
      <h1 tabIndex={-1}>{id ? 'Edit job posting' : 'New job posting'}</h1>
      <ErrorAlert error={existing.error} />
      {id && existing.loading && !existing.data && <Loading what="the job posting" />}
      <form onSubmit={onSubmit} noValidate data-testid="posting-form">
        <ErrorAlert error={error} fields={FIELDS} />
        <TextField label="Job title (required)" name="title" required value={form.title} onChange={set('title')} error={error} data-testid="posting-title" />
        <TextField label="Company" name="company" value={form.company} onChange={set('company')} error={error} data-testid="posting-company" />
        <TextAreaField
          label="Job description (required)"
          name="description"
          rows={8}
          required
          value={form.description}
          onChange={set('description')}
          error={error}
          data-testid="posting-description"
        />
        <TextField
          label="Experience level"
          name="experience_level"
          list="experience-levels"
          hint="For example junior, mid or senior."
          value={form.experience_level}
          onChange={set('experience_level')}
          error={error}
          data-testid="posting-experience"
        />
        <datalist id="experience-levels">
          <option value="junior" />
          <option value="mid" />
          <option value="senior" />
          <option value="lead" />
        </datalist>
        <TextField
          label="Tech stack"
          name="tech_stack"
          hint="Separate the items with commas, for example: Python, Django, PostgreSQL."
          value={form.tech_stack}
          onChange={set('tech_stack')}
          error={error}
          data-testid="posting-tech-stack"
        />
        <TextField
          label="Language of questions and feedback"
          name="language"
          list="languages"
          hint="A language tag such as en, de or pt-BR."
          value={form.language}
          onChange={set('language')}
          error={error}
          data-testid="posting-language"
        />
        <datalist id="languages">
          {LANGUAGES.map((l) => (
            <option key={l} value={l} />
          ))}
        </datalist>
        <div className="actions">
          <button type="submit" className="button button--primary" disabled={busy} data-testid="save-posting">
            {busy ? 'Saving…' : id ? 'Save changes' : 'Create job posting'}
          </button>
          <Link to="/postings" className="button">
            Cancel
          </Link>
        </div>
      </form>
    </section>
  );
}
