// Where model work shows while it runs: pending → processing with a progress bar and a
// Cancel button; a failure with its message and a Retry button; a cancellation.

import type { Transport } from '../api/operations';
import type { Operation } from '../api/types';
import { ErrorAlert } from './forms';

const TRANSPORT_TEXT: Record<Transport, string> = {
  events: 'live',
  'long-poll': 'waiting for changes',
  poll: 'checking every few seconds',
};

export function OperationPanel({
  operation,
  error,
  transport,
  busy,
  what,
  onCancel,
  onRetry,
  testId,
}: {
  operation: Operation | null;
  error: unknown;
  transport: Transport | null;
  busy: boolean;
  /** "the next question", "your feedback" */
  what: string;
  onCancel: () => void;
  onRetry: () => void;
  testId: string;
}) {
  if (!operation) return <ErrorAlert error={error} testId={`${testId}-error`} />;
  const { status } = operation;
  return (
    <div className={`operation operation--${status}`} data-testid={testId} data-status={status}>
      {(status === 'pending' || status === 'processing') && (
        <>
          <p role="status">
            {status === 'pending' ? `Queued: ${what} will be written shortly…` : `The AI is writing ${what}…`}
            {transport && <span className="hint"> ({TRANSPORT_TEXT[transport]})</span>}
          </p>
          <progress aria-label={`Progress of ${what}`} />
          <button type="button" className="button" onClick={onCancel} disabled={busy} data-testid={`${testId}-cancel`}>
            Cancel
          </button>
        </>
      )}
      {status === 'failed' && (
        <div className="alert alert--error" role="alert">
          <p data-testid={`${testId}-failure`}>{operation.error_message || `Writing ${what} failed.`}</p>
          {operation.error_code && <p className="hint">Code: {operation.error_code}</p>}
          <button type="button" className="button" onClick={onRetry} disabled={busy} data-testid={`${testId}-retry`}>
            Retry
          </button>
        </div>
      )}
      {status === 'cancelled' && <p role="status">Cancelled: {what} will not be written.</p>}
      <ErrorAlert error={error} testId={`${testId}-error`} />
    </div>
  );
}
