// State for one kind of model work on a page (the next question, the feedback): start it,
// follow it live, cancel or retry it. The operation's id is remembered in localStorage under
// `rememberAs`, so that a reload picks up an operation still running.

import { useCallback, useEffect, useRef, useState } from 'react';

import { isAbortError } from '../api/client';
import { cancelOperation, followOperation, getOperation, isFinished, retryOperation } from '../api/operations';
import type { Transport } from '../api/operations';
import type { Operation } from '../api/types';

export interface OperationState<R> {
  operation: Operation<R> | null;
  /** An error from starting, cancelling, retrying or reading the operation. */
  error: unknown;
  transport: Transport | null;
  running: boolean;
  busy: boolean;
  start: (request: () => Promise<Operation<R>>) => Promise<Operation<R> | null>;
  retry: () => Promise<Operation<R> | null>;
  cancel: () => Promise<void>;
  resumeRemembered: () => Promise<void>;
  dismiss: () => void;
}

function remember(key: string | undefined, id: string | null): void {
  if (!key) return;
  try {
    if (id) localStorage.setItem(key, id);
    else localStorage.removeItem(key);
  } catch {
    // no storage: a reload simply will not resume
  }
}

export function useOperation<R>(options: {
  rememberAs?: string;
  onCompleted?: (operation: Operation<R>) => void;
  onFinished?: (operation: Operation<R>) => void;
}): OperationState<R> {
  const [operation, setOperation] = useState<Operation<R> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [transport, setTransport] = useState<Transport | null>(null);
  const [busy, setBusy] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const optionsRef = useRef(options);
  optionsRef.current = options;

  useEffect(() => () => controller.current?.abort(), []);

  const follow = useCallback(async (op: Operation<R>) => {
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    setOperation(op);
    setTransport(null);
    remember(optionsRef.current.rememberAs, isFinished(op) ? null : op.id);
    try {
      const final = await followOperation<R>(
        op,
        (next, via) => {
          if (mine.signal.aborted) return;
          setOperation(next);
          setTransport(via);
        },
        mine.signal,
      );
      if (mine.signal.aborted) return;
      setOperation(final);
      remember(optionsRef.current.rememberAs, null);
      optionsRef.current.onFinished?.(final);
      if (final.status === 'completed') optionsRef.current.onCompleted?.(final);
    } catch (e) {
      if (!isAbortError(e) && !mine.signal.aborted) setError(e);
    }
  }, []);

  const start = useCallback(
    async (request: () => Promise<Operation<R>>) => {
      setBusy(true);
      setError(null);
      try {
        const op = await request();
        void follow(op);
        return op;
      } catch (e) {
        setError(e);
        return null;
      } finally {
        setBusy(false);
      }
    },
    [follow],
  );

  const retry = useCallback(async () => {
    if (!operation) return null;
    const failed = operation.id;
    return start(() => retryOperation<R>(failed));
  }, [operation, start]);

  const cancel = useCallback(async () => {
    if (!operation) return;
    setBusy(true);
    setError(null);
    try {
      const cancelled = await cancelOperation<R>(operation.id);
      controller.current?.abort();
      setOperation(cancelled);
      remember(optionsRef.current.rememberAs, null);
      optionsRef.current.onFinished?.(cancelled);
    } catch (e) {
      setError(e); // 409 OPERATION_ALREADY_FINISHED: following goes on and shows the outcome
    } finally {
      setBusy(false);
    }
  }, [operation]);

  const resumeRemembered = useCallback(async () => {
    const key = optionsRef.current.rememberAs;
    let id: string | null = null;
    try {
      id = key ? localStorage.getItem(key) : null;
    } catch {
      id = null;
    }
    if (!id) return;
    try {
      const op = await getOperation<R>(id);
      if (isFinished(op)) remember(key, null);
      else void follow(op);
    } catch {
      remember(key, null); // gone (deleted with its session): nothing to resume
    }
  }, [follow]);

  const dismiss = useCallback(() => {
    controller.current?.abort();
    setOperation(null);
    setError(null);
  }, []);

  return {
    operation,
    error,
    transport,
    running: operation !== null && !isFinished(operation),
    busy,
    start,
    retry,
    cancel,
    resumeRemembered,
    dismiss,
  };
}
