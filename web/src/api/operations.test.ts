import { beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiClient, TokenStore } from './client';
import { cancelOperation, followOperation, retryOperation } from './operations';
import type { Transport } from './operations';
import type { Operation } from './types';
import { FakeEventSource, MemoryStorage, fakeFetch, json, operation, problem, waitFor } from '../test/fakes';
import type { Handler } from '../test/fakes';

const BASE = 'http://api.test/api/v1';

function setup(handler: Handler) {
  const tokens = new TokenStore(new MemoryStorage());
  tokens.set({ access_token: 'access-1', refresh_token: 'refresh-1', token_type: 'bearer', expires_in: 300 });
  const { fetch, calls } = fakeFetch(handler);
  const client = new ApiClient({ base: BASE, fetch, tokens });
  const sleeps: number[] = [];
  const sleep = vi.fn(async (ms: number) => {
    sleeps.push(ms);
  });
  const updates: [string, Transport][] = [];
  const onUpdate = (op: Operation, transport: Transport) => updates.push([op.status, transport]);
  const requests = () => calls.map((c) => `${c.method} ${c.url.replace(BASE, '')}`);
  return { client, calls, sleep, sleeps, updates, onUpdate, requests };
}

beforeEach(() => FakeEventSource.reset());

describe('followOperation', () => {
  it('1. stream: ticket, then EventSource with the ticket; closes itself on a finished status', async () => {
    const t = setup((call) =>
      call.url.endsWith('/operations/op-1/stream-ticket') ? json(201, { ticket: 'tk/1+=', expires_in: 60 }) : problem(500, 'X', 'unexpected'),
    );
    const following = followOperation(operation('pending'), t.onUpdate, undefined, {
      client: t.client,
      EventSource: FakeEventSource,
      sleep: t.sleep,
    });
    await waitFor(() => FakeEventSource.instances.length === 1, 'the EventSource');
    const source = FakeEventSource.last;
    expect(source.url).toBe(`${BASE}/operations/op-1/events?ticket=tk%2F1%2B%3D`);

    source.emit('operation', operation('pending'));
    source.emit('operation', operation('processing'));
    source.emit('operation', operation('completed', { result: { overall_score: 83 } }));

    const final = await following;
    expect(final.status).toBe('completed');
    expect(final.result).toEqual({ overall_score: 83 });
    expect(source.closed).toBe(true);
    expect(t.updates).toEqual([
      ['pending', 'events'],
      ['processing', 'events'],
      ['completed', 'events'],
    ]);
    expect(t.requests()).toEqual(['POST /operations/op-1/stream-ticket']);
    expect(t.calls[0].headers.Authorization).toBe('Bearer access-1');
  });

  it.each([404, 405])('2. no ticket endpoint (%i): long-poll with wait=25', async (status) => {
    let polls = 0;
    const t = setup((call) => {
      if (call.url.endsWith('/stream-ticket')) return problem(status, 'NOT_FOUND', 'Not found.');
      polls += 1;
      return json(200, operation(polls === 1 ? 'processing' : 'completed'), polls === 1 ? { 'Retry-After': '2' } : {});
    });
    const final = await followOperation(operation('pending'), t.onUpdate, undefined, {
      client: t.client,
      EventSource: FakeEventSource,
      sleep: t.sleep,
    });
    expect(final.status).toBe('completed');
    expect(FakeEventSource.instances).toHaveLength(0);
    expect(t.requests()).toEqual([
      'POST /operations/op-1/stream-ticket',
      'GET /operations/op-1?wait=25',
      'GET /operations/op-1?wait=25',
    ]);
    expect(t.updates.map(([, via]) => via)).toEqual(['long-poll', 'long-poll']);
  });

  it('2. EventSource errors before any event: long-poll', async () => {
    const t = setup((call) =>
      call.url.endsWith('/stream-ticket') ? json(201, { ticket: 't', expires_in: 60 }) : json(200, operation('failed', { error_code: 'AI_TIMEOUT', error_message: 'The AI service is not responding.' })),
    );
    const following = followOperation(operation('pending'), t.onUpdate, undefined, { client: t.client, EventSource: FakeEventSource, sleep: t.sleep });
    await waitFor(() => FakeEventSource.instances.length === 1);
    FakeEventSource.last.fail();

    const final = await following;
    expect(FakeEventSource.last.closed).toBe(true);
    expect(final).toMatchObject({ status: 'failed', error_message: 'The AI service is not responding.' });
    expect(t.requests()).toEqual(['POST /operations/op-1/stream-ticket', 'GET /operations/op-1?wait=25']);
  });

  it('2. a stream that breaks mid-way: closed (no reconnect with a spent ticket), long-poll goes on', async () => {
    const t = setup((call) =>
      call.url.endsWith('/stream-ticket') ? json(201, { ticket: 't', expires_in: 60 }) : json(200, operation('completed')),
    );
    const following = followOperation(operation('pending'), t.onUpdate, undefined, { client: t.client, EventSource: FakeEventSource, sleep: t.sleep });
    await waitFor(() => FakeEventSource.instances.length === 1);
    FakeEventSource.last.emit('operation', operation('processing'));
    FakeEventSource.last.fail();

    expect((await following).status).toBe('completed');
    expect(FakeEventSource.last.closed).toBe(true);
    expect(t.updates).toEqual([
      ['processing', 'events'],
      ['completed', 'long-poll'],
    ]);
  });

  it('2. a stream that stays silent is given up after the first-event timeout', async () => {
    const t = setup((call) =>
      call.url.endsWith('/stream-ticket') ? json(201, { ticket: 't', expires_in: 60 }) : json(200, operation('completed')),
    );
    const final = await followOperation(operation('pending'), t.onUpdate, undefined, {
      client: t.client,
      EventSource: FakeEventSource,
      sleep: t.sleep,
      firstEventTimeoutMs: 5,
    });
    expect(final.status).toBe('completed');
    expect(FakeEventSource.last.closed).toBe(true);
  });

  it('2. without EventSource in the browser: straight to long-poll', async () => {
    const t = setup(() => json(200, operation('completed')));
    await followOperation(operation('pending'), t.onUpdate, undefined, { client: t.client, EventSource: null, sleep: t.sleep });
    expect(t.requests()).toEqual(['GET /operations/op-1?wait=25']);
  });

  it('3. long-poll fails: plain polling, honouring Retry-After (default 2 s)', async () => {
    let plain = 0;
    const t = setup((call) => {
      if (call.url.endsWith('/stream-ticket')) return problem(404, 'NOT_FOUND', 'Not found.');
      if (call.url.includes('wait=')) return problem(400, 'VALIDATION_ERROR', 'wait: not supported');
      plain += 1;
      if (plain === 1) return json(200, operation('pending'), { 'Retry-After': '3' });
      if (plain === 2) return json(200, operation('processing'));
      return json(200, operation('completed'));
    });
    const final = await followOperation(operation('pending'), t.onUpdate, undefined, { client: t.client, EventSource: FakeEventSource, sleep: t.sleep });

    expect(final.status).toBe('completed');
    expect(t.requests()).toEqual([
      'POST /operations/op-1/stream-ticket',
      'GET /operations/op-1?wait=25',
      'GET /operations/op-1',
      'GET /operations/op-1',
      'GET /operations/op-1',
    ]);
    expect(t.sleeps).toEqual([3000, 2000]);
    expect(t.updates).toEqual([
      ['pending', 'poll'],
      ['processing', 'poll'],
      ['completed', 'poll'],
    ]);
  });

  it('3. polling waits out a 429 and a 503, and gives up on a 404', async () => {
    let plain = 0;
    const t = setup((call) => {
      if (call.url.includes('wait=')) return new Response('bad gateway', { status: 502 });
      plain += 1;
      if (plain === 1) return problem(429, 'THROTTLED', 'Slow down', {}, { 'Retry-After': '7' });
      if (plain === 2) return problem(503, 'UNAVAILABLE', 'Down');
      return problem(404, 'NOT_FOUND', 'Not found.');
    });
    const error = await followOperation(operation('processing'), t.onUpdate, undefined, { client: t.client, EventSource: null, sleep: t.sleep }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(t.sleeps).toEqual([7000, 4000]);
  });

  it('a long-poll that the server answers at once, unchanged, does not spin', async () => {
    let n = 0;
    const t = setup(() => json(200, operation(++n < 3 ? 'processing' : 'completed'), { 'Retry-After': '2' }));
    await followOperation(operation('processing'), t.onUpdate, undefined, { client: t.client, EventSource: null, sleep: t.sleep });
    expect(t.sleeps).toEqual([2000, 2000]);
  });

  it('an already finished operation needs no request', async () => {
    const t = setup(() => {
      throw new Error('no request expected');
    });
    const final = await followOperation(operation('cancelled'), t.onUpdate, undefined, { client: t.client, EventSource: FakeEventSource });
    expect(final.status).toBe('cancelled');
    expect(t.calls).toHaveLength(0);
  });

  it('aborting closes the stream and rejects with the AbortError', async () => {
    const t = setup(() => json(201, { ticket: 't', expires_in: 60 }));
    const controller = new AbortController();
    const following = followOperation(operation('pending'), t.onUpdate, controller.signal, { client: t.client, EventSource: FakeEventSource });
    await waitFor(() => FakeEventSource.instances.length === 1);
    controller.abort();
    await expect(following).rejects.toMatchObject({ name: 'AbortError' });
    expect(FakeEventSource.last.closed).toBe(true);
  });
});

describe('retry and cancel', () => {
  it('retry posts to /operations/{id}/retry and returns the new operation', async () => {
    const t = setup(() => json(202, operation('pending', { id: 'op-2' }), { Location: '/api/v1/operations/op-2', 'Retry-After': '2' }));
    await expect(retryOperation('op-1', t.client)).resolves.toMatchObject({ id: 'op-2', status: 'pending' });
    expect(t.requests()).toEqual(['POST /operations/op-1/retry']);
  });

  it('cancel posts to /operations/{id}/cancel; a finished one answers 409', async () => {
    const t = setup(() => problem(409, 'OPERATION_ALREADY_FINISHED', 'This operation has already finished.'));
    await expect(cancelOperation('op-1', t.client)).rejects.toMatchObject({ status: 409, code: 'OPERATION_ALREADY_FINISHED' });
    expect(t.requests()).toEqual(['POST /operations/op-1/cancel']);
  });
});
