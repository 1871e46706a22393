// Labelled form controls whose API field errors appear beside them, and the alert that
// shows a problem's `detail` (plus any field errors no control on the form shows).

import { useId } from 'react';
import type { InputHTMLAttributes, ReactNode, Ref, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react';

import { describeError, isApiError } from '../api/client';

function fieldMessages(error: unknown, name: string): string[] {
  return isApiError(error) ? error.fieldMessages(name) : [];
}

interface FieldFrameProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  messages: string[];
  children: ReactNode;
}

function FieldFrame({ id, label, hint, messages, children }: FieldFrameProps) {
  return (
    <div className={`field${messages.length ? ' field--invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children}
      {messages.length > 0 && (
        <ul className="field-error" id={`${id}-error`} data-testid="field-error">
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function describedBy(id: string, hint: unknown, messages: string[]): string | undefined {
  const ids = [hint ? `${id}-hint` : '', messages.length ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

type CommonProps = { label: ReactNode; name: string; error?: unknown; hint?: ReactNode };

export function TextField({ label, name, error, hint, ...input }: CommonProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const messages = fieldMessages(error, name);
  return (
    <FieldFrame id={id} label={label} hint={hint} messages={messages}>
      <input
        id={id}
        name={name}
        aria-invalid={messages.length > 0 || undefined}
        aria-describedby={describedBy(id, hint, messages)}
        {...input}
      />
    </FieldFrame>
  );
}

export function TextAreaField({
  label,
  name,
  error,
  hint,
  ref,
  ...input
}: CommonProps & TextareaHTMLAttributes<HTMLTextAreaElement> & { ref?: Ref<HTMLTextAreaElement> }) {
  const id = useId();
  const messages = fieldMessages(error, name);
  return (
    <FieldFrame id={id} label={label} hint={hint} messages={messages}>
      <textarea
        ref={ref}
        id={id}
        name={name}
        aria-invalid={messages.length > 0 || undefined}
        aria-describedby={describedBy(id, hint, messages)}
        {...input}
      />
    </FieldFrame>
  );
}

export function SelectField({
  label,
  name,
  error,
  hint,
  children,
  ...select
}: CommonProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  const messages = fieldMessages(error, name);
  return (
    <FieldFrame id={id} label={label} hint={hint} messages={messages}>
      <select
        id={id}
        name={name}
        aria-invalid={messages.length > 0 || undefined}
        aria-describedby={describedBy(id, hint, messages)}
        {...select}
      >
        {children}
      </select>
    </FieldFrame>
  );
}

/**
 * The error of the last action: its detail, the field errors that no control in `fields`
 * shows, and for a server error the request id to quote. Renders nothing without an error.
 */
export function ErrorAlert({ error, fields = [], testId = 'error' }: { error: unknown; fields?: readonly string[]; testId?: string }) {
  if (!error) return null;
  const others = isApiError(error) ? error.otherFieldErrors(fields) : [];
  const reference = isApiError(error) && error.status >= 500 ? error.requestId : null;
  return (
    <div className="alert alert--error" role="alert" data-testid={testId}>
      <p>{describeError(error)}</p>
      {others.length > 0 && (
        <ul>
          {others.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              {e.field && e.field !== 'non_field_errors' ? `${e.field}: ` : ''}
              {e.message}
            </li>
          ))}
        </ul>
      )}
      {reference && <p className="hint">Reference for support: {reference}</p>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}
