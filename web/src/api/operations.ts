// Following an Operation (the 202 answer of every endpoint that starts model work) until it
// is finished, the way a browser can:
//
//   1. server-sent events: POST /operations/{id}/stream-ticket, then
//      new EventSource(`${base}/operations/{id}/events?ticket=…`), `event: operation`;
//   2. if the ticket endpoint is missing (404/405) or the stream breaks before the
//      operation is finished: long-poll GET /operations/{id}?wait=25;
//   3. if that fails: plain polling GET /operations/{id}, waiting `Retry-After` seconds
//      (default 2) between requests.
//
// Plus retry (a new operation for failed work) and cancel.

import { ApiClient, api, isAbortError, isApiError, parseRetryAfter } from './client';
import type { Operation, OperationStatus, StreamTicket } from './types';

export const FINISHED_STATUSES: ReadonlySet<OperationStatus> = new Set(['completed', 'failed', 'cancelled']);

export function isFinished(operation: Pick<Operation, 'status'>): boolean {
  return FINISHED_STATUSES.has(operation.status);
}

/** How an update arrived; shown in the UI as a hint, and checked by the tests. */
export type Transport = 'events' | 'long-poll' | 'poll';

/** The part of the browser's EventSource that is used here (a fake in tests). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
  onerror: ((event: Event) => void) | null;
}

export type EventSourceFactory = new (url: string) => EventSourceLike;

export interface FollowOptions {
  client?: ApiClient;
  /** The EventSource constructor; `null` skips straight to long-polling. Default: the browser's. */
  EventSource?: EventSourceFactory | null;
  /** Abortable sleep; tests pass one that records the delays and returns at once. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Seconds the server may hold a long-poll (the contract allows up to 30). */
  waitSeconds?: number;
  /** Give up on a stream that sends nothing this long (a buffering proxy) and fall back. */
  firstEventTimeoutMs?: number;
  /** Consecutive failed polls (network, 5xx) tolerated before giving up. */
  maxPollFailures?: number;
}

const DEFAULT_POLL_SECONDS = 2;

export type OperationListener<R> = (operation: Operation<R>, transport: Transport) => void;

/**
 * Resolves with the finished operation (`completed`, `failed` or `cancelled`), calling
 * `onUpdate` with every state seen on the way. Rejects with an ApiError when the
 * operation cannot be read at all (404, logged out), or the AbortError when `signal` aborts.
 */
export async function followOperation<R = unknown>(
  operation: Operation<R>,
  onUpdate: OperationListener<R>,
  signal?: AbortSignal,
  options: FollowOptions = {},
): Promise<Operation<R>> {
  const client = options.client ?? api;
  const sleep = options.sleep ?? abortableSleep;
  const EventSourceImpl =
    options.EventSource === undefined
      ? ((globalThis as { EventSource?: EventSourceFactory }).EventSource ?? null)
      : options.EventSource;

  let current = operation;
  if (isFinished(current)) return current;
  signal?.throwIfAborted();

  if (EventSourceImpl) {
    const latest = await viaEvents(client, EventSourceImpl, current, onUpdate, signal, options.firstEventTimeoutMs ?? 10_000);
    if (latest) current = latest;
    if (isFinished(current)) return current;
  }

  const longPolled = await viaLongPoll(client, current, onUpdate, signal, sleep, options.waitSeconds ?? 25);
  if (longPolled.finished) return longPolled.operation;

  return viaPolling(client, longPolled.operation, onUpdate, signal, sleep, options.maxPollFailures ?? 8);
}

