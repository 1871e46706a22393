// The one way this app talks HTTP: a fetch wrapper that adds the bearer token, turns every
// error answer into an ApiError (RFC 9457 problem details), refreshes an expired access
// token once (one refresh shared by every request that needs it) and replays the request.
//
// Tokens live in memory and in localStorage (no cookies: `credentials: 'omit'`).

import type { FieldError, ProblemDetails, TokenPair } from './types';

// --- Where the API is ---------------------------------------------------------------

const DEFAULT_API_BASE = '/api/v1';

/** `VITE_API_BASE` (for example `http://127.0.0.1:8000/api/v1`) or the same origin's `/api/v1`. */
export function resolveApiBase(configured: string | undefined): string {
  const base = (configured ?? '').trim() || DEFAULT_API_BASE;
  return base.replace(/\/+$/, '');
}

declare global {
  interface Window {
    /** Set by whoever serves index.html to point a built app at an API on another origin. */
    __API_BASE__?: string;
  }
}

const runtimeBase = typeof window !== 'undefined' ? window.__API_BASE__ : undefined;
export const API_BASE = resolveApiBase(runtimeBase ?? import.meta.env.VITE_API_BASE);

// --- Errors -------------------------------------------------------------------------

export interface ApiErrorInit {
  status: number;
  code: string;
  detail: string;
  title?: string;
  errors?: FieldError[];
  retryAfter?: number | null;
  requestId?: string | null;
}

/**
 * An error answer from the API (or no answer at all: `status` 0, code `NETWORK_ERROR`).
 * `detail` is the text to show; `errors` are per-field messages (fields may be dotted,
 * `tech_stack.0`); `retryAfter` is in seconds (429, 503).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly retryAfter: number | null;
  readonly requestId: string | null;

  constructor(init: ApiErrorInit) {
    super(init.detail);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title ?? '';
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.retryAfter = init.retryAfter ?? null;
    this.requestId = init.requestId ?? null;
  }

  /** The messages for one form field: `field` itself and its items (`field.0`, `field.1`…). */
  fieldMessages(field: string): string[] {
    return this.errors
      .filter((e) => e.field === field || e.field.startsWith(`${field}.`))
      .map((e) => {
        const rest = e.field.slice(field.length + 1);
        return /^\d+$/.test(rest) ? `Item ${Number(rest) + 1}: ${e.message}` : e.message;
      });
  }

  /** Field errors that none of the given form fields shows (to be listed with the detail). */
  otherFieldErrors(shownFields: readonly string[]): FieldError[] {
    return this.errors.filter(
      (e) => !shownFields.some((f) => e.field === f || e.field.startsWith(`${f}.`)),
    );
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

export function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    (error as { name: unknown }).name === 'AbortError'
  );
}

/** `Retry-After` in seconds: either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value == null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/[a-z]/i.test(text)) return null; // "-1", "1.5": not valid delay-seconds, not a date
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

const STATUS_TEXT: Record<number, string> = {
  400: 'The request was not accepted.',
  401: 'Please log in.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  405: 'This action is not available.',
  409: 'That conflicts with the current state. Reload and try again.',
  413: 'That is too large.',
  429: 'Too many requests.',
  502: 'The server is not reachable right now. Please try again later.',
  503: 'The service is unavailable right now. Please try again later.',
  504: 'The server took too long to answer. Please try again later.',
};

function fallbackDetail(status: number): string {
  return (
    STATUS_TEXT[status] ??
    (status >= 500
      ? `The server ran into a problem (HTTP ${status}). Please try again later.`
      : `The request failed (HTTP ${status}).`)
  );
}

function normaliseFieldErrors(raw: unknown): FieldError[] {
  if (Array.isArray(raw)) {
    return raw
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({
        field: typeof e.field === 'string' ? e.field : '',
        message: typeof e.message === 'string' ? e.message : String(e.message ?? ''),
      }))
      .filter((e) => e.message !== '');
  }
  return [];
}

/**
 * Turns an error response into an ApiError. A problem-details body gives its `detail`,
 * `code` and `errors`; anything else (an HTML 502 from a proxy, an empty 500) gets a
 * plain-language detail from the status and code `HTTP_<status>`.
 */
