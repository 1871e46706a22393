import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';

/** A form's submit handler with its busy flag and last error (an ApiError shows per field). */
export function useSubmit(action: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const run = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, [action]);

  const onSubmit = useCallback(
    (event: FormEvent) => {
      event.preventDefault();
      if (!busy) void run();
    },
    [busy, run],
  );

  return { busy, error, setError, run, onSubmit };
}
