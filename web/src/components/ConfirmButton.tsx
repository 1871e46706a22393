import { useEffect, useRef, useState } from 'react';

/**
 * A destructive action asked twice, in the page (no window.confirm): the first press shows
 * the question with "Yes" and "No" buttons, and moves focus to "No".
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  busy = false,
  testId,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
  testId: string;
}) {
  const [asking, setAsking] = useState(false);
  const noRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) noRef.current?.focus();
    else if (wasAsking.current) openRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  if (!asking) {
    return (
      <button type="button" className="button button--danger" ref={openRef} onClick={() => setAsking(true)} data-testid={testId}>
        {label}
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label={question}>
      <p>{question}</p>
      <button type="button" className="button button--danger" disabled={busy} onClick={onConfirm} data-testid={`${testId}-confirm`}>
        {confirmLabel}
      </button>
      <button type="button" className="button" ref={noRef} onClick={() => setAsking(false)}>
        No, keep it
      </button>
    </div>
  );
}