export async function parseProblem(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const problem: ProblemDetails =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as ProblemDetails) : {};
  const detail = typeof problem.detail === 'string' && problem.detail.trim() ? problem.detail : '';
  return new ApiError({
    status: response.status,
    code: typeof problem.code === 'string' && problem.code ? problem.code : `HTTP_${response.status}`,
    title: typeof problem.title === 'string' ? problem.title : response.statusText,
    detail: detail || fallbackDetail(response.status),
    errors: normaliseFieldErrors(problem.errors),
    retryAfter: parseRetryAfter(response.headers.get('Retry-After')),
    requestId: response.headers.get('X-Request-ID'),
  });
}

/** "in 42 seconds (at 10:15:03)" — when a 429/503 says the user may try again. */
export function retryAfterText(seconds: number, now: Date = new Date()): string {
  const at = new Date(now.getTime() + seconds * 1000);
  const clock = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? '' : 's'} (at ${clock})`;
  const minutes = Math.ceil(seconds / 60);
  return `in about ${minutes} minutes (at ${clock})`;
}

/** The one sentence to show a person for any error thrown by the API layer. */
export function describeError(error: unknown): string {
  if (isApiError(error)) {
    if (error.retryAfter != null && (error.status === 429 || error.status === 503)) {
      return `${error.detail} You can try again ${retryAfterText(error.retryAfter)}.`;
    }
    return error.detail;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

// --- Tokens -------------------------------------------------------------------------

/** The part of the Web Storage API the token store needs (localStorage, or a fake in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface StoredTokens {
  access_token: string;
  refresh_token: string;
  /** epoch milliseconds, for information: expiry is found out from the 401 */
  expires_at: number | null;
}

export const TOKEN_STORAGE_KEY = 'interview-feedback.tokens';

/** The access and refresh tokens: in memory, mirrored to storage so a reload stays logged in. */
export class TokenStore {
  private tokens: StoredTokens | null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly storage: KeyValueStorage | null = null,
    readonly storageKey: string = TOKEN_STORAGE_KEY,
  ) {
    this.tokens = this.read();
  }

  get access(): string | null {
    return this.tokens?.access_token ?? null;
  }

  get refresh(): string | null {
    return this.tokens?.refresh_token ?? null;
  }

  get isLoggedIn(): boolean {
    return this.tokens !== null;
  }

  set(pair: TokenPair): void {
    this.tokens = {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_at: typeof pair.expires_in === 'number' ? Date.now() + pair.expires_in * 1000 : null,
    };
    this.write();
    this.emit();
  }

  clear(): void {
    this.tokens = null;
    this.write();
    this.emit();
  }

  /** Re-read storage (another tab logged in, out, or rotated the refresh token). */
  reload(): void {
    this.tokens = this.read();
    this.emit();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }

  private read(): StoredTokens | null {
    try {
      const raw = this.storage?.getItem(this.storageKey);
      if (!raw) return null;
      const parsed = JSON.parse(raw) as Partial<StoredTokens>;
      if (typeof parsed.access_token !== 'string' || typeof parsed.refresh_token !== 'string') return null;
      return { access_token: parsed.access_token, refresh_token: parsed.refresh_token, expires_at: parsed.expires_at ?? null };
    } catch {
      return null;
    }
  }

  private write(): void {
    try {
      if (this.tokens) this.storage?.setItem(this.storageKey, JSON.stringify(this.tokens));
      else this.storage?.removeItem(this.storageKey);
    } catch {
      // Storage full or disabled (private mode): the tokens still live in memory.
    }
  }
}

// --- The client ---------------------------------------------------------------------

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Send the bearer token (default true). Login, register and refresh send none. */
  auth?: boolean;
  /** On 401 `INVALID_TOKEN`, refresh and replay (default true). Logout does not. */
  refresh?: boolean;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

export type LoggedOutReason = 'expired' | 'logout';

export interface ApiClientOptions {
  base?: string;
  fetch?: typeof fetch;
  tokens?: TokenStore;
}

export class ApiClient {
  readonly base: string;
  readonly tokens: TokenStore;
  private readonly fetchImpl: typeof fetch;
  /** The refresh in flight, shared by every request whose token expired meanwhile. */
  private refreshing: Promise<string> | null = null;
  private readonly loggedOutListeners = new Set<(reason: LoggedOutReason) => void>();

  constructor(options: ApiClientOptions = {}) {
    this.base = resolveApiBase(options.base ?? API_BASE);
    this.tokens = options.tokens ?? new TokenStore();
    // Looked up at call time, so a test can replace globalThis.fetch after construction.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The absolute (or base-relative) URL of an API path such as `/sessions/123`. */
  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Called when the tokens are gone: the refresh failed ('expired') or the user logged out. */
  onLoggedOut(listener: (reason: LoggedOutReason) => void): () => void {
    this.loggedOutListeners.add(listener);
    return () => this.loggedOutListeners.delete(listener);
  }

  /** Forget the tokens and tell the app (which shows the login page). */
  logOut(reason: LoggedOutReason): void {
    this.tokens.clear();
    for (const listener of this.loggedOutListeners) listener(reason);
  }

  /**
   * One request. Resolves with the parsed body (undefined for 204) and the headers;
   * rejects with an ApiError for any non-2xx answer or a network failure, and with the
   * AbortError when `signal` aborts.
   */
  async send<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const auth = options.auth ?? true;
    const token = auth ? this.tokens.access : null;
    let response = await this.fetchOnce(method, path, options, token);

    if (response.status === 401 && auth && token && options.refresh !== false) {
      const problem = await parseProblem(response);
      if (problem.code !== 'INVALID_TOKEN') throw problem;
      const fresh = await this.renewAccess(token); // throws (and logs out) when it can't
      response = await this.fetchOnce(method, path, options, fresh); // replayed once, never twice
    }

    if (!response.ok) throw await parseProblem(response);
    return { data: await readBody<T>(response), status: response.status, headers: response.headers };
  }

  async get<T>(path: string, options?: RequestOptions): Promise<T> {
    return (await this.send<T>('GET', path, options)).data;
  }

  async post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return (await this.send<T>('POST', path, { ...options, body })).data;
  }

  async put<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return (await this.send<T>('PUT', path, { ...options, body })).data;
  }

  async patch<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return (await this.send<T>('PATCH', path, { ...options, body })).data;
  }

  async delete(path: string, body?: unknown, options?: RequestOptions): Promise<void> {
    await this.send<void>('DELETE', path, { ...options, body });
  }

  /**
   * A valid access token after `stale` was refused. If another request already refreshed,
   * its token is used; if a refresh is running, this waits for it; else it starts one.
   */
  private renewAccess(stale: string): Promise<string> {
    const current = this.tokens.access;
    if (current && current !== stale) return Promise.resolve(current);
    if (!this.refreshing) {
      this.refreshing = this.refreshTokens().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async refreshTokens(): Promise<string> {
    const refreshToken = this.tokens.refresh;
    if (!refreshToken) {
      this.logOut('expired');
      throw new ApiError({ status: 401, code: 'INVALID_TOKEN', detail: 'Your session has expired. Please log in again.' });
    }
    const response = await this.fetchOnce('POST', '/auth/refresh', { body: { refresh_token: refreshToken } }, null);
    if (!response.ok) {
      const problem = await parseProblem(response);
      // The refresh token is dead (expired, already used, revoked): only a new login helps.
      // Other failures (429, 5xx, no network) keep it: the next request may refresh again.
      if (response.status === 400 || response.status === 401) {
        this.logOut('expired');
        throw new ApiError({
          status: problem.status,
          code: problem.code,
          detail: 'Your session has expired. Please log in again.',
          requestId: problem.requestId,
        });
      }
      throw problem;
    }
    const pair = (await response.json()) as TokenPair;
    this.tokens.set(pair); // the refresh token rotates: the old one no longer works
    return pair.access_token;
  }

  private async fetchOnce(method: string, path: string, options: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: options.signal,
        credentials: 'omit',
      });
    } catch (error) {
      if (isAbortError(error) || options.signal?.aborted) throw error;
      throw new ApiError({
        status: 0,
        code: 'NETWORK_ERROR',
        detail: 'Could not reach the server. Check your connection and try again.',
      });
    }
  }
}

async function readBody<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (!text) return undefined as T;
  const type = response.headers.get('Content-Type') ?? '';
  if (type.includes('json')) return JSON.parse(text) as T;
  return text as T;
}

// --- The app's client ---------------------------------------------------------------

function browserStorage(): KeyValueStorage | null {
  try {
    return typeof window !== 'undefined' && window.localStorage ? window.localStorage : null;
  } catch {
    return null;
  }
}

/** The client every page uses. Tests build their own ApiClient with a fake fetch. */
export const api = new ApiClient({ tokens: new TokenStore(browserStorage()) });

if (typeof window !== 'undefined') {
  // Another tab logged in, out, or rotated the refresh token: use what it stored.
  window.addEventListener('storage', (event) => {
    if (event.key === api.tokens.storageKey || event.key === null) api.tokens.reload();
  });
}
