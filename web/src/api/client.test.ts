import { describe, expect, it, vi } from 'vitest';

import {
  ApiClient,
  ApiError,
  TokenStore,
  describeError,
  parseProblem,
  parseRetryAfter,
  resolveApiBase,
} from './client';
import { MemoryStorage, fakeFetch, json, problem } from '../test/fakes';

const BASE = 'http://api.test/api/v1';
const TOKENS = { access_token: 'access-1', refresh_token: 'refresh-1', token_type: 'bearer', expires_in: 300 };

function loggedInClient(handler: Parameters<typeof fakeFetch>[0]) {
  const storage = new MemoryStorage();
  const tokens = new TokenStore(storage, 'tokens');
  tokens.set(TOKENS);
  const { fetch, calls } = fakeFetch(handler);
  const client = new ApiClient({ base: BASE, fetch, tokens });
  return { client, calls, tokens, storage };
}

describe('problem details', () => {
  it('reads detail, code and field errors (dotted fields belong to their list field)', async () => {
    const error = await parseProblem(
      problem(400, 'VALIDATION_ERROR', 'Invalid input.', {
        errors: [
          { field: 'title', message: 'This field is required.' },
          { field: 'tech_stack.1', message: 'Ensure this field has no more than 64 characters.' },
          { field: 'non_field_errors', message: 'Something about the whole form.' },
        ],
      }, { 'X-Request-ID': 'req-42' }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.detail).toBe('Invalid input.');
    expect(error.requestId).toBe('req-42');
    expect(error.fieldMessages('title')).toEqual(['This field is required.']);
    expect(error.fieldMessages('tech_stack')).toEqual(['Item 2: Ensure this field has no more than 64 characters.']);
    expect(error.fieldMessages('company')).toEqual([]);
    expect(error.otherFieldErrors(['title', 'tech_stack'])).toEqual([
      { field: 'non_field_errors', message: 'Something about the whole form.' },
    ]);
  });

  it('turns a non-JSON 500 into a plain sentence without the page it came with', async () => {
    const response = new Response('<html><body>Internal Server Error</body></html>', {
      status: 500,
      statusText: 'Internal Server Error',
      headers: { 'Content-Type': 'text/html' },
    });
    const error = await parseProblem(response);
    expect(error.status).toBe(500);
    expect(error.code).toBe('HTTP_500');
    expect(error.detail).toBe('The server ran into a problem (HTTP 500). Please try again later.');
    expect(error.detail).not.toContain('<html>');
    expect(error.errors).toEqual([]);
  });

  it('copes with an empty body and with JSON that is not an object', async () => {
    expect((await parseProblem(new Response(null, { status: 502 }))).detail).toMatch(/not reachable/);
    const list = await parseProblem(new Response('["x"]', { status: 400, headers: { 'Content-Type': 'application/json' } }));
    expect(list.code).toBe('HTTP_400');
    expect(list.detail).toBe('The request was not accepted.');
  });
});

describe('Retry-After', () => {
  it('parses delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-22T10:15:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:16:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-1', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('a 429 rejects with the seconds to wait, and the message says when to try again', async () => {
    const { client } = loggedInClient(() =>
      problem(429, 'THROTTLED', 'Request was throttled.', {}, { 'Retry-After': '30' }),
    );
    const error = await client.post('/sessions/s1/generate-feedback').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect((error as ApiError).retryAfter).toBe(30);
    expect(describeError(error)).toMatch(/^Request was throttled\. You can try again in 30 seconds \(at .+\)\.$/);
  });
});

describe('requests', () => {
  it('joins the base, drops empty query values, sends JSON with the bearer token and no cookies', async () => {
    const { client, calls } = loggedInClient(() => json(201, { id: 'p1' }));
    const created = await client.post<{ id: string }>('/job-postings', { title: 'Dev' }, { query: { a: 1, b: '', c: undefined } });
    expect(created).toEqual({ id: 'p1' });
    expect(calls).toHaveLength(1);
    expect(calls[0].method).toBe('POST');
    expect(calls[0].url).toBe(`${BASE}/job-postings?a=1`);
    expect(calls[0].headers.Authorization).toBe('Bearer access-1');
    expect(calls[0].headers['Content-Type']).toBe('application/json');
    expect(calls[0].body).toEqual({ title: 'Dev' });
    expect(calls[0].credentials).toBe('omit');
  });

  it('resolves 204 to undefined and sends no token when auth is off', async () => {
    const { client, calls } = loggedInClient(() => new Response(null, { status: 204 }));
    await expect(client.post('/auth/register', { email: 'a@b.c' }, { auth: false })).resolves.toBeUndefined();
    expect(calls[0].headers.Authorization).toBeUndefined();
  });

  it('reports a network failure as NETWORK_ERROR with status 0', async () => {
    const { client } = loggedInClient(() => {
      throw new TypeError('Failed to fetch');
    });
    await expect(client.get('/users/me')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });

  it('takes the API base from VITE_API_BASE, or the same origin', () => {
    expect(resolveApiBase('http://127.0.0.1:8000/api/v1/')).toBe('http://127.0.0.1:8000/api/v1');
    expect(resolveApiBase(undefined)).toBe('/api/v1');
    expect(resolveApiBase('  ')).toBe('/api/v1');
  });
});

describe('token refresh', () => {
  const expired = () => problem(401, 'INVALID_TOKEN', 'The access token is invalid or has expired.');

  it('refreshes once, stores the rotated refresh token and replays the request', async () => {
    const { client, calls, tokens, storage } = loggedInClient((call) => {
      if (call.url.endsWith('/auth/refresh')) {
        return json(200, { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'bearer', expires_in: 300 });
      }
      return call.headers.Authorization === 'Bearer access-2' ? json(200, { id: 'u1' }) : expired();
    });

    await expect(client.get('/users/me')).resolves.toEqual({ id: 'u1' });

    expect(calls.map((c) => `${c.method} ${c.url.replace(BASE, '')}`)).toEqual([
      'GET /users/me',
      'POST /auth/refresh',
      'GET /users/me',
    ]);
    expect(calls[1].body).toEqual({ refresh_token: 'refresh-1' });
    expect(calls[1].headers.Authorization).toBeUndefined();
    expect(tokens.access).toBe('access-2');
    expect(tokens.refresh).toBe('refresh-2');
    expect(JSON.parse(storage.getItem('tokens') ?? '{}').refresh_token).toBe('refresh-2');
  });

  it('shares one refresh between concurrent requests that all got 401', async () => {
    let release!: () => void;
    const refreshAnswered = new Promise<void>((resolve) => (release = resolve));
    const { client, calls } = loggedInClient(async (call) => {
      if (call.url.endsWith('/auth/refresh')) {
        await refreshAnswered;
        return json(200, { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'bearer', expires_in: 300 });
      }
      return call.headers.Authorization === 'Bearer access-2' ? json(200, { path: call.url }) : expired();
    });

    const all = Promise.all([client.get('/a'), client.get('/b'), client.get('/c')]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    const results = await all;

    expect(results).toHaveLength(3);
    expect(calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(1);
    expect(calls.filter((c) => c.headers.Authorization === 'Bearer access-2')).toHaveLength(3);
  });

  it('a request that fails after another already refreshed reuses the new token', async () => {
    const { client, calls, tokens } = loggedInClient((call) => {
      if (call.url.endsWith('/auth/refresh')) throw new Error('must not refresh again');
      return call.headers.Authorization === 'Bearer access-2' ? json(200, {}) : expired();
    });
    const pending = client.get('/slow');
    tokens.set({ ...TOKENS, access_token: 'access-2', refresh_token: 'refresh-2' });
    await expect(pending).resolves.toEqual({});
    expect(calls.map((c) => c.headers.Authorization)).toEqual(['Bearer access-1', 'Bearer access-2']);
  });

  it('replays only once: a second 401 is the caller’s', async () => {
    const { client, calls } = loggedInClient((call) =>
      call.url.endsWith('/auth/refresh')
        ? json(200, { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'bearer', expires_in: 300 })
        : expired(),
    );
    await expect(client.get('/users/me')).rejects.toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
    expect(calls).toHaveLength(3);
  });

  it('a failed refresh logs out: tokens gone from memory and storage, listeners told', async () => {
    const { client, calls, tokens, storage } = loggedInClient((call) =>
      call.url.endsWith('/auth/refresh') ? problem(401, 'INVALID_TOKEN', 'Token is blacklisted') : expired(),
    );
    const loggedOut = vi.fn();
    client.onLoggedOut(loggedOut);

    const error = await client.get('/users/me').catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
    expect(describeError(error)).toBe('Your session has expired. Please log in again.');
    expect(loggedOut).toHaveBeenCalledWith('expired');
    expect(tokens.access).toBeNull();
    expect(storage.getItem('tokens')).toBeNull();
    expect(calls).toHaveLength(2); // no replay
  });

  it('a refresh that meets a 503 keeps the tokens (the next request may refresh again)', async () => {
    const { client, tokens } = loggedInClient((call) =>
      call.url.endsWith('/auth/refresh') ? problem(503, 'SERVICE_UNAVAILABLE', 'Down for a moment') : expired(),
    );
    await expect(client.get('/users/me')).rejects.toMatchObject({ status: 503 });
    expect(tokens.refresh).toBe('refresh-1');
  });

  it('does not refresh on other 401s (wrong password at login, NOT_AUTHENTICATED)', async () => {
    const { client, calls } = loggedInClient(() => problem(401, 'NOT_AUTHENTICATED', 'Authentication credentials were not provided.'));
    await expect(client.get('/users/me')).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
    expect(calls).toHaveLength(1);
  });

  it('survives a reload: the tokens are read back from storage', () => {
    const storage = new MemoryStorage();
    new TokenStore(storage, 'k').set(TOKENS);
    expect(new TokenStore(storage, 'k').refresh).toBe('refresh-1');
    storage.setItem('k', 'not json');
    expect(new TokenStore(storage, 'k').isLoggedIn).toBe(false);
  });
});
