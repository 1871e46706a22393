// Test doubles for the API layer: a scripted fetch, an in-memory storage, a fake EventSource.
// No network is touched.

import type { KeyValueStorage } from '../api/client';
import type { EventSourceLike } from '../api/operations';
import type { Operation, OperationStatus } from '../api/types';

export interface RecordedCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  credentials?: RequestCredentials;
}

export type Handler = (call: RecordedCall) => Response | Promise<Response>;

/** A fetch that answers from `handler` and records every call. */
export function fakeFetch(handler: Handler) {
  const calls: RecordedCall[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    if (init.signal?.aborted) throw new DOMException('Aborted', 'AbortError');
    const call: RecordedCall = {
      method: init.method ?? 'GET',
      url: String(input),
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      credentials: init.credentials,
    };
    calls.push(call);
    return handler(call);
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });
}

export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return json(status, { type: 'about:blank', title: 'Error', status, code, detail, ...extra }, headers);
}

export class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

export function operation(status: OperationStatus, extra: Partial<Operation> = {}): Operation {
  const finished = status === 'completed' || status === 'failed' || status === 'cancelled';
  return {
    id: 'op-1',
    operation_type: 'feedback_analysis',
    status,
    result: null,
    error_code: null,
    error_message: null,
    created_at: '2026-11-22T10:15:00Z',
    updated_at: '2026-11-22T10:15:00Z',
    started_at: status === 'pending' ? null : '2026-11-22T10:15:01Z',
    finished_at: finished ? '2026-11-22T10:15:09Z' : null,
    ...extra,
  };
}

/** A stand-in for the browser's EventSource: the test pushes events and errors. */
export class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  onerror: ((event: Event) => void) | null = null;
  closed = false;

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close() {
    this.closed = true;
  }

  emit(type: string, data: unknown) {
    const event = new MessageEvent(type, { data: typeof data === 'string' ? data : JSON.stringify(data) });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  fail() {
    this.onerror?.(new Event('error'));
  }

  static reset() {
    FakeEventSource.instances = [];
  }

  static get last(): FakeEventSource {
    const last = FakeEventSource.instances.at(-1);
    if (!last) throw new Error('no EventSource was opened');
    return last;
  }
}

/** Waits (real time, a few milliseconds at most) until `condition` holds. */
export async function waitFor(condition: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}