/** The stream: resolves with the last operation it delivered (null if none) when it ends. */
async function viaEvents<R>(
  client: ApiClient,
  EventSourceImpl: EventSourceFactory,
  operation: Operation<R>,
  onUpdate: OperationListener<R>,
  signal: AbortSignal | undefined,
  firstEventTimeoutMs: number,
): Promise<Operation<R> | null> {
  let ticket: StreamTicket;
  try {
    ticket = await client.post<StreamTicket>(`/operations/${operation.id}/stream-ticket`, undefined, { signal });
  } catch (error) {
    if (isAbortError(error)) throw error;
    // 404/405: this server has no stream; any other failure: the next transport will tell.
    return null;
  }

  return new Promise<Operation<R> | null>((resolve, reject) => {
    let latest: Operation<R> | null = null;
    const source = new EventSourceImpl(client.url(`/operations/${operation.id}/events`, { ticket: ticket.ticket }));
    const done = (settle: () => void) => {
      clearTimeout(silence);
      signal?.removeEventListener('abort', onAbort);
      // Closed by us, always: a browser would otherwise reconnect with a spent ticket.
      source.close();
      settle();
    };
    const onAbort = () => done(() => reject(signal?.reason ?? new DOMException('Aborted', 'AbortError')));
    const silence = setTimeout(() => done(() => resolve(latest)), firstEventTimeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    source.addEventListener('operation', (event) => {
      let next: Operation<R>;
      try {
        next = JSON.parse(event.data) as Operation<R>;
      } catch {
        return; // not an operation: ignore this event, the next one will do
      }
      clearTimeout(silence);
      latest = next;
      onUpdate(next, 'events');
      if (isFinished(next)) done(() => resolve(next));
    });
    // Before any event: the stream does not work here. After one: it broke before the end.
    // Either way the caller carries on with long-polling from the last state seen.
    source.onerror = () => done(() => resolve(latest));
  });
}

/** Long-poll until finished; `finished: false` means it failed and polling should take over. */
async function viaLongPoll<R>(
  client: ApiClient,
  operation: Operation<R>,
  onUpdate: OperationListener<R>,
  signal: AbortSignal | undefined,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  waitSeconds: number,
): Promise<{ operation: Operation<R>; finished: boolean }> {
  let current = operation;
  for (;;) {
    const started = Date.now();
    let response;
    try {
      response = await client.send<Operation<R>>('GET', `/operations/${current.id}`, { query: { wait: waitSeconds }, signal });
    } catch (error) {
      if (isAbortError(error)) throw error;
      return { operation: current, finished: false };
    }
    const previous = current;
    current = response.data;
    onUpdate(current, 'long-poll');
    if (isFinished(current)) return { operation: current, finished: true };
    // An unchanged answer that came back at once: the server (or a proxy) does not hold
    // the request. Wait as a poller would rather than asking again in a tight loop.
    if (current.status === previous.status && Date.now() - started < 1000) {
      await sleep(retryDelayMs(response.headers.get('Retry-After')), signal);
    }
  }
}

async function viaPolling<R>(
  client: ApiClient,
  operation: Operation<R>,
  onUpdate: OperationListener<R>,
  signal: AbortSignal | undefined,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  maxFailures: number,
): Promise<Operation<R>> {
  let failures = 0;
  for (;;) {
    let response;
    try {
      response = await client.send<Operation<R>>('GET', `/operations/${operation.id}`, { signal });
    } catch (error) {
      if (isAbortError(error) || !isTransient(error) || ++failures > maxFailures) throw error;
      const backoff = Math.min(30, DEFAULT_POLL_SECONDS * 2 ** (failures - 1));
      await sleep((isApiError(error) && error.retryAfter != null ? error.retryAfter : backoff) * 1000, signal);
      continue;
    }
    failures = 0;
    onUpdate(response.data, 'poll');
    if (isFinished(response.data)) return response.data;
    await sleep(retryDelayMs(response.headers.get('Retry-After')), signal);
  }
}

/** No answer, a 5xx or a 429: worth asking again later. A 404 or a 401 is not. */
function isTransient(error: unknown): boolean {
  return isApiError(error) && (error.status === 0 || error.status === 429 || error.status >= 500);
}

function retryDelayMs(header: string | null): number {
  const seconds = parseRetryAfter(header) ?? DEFAULT_POLL_SECONDS;
  return Math.min(Math.max(seconds, 1), 60) * 1000;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// --- Starting, retrying and cancelling -------------------------------------------------

/** POST /operations/{id}/retry: 202 with a new operation (or the one already in flight). */
export function retryOperation<R = unknown>(id: string, client: ApiClient = api): Promise<Operation<R>> {
  return client.post<Operation<R>>(`/operations/${id}/retry`);
}

/** POST /operations/{id}/cancel: 200 with the operation, now `cancelled`. */
export function cancelOperation<R = unknown>(id: string, client: ApiClient = api): Promise<Operation<R>> {
  return client.post<Operation<R>>(`/operations/${id}/cancel`);
}

export function getOperation<R = unknown>(id: string, client: ApiClient = api): Promise<Operation<R>> {
  return client.get<Operation<R>>(`/operations/${id}`);
}
