#!/usr/bin/env node
// A stand-in for the Django back end, for developing and testing the web client without it:
// the contract (shared/contract/API.md) in memory, with a fake "AI" that writes questions
// and feedback after a short delay. Not the product: nothing here is stored, checked for
// security, or meant to match the real server beyond the HTTP contract.
//
//   node mock/server.mjs            # http://127.0.0.1:8010/api/v1
//   MOCK_API_PORT=8011 MOCK_ACCESS_TTL=5 MOCK_AI_DELAY_MS=300 node mock/server.mjs
//
// A job posting whose description contains "[fail-once]" makes the first model operation
// of each of its sessions fail (AI_TIMEOUT), to try Retry. "[no-stream]" in it makes the
// stream-ticket endpoint answer 404, to try the long-poll fallback; "[slow]" makes the
// model take twenty times as long, to try Cancel.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const PORT = Number(process.env.MOCK_API_PORT || 8010);
const HOST = process.env.MOCK_API_HOST || '127.0.0.1';
const ACCESS_TTL = Number(process.env.MOCK_ACCESS_TTL || 300); // seconds
const AI_DELAY = Number(process.env.MOCK_AI_DELAY_MS || 1200);
const MAX_QUESTIONS = 10;
const BASE = '/api/v1';

// --- State ---------------------------------------------------------------------------

const users = new Map(); // id → {id, email, password, created_at, apiKey}
const access = new Map(); // token → {userId, expires}
const refresh = new Map(); // token → userId
const resumes = new Map(); // userId → resume
const postings = new Map(); // id → posting (+ userId)
const sessions = new Map(); // id → session (+ userId, messages[])
const feedback = new Map(); // sessionId → feedback
const operations = new Map(); // id → operation (+ userId, sessionId, listeners)
const tickets = new Map(); // ticket → {operationId, expires}
const failedOnce = new Set(); // sessionIds whose "[fail-once]" failure has happened

const now = () => new Date().toISOString();

// --- HTTP helpers ---------------------------------------------------------------------

class Problem extends Error {
  constructor(status, code, detail, errors) {
    super(detail);
    Object.assign(this, { status, code, detail, errors });
  }
}

const TITLES = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 429: 'Too Many Requests' };

function cors(res) {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
  res.setHeader('Access-Control-Expose-Headers', 'Location, Retry-After, X-Request-ID');
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'X-Request-ID': randomUUID(), ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function sendProblem(res, p) {
  const body = { type: 'about:blank', title: TITLES[p.status] || 'Error', status: p.status, detail: p.detail, code: p.code };
  if (p.errors) body.errors = p.errors;
  res.writeHead(p.status, { 'Content-Type': 'application/problem+json', 'X-Request-ID': randomUUID() });
  res.end(JSON.stringify(body));
}

const validation = (errors) => new Problem(400, 'VALIDATION_ERROR', 'Invalid input.', errors);
const notFound = () => new Problem(404, 'NOT_FOUND', 'Not found.');

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new Problem(400, 'PARSE_ERROR', 'The request body is not valid JSON.');
  }
}

function page(req, items) {
  const url = new URL(req.url, 'http://x');
  const n = Math.max(1, Number(url.searchParams.get('page')) || 1);
  const size = 20;
  const link = (p) => {
    const u = new URL(`http://${req.headers.host}${url.pathname}${url.search}`);
    u.searchParams.set('page', String(p));
    return u.toString();
  };
  return {
    count: items.length,
    next: n * size < items.length ? link(n + 1) : null,
    previous: n > 1 ? link(n - 1) : null,
    results: items.slice((n - 1) * size, n * size),
  };
}

const newestFirst = (a, b) => (a.created_at < b.created_at ? 1 : -1);

// --- Auth ------------------------------------------------------------------------------

function issueTokens(userId) {
  const accessToken = `acc-${randomUUID()}`;
  const refreshToken = `ref-${randomUUID()}`;
  access.set(accessToken, { userId, expires: Date.now() + ACCESS_TTL * 1000 });
  refresh.set(refreshToken, userId);
  return { access_token: accessToken, refresh_token: refreshToken, token_type: 'bearer', expires_in: ACCESS_TTL };
}

function authenticate(req, url) {
  const header = req.headers.authorization || '';
  if (!header) {
    // The stream accepts its ticket instead (and nothing else does).
    const ticket = url.searchParams.get('ticket');
    if (ticket && /\/operations\/[^/]+\/events$/.test(url.pathname)) {
      const t = tickets.get(ticket);
      tickets.delete(ticket);
      if (t && t.expires > Date.now()) return { userId: operations.get(t.operationId)?.userId, ticketFor: t.operationId };
      throw new Problem(401, 'INVALID_TOKEN', 'The stream ticket is invalid or has expired.');
    }
    throw new Problem(401, 'NOT_AUTHENTICATED', 'Authentication credentials were not provided.');
  }
  const token = header.replace(/^Bearer\s+/i, '');
  const entry = access.get(token);
  if (!entry || entry.expires < Date.now() || !users.has(entry.userId)) {
    throw new Problem(401, 'INVALID_TOKEN', 'The access token is invalid or has expired.');
  }
  return { userId: entry.userId };
}

function revokeUser(userId) {
  for (const [t, u] of refresh) if (u === userId) refresh.delete(t);
}

// --- Serialisers ----------------------------------------------------------------------

function postingOut(p) {
  const { userId: _u, ...rest } = p;
  return rest;
}

function sessionOut(s) {
  const p = postings.get(s.postingId);
  return {
    id: s.id,
    job_posting: { id: p.id, title: p.title, company: p.company },
    status: s.status,
    current_question_number: s.messages.filter((m) => m.message_type === 'question').length,
    attempt_number: s.attempt_number,
    retake_of: s.retake_of,
    overall_score: feedback.get(s.id)?.overall_score ?? null,
    created_at: s.created_at,
    updated_at: s.updated_at,
    completed_at: s.completed_at,
  };
}

function operationOut(o) {
  const { userId: _u, sessionId: _s, listeners: _l, question_type: _q, ...rest } = o;
  return rest;
}

function ownSession(userId, id) {
  const s = sessions.get(id);
  if (!s || s.userId !== userId) throw notFound();
  return s;
}

function ownPosting(userId, id) {
  const p = postings.get(id);
  if (!p || p.userId !== userId) throw notFound();
  return p;
}

// --- The fake AI and the operations ----------------------------------------------------

const QUESTIONS = {
  technical: ['How would you design a rate limiter for a public API?', 'Explain how a database index speeds up a query, and when it does not.', 'What happens between typing a URL and seeing the page?'],
  behavioral: ['Tell me about a time you disagreed with a teammate. What did you do?', 'Describe a project you are proud of and your part in it.'],
  situational: ['Production is down and the on-call engineer is unreachable. What do you do first?', 'A stakeholder asks for a feature the day before release. How do you respond?'],
};

function setStatus(op, status, extra = {}) {
  if (['completed', 'failed', 'cancelled'].includes(op.status)) return false; // finished never changes
  Object.assign(op, { status, updated_at: now(), ...extra });
  if (status === 'processing') op.started_at = now();
  if (['completed', 'failed', 'cancelled'].includes(status)) op.finished_at = now();
  for (const listener of op.listeners) listener();
  return true;
}

function runOperation(op) {
  const slow = postings.get(sessions.get(op.sessionId)?.postingId)?.description.includes('[slow]');
  setTimeout(() => setStatus(op, 'processing'), Math.min(300, AI_DELAY / 3));
  setTimeout(() => {
    const s = sessions.get(op.sessionId);
    if (!s || op.status !== 'processing') return;
    const posting = postings.get(s.postingId);
    if (posting.description.includes('[fail-once]') && !failedOnce.has(`${s.id}:${op.operation_type}`)) {
      failedOnce.add(`${s.id}:${op.operation_type}`);
      setStatus(op, 'failed', { error_code: 'AI_TIMEOUT', error_message: 'The AI service is not responding. Please try again in a few minutes.' });
      return;
    }
    if (op.operation_type === 'question_generation') {
      if (s.status !== 'active') return setStatus(op, 'failed', { error_code: 'SESSION_NOT_ACTIVE', error_message: 'The session is no longer active.' });
      const type = op.question_type || ['technical', 'behavioral', 'situational'][s.messages.length % 3];
      const asked = s.messages.filter((m) => m.message_type === 'question').length;
      const pool = QUESTIONS[type];
      const message = { id: randomUUID(), message_type: 'question', content: `${pool[asked % pool.length]} (${posting.title})`, question_type: type, created_at: now() };
      s.messages.push(message);
      s.updated_at = now();
      setStatus(op, 'completed', { result: message });
    } else {
      const answers = s.messages.filter((m) => m.message_type === 'answer');
      const base = Math.min(95, 55 + answers.reduce((n, a) => n + Math.min(10, Math.floor(a.content.length / 20)), 0));
      const scores = [base, base - 7, base + 3, base - 2].map((v) => Math.max(0, Math.min(100, v)));
      const mean = scores.reduce((a, b) => a + b, 0) / 4;
      const fb = {
        id: randomUUID(),
        session_id: s.id,
        technical_accuracy_score: scores[0],
        communication_clarity_score: scores[1],
        problem_solving_score: scores[2],
        relevance_score: scores[3],
        overall_score: Math.floor(mean + 0.5),
        technical_feedback: 'Your answers showed a sound grasp of the fundamentals.',
        communication_feedback: 'Structure your answers: situation, action, result.',
        problem_solving_feedback: 'You broke problems down well; say your trade-offs aloud.',
        relevance_feedback: 'Tie examples more closely to the job description.',
        overall_comments: `A solid attempt with ${answers.length} answer(s). Keep practising.`,
        knowledge_gaps: ['Caching strategies', 'Database indexing'],
        learning_recommendations: ['Read about HTTP caching headers', 'Practise explaining query plans'],
        created_at: now(),
        updated_at: now(),
      };
      feedback.set(s.id, fb);
      setStatus(op, 'completed', { result: fb });
    }
  }, slow ? AI_DELAY * 20 : AI_DELAY);
}

function startOperation(res, userId, session, type, extra = {}) {
  const running = [...operations.values()].find(
    (o) => o.sessionId === session.id && o.operation_type === type && ['pending', 'processing'].includes(o.status),
  );
  const op =
    running ??
    {
      id: randomUUID(),
      operation_type: type,
      status: 'pending',
      result: null,
      error_code: null,
      error_message: null,
      created_at: now(),
      updated_at: now(),
      started_at: null,
      finished_at: null,
      userId,
      sessionId: session.id,
      listeners: new Set(),
      ...extra,
    };
  if (!running) {
    operations.set(op.id, op);
    runOperation(op);
  }
  send(res, 202, operationOut(op), { Location: `${BASE}/operations/${op.id}`, 'Retry-After': '2' });
}

function checkGenerateQuestion(s) {
  if (s.status !== 'active') throw new Problem(400, 'SESSION_NOT_ACTIVE', 'The session is not active.');
  if (s.messages.at(-1)?.message_type === 'question') throw new Problem(409, 'QUESTION_ALREADY_OPEN', 'Answer the open question first.');
  if (s.messages.filter((m) => m.message_type === 'question').length >= MAX_QUESTIONS) {
    throw new Problem(400, 'QUESTION_LIMIT_REACHED', `A session has at most ${MAX_QUESTIONS} questions.`);
  }
}

function checkGenerateFeedback(s) {
  if (s.status !== 'completed') throw new Problem(400, 'SESSION_NOT_COMPLETED', 'Complete the session first.');
  if (!s.messages.some((m) => m.message_type === 'answer')) throw new Problem(400, 'NO_ANSWERS_TO_ANALYZE', 'The session has no answers to analyse.');
  if (feedback.has(s.id)) throw new Problem(409, 'FEEDBACK_ALREADY_EXISTS', 'Feedback already exists for this session');
}

// --- Routes ----------------------------------------------------------------------------

const routes = [];
const route = (method, pattern, handler, { open = false } = {}) =>
  routes.push({ method, regex: new RegExp(`^${BASE}${pattern.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`), handler, open });

route('POST', '/auth/register', async (req, res) => {
  const { email, password } = await readJson(req);
  const errors = [];
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.push({ field: 'email', message: 'Enter a valid email address.' });
  if (typeof password !== 'string' || password.length < 8) errors.push({ field: 'password', message: 'This password is too short. It must contain at least 8 characters.' });
  if (errors.length) throw validation(errors);
  if ([...users.values()].some((u) => u.email === email.toLowerCase())) throw new Problem(409, 'EMAIL_ALREADY_REGISTERED', 'An account with this email already exists.');
  const user = { id: randomUUID(), email: email.toLowerCase(), password, created_at: now(), apiKey: null };
  users.set(user.id, user);
  send(res, 201, { id: user.id, email: user.email, created_at: user.created_at });
}, { open: true });

route('POST', '/auth/login', async (req, res) => {
  const { email, password } = await readJson(req);
  const user = [...users.values()].find((u) => u.email === String(email ?? '').toLowerCase());
  if (!user || user.password !== password) throw new Problem(401, 'INVALID_CREDENTIALS', 'Invalid email or password.');
  send(res, 200, issueTokens(user.id));
}, { open: true });

route('POST', '/auth/refresh', async (req, res) => {
  const { refresh_token } = await readJson(req);
  const userId = refresh.get(refresh_token);
  if (!userId) throw new Problem(401, 'INVALID_TOKEN', 'The refresh token is invalid or has expired.');
  refresh.delete(refresh_token); // rotation: the old one stops working
  send(res, 200, issueTokens(userId));
}, { open: true });

route('POST', '/auth/logout', async (req, res) => {
  const { refresh_token } = await readJson(req);
  if (!refresh.delete(refresh_token)) throw new Problem(401, 'INVALID_TOKEN', 'The refresh token is invalid or has expired.');
  send(res, 204);
}, { open: true });

route('GET', '/users/me', (req, res, { userId }) => {
  const u = users.get(userId);
  send(res, 200, { id: u.id, email: u.email, created_at: u.created_at });
});

route('POST', '/users/me/password', async (req, res, { userId }) => {
  const { current_password, new_password } = await readJson(req);
  const u = users.get(userId);
  if (u.password !== current_password) throw new Problem(400, 'INVALID_CREDENTIALS', 'The current password is wrong.');
  if (typeof new_password !== 'string' || new_password.length < 8) throw validation([{ field: 'new_password', message: 'This password is too short. It must contain at least 8 characters.' }]);
  u.password = new_password;
  revokeUser(userId);
  send(res, 204);
});

route('DELETE', '/users/me', async (req, res, { userId }) => {
  const { password } = await readJson(req);
  const u = users.get(userId);
  if (u.password !== password) throw new Problem(400, 'INVALID_CREDENTIALS', 'The password is wrong.');
  if ([...operations.values()].some((o) => o.userId === userId && ['pending', 'processing'].includes(o.status))) {
    throw new Problem(409, 'OPERATION_IN_PROGRESS', 'Wait for your running operations to finish, or cancel them.');
  }
  users.delete(userId);
  revokeUser(userId);
  send(res, 204);
});

route('GET', '/users/me/api-key', (req, res, { userId }) => {
  const k = users.get(userId).apiKey;
  send(res, 200, k ? { configured: true, key_hint: `…${k.key.slice(-4)}`, validated_at: k.validated_at } : { configured: false, key_hint: null, validated_at: null });
});

route('PUT', '/users/me/api-key', async (req, res, { userId }) => {
  const { api_key } = await readJson(req);
  if (typeof api_key !== 'string' || !api_key.trim() || api_key.length > 512) throw validation([{ field: 'api_key', message: 'Enter a key of 1 to 512 characters.' }]);
  if (api_key.includes('bad')) throw new Problem(400, 'AI_KEY_REJECTED', 'The provider rejected this key.');
  users.get(userId).apiKey = { key: api_key.trim(), validated_at: now() };
  send(res, 200, { configured: true, key_hint: `…${api_key.trim().slice(-4)}`, validated_at: now() });
});

route('DELETE', '/users/me/api-key', (req, res, { userId }) => {
  users.get(userId).apiKey = null;
  send(res, 204);
});

route('GET', '/users/me/dashboard', (req, res, { userId }) => {
  const mine = [...sessions.values()].filter((s) => s.userId === userId);
  const completed = mine.filter((s) => s.status === 'completed');
  const scored = completed.filter((s) => feedback.has(s.id)).sort((a, b) => (a.completed_at < b.completed_at ? -1 : 1));
  const fbs = scored.map((s) => feedback.get(s.id));
  const avg = (key) => (fbs.length ? fbs.reduce((n, f) => n + f[key], 0) / fbs.length : null);
  const roles = new Map();
  for (const s of completed) {
    const title = postings.get(s.postingId).title;
    roles.set(title, (roles.get(title) || 0) + 1);
  }
  send(res, 200, {
    completed_sessions: completed.length,
    questions_answered: mine.reduce((n, s) => n + s.messages.filter((m) => m.message_type === 'answer').length, 0),
    average_overall_score: avg('overall_score'),
    best_overall_score: fbs.length ? Math.max(...fbs.map((f) => f.overall_score)) : null,
    dimension_averages: {
      technical_accuracy: avg('technical_accuracy_score'),
      communication_clarity: avg('communication_clarity_score'),
      problem_solving: avg('problem_solving_score'),
      relevance: avg('relevance_score'),
    },
    score_trend: scored.slice(-20).map((s) => ({ session_id: s.id, job_posting_title: postings.get(s.postingId).title, completed_at: s.completed_at, overall_score: feedback.get(s.id).overall_score })),
    top_roles: [...roles].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([title, n]) => ({ title, sessions: n })),
  });
});

route('POST', '/resumes', async (req, res, { userId }) => {
  const { content } = await readJson(req);
  if (typeof content !== 'string' || !content.trim()) throw validation([{ field: 'content', message: 'This field may not be blank.' }]);
  if (resumes.has(userId)) throw new Problem(409, 'RESUME_ALREADY_EXISTS', 'You already have a résumé.');
  const r = { id: randomUUID(), content, created_at: now(), updated_at: now() };
  resumes.set(userId, r);
  send(res, 201, r);
});

route('GET', '/resumes/me', (req, res, { userId }) => {
  if (!resumes.has(userId)) throw notFound();
  send(res, 200, resumes.get(userId));
});

route('PUT', '/resumes/me', async (req, res, { userId }) => {
  const r = resumes.get(userId);
  if (!r) throw notFound();
  const { content } = await readJson(req);
  if (typeof content !== 'string' || !content.trim()) throw validation([{ field: 'content', message: 'This field may not be blank.' }]);
  Object.assign(r, { content, updated_at: now() });
  send(res, 200, r);
});

route('DELETE', '/resumes/me', (req, res, { userId }) => {
  if (!resumes.delete(userId)) throw notFound();
  send(res, 204);
});

function validatePosting(body, partial) {
  const errors = [];
  for (const f of ['title', 'description']) {
    if (!partial || f in body) if (typeof body[f] !== 'string' || !body[f].trim()) errors.push({ field: f, message: 'This field may not be blank.' });
  }
  if ('tech_stack' in body) {
    if (!Array.isArray(body.tech_stack)) errors.push({ field: 'tech_stack', message: 'Expected a list of items.' });
    else body.tech_stack.forEach((t, i) => typeof t === 'string' && t.length > 50 && errors.push({ field: `tech_stack.${i}`, message: 'Ensure this field has no more than 50 characters.' }));
  }
  if ('language' in body && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(String(body.language))) {
    errors.push({ field: 'language', message: 'Enter a BCP 47 language tag such as en, de or pt-BR.' });
  }
  if (errors.length) throw validation(errors);
}

const POSTING_FIELDS = ['title', 'company', 'description', 'experience_level', 'tech_stack', 'language'];
const pick = (body) => Object.fromEntries(POSTING_FIELDS.filter((f) => f in body).map((f) => [f, body[f]]));

route('POST', '/job-postings', async (req, res, { userId }) => {
  const body = await readJson(req);
  validatePosting(body, false);
  const p = { id: randomUUID(), company: '', experience_level: '', tech_stack: [], language: 'en', ...pick(body), created_at: now(), updated_at: now(), userId };
  postings.set(p.id, p);
  send(res, 201, postingOut(p));
});

route('GET', '/job-postings', (req, res, { userId }) => {
  send(res, 200, page(req, [...postings.values()].filter((p) => p.userId === userId).sort(newestFirst).map(postingOut)));
});

route('GET', '/job-postings/:id', (req, res, { userId }, { id }) => send(res, 200, postingOut(ownPosting(userId, id))));

for (const method of ['PUT', 'PATCH']) {
  route(method, '/job-postings/:id', async (req, res, { userId }, { id }) => {
    const p = ownPosting(userId, id);
    const body = await readJson(req);
    validatePosting(body, method === 'PATCH');
    Object.assign(p, pick(body), { updated_at: now() });
    send(res, 200, postingOut(p));
  });
}

route('DELETE', '/job-postings/:id', (req, res, { userId }, { id }) => {
  ownPosting(userId, id);
  postings.delete(id);
  for (const s of [...sessions.values()]) if (s.postingId === id) sessions.delete(s.id);
  send(res, 204);
});

function newSession(userId, postingId, retakeOf) {
  const first = retakeOf ? sessions.get(retakeOf) : null;
  const chain = first ? [...sessions.values()].filter((s) => s.id === first.id || s.retake_of === first.id) : [];
  const s = {
    id: randomUUID(),
    userId,
    postingId,
    status: 'active',
    attempt_number: first ? Math.max(...chain.map((c) => c.attempt_number)) + 1 : 1,
    retake_of: first ? first.id : null,
    messages: [],
    created_at: now(),
    updated_at: now(),
    completed_at: null,
  };
  sessions.set(s.id, s);
  return s;
}

route('POST', '/sessions', async (req, res, { userId }) => {
  const { job_posting_id } = await readJson(req);
  ownPosting(userId, job_posting_id);
  send(res, 201, sessionOut(newSession(userId, job_posting_id, null)));
});

route('GET', '/sessions', (req, res, { userId }) => {
  const q = new URL(req.url, 'http://x').searchParams;
  let list = [...sessions.values()].filter((s) => s.userId === userId);
  if (q.get('status')) list = list.filter((s) => s.status === q.get('status'));
  if (q.get('job_posting_id')) list = list.filter((s) => s.postingId === q.get('job_posting_id'));
  if (q.get('has_feedback')) list = list.filter((s) => feedback.has(s.id) === (q.get('has_feedback') === 'true'));
  send(res, 200, page(req, list.sort(newestFirst).map(sessionOut)));
});

route('GET', '/sessions/:id', (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  send(res, 200, { ...sessionOut(s), job_posting: postingOut(postings.get(s.postingId)), resume: resumes.get(userId)?.content ?? null, messages: s.messages });
});

route('GET', '/sessions/:id/messages', (req, res, { userId }, { id }) => send(res, 200, ownSession(userId, id).messages));

route('POST', '/sessions/:id/answers', async (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  if (s.status !== 'active') throw new Problem(400, 'SESSION_NOT_ACTIVE', 'The session is not active.');
  const { answer_text } = await readJson(req);
  if (typeof answer_text !== 'string' || !answer_text.trim()) throw validation([{ field: 'answer_text', message: 'This field may not be blank.' }]);
  if (s.messages.at(-1)?.message_type !== 'question') throw new Problem(400, 'VALIDATION_ERROR', 'There is no open question to answer.');
  const m = { id: randomUUID(), message_type: 'answer', content: answer_text, question_type: null, created_at: now() };
  s.messages.push(m);
  s.updated_at = now();
  send(res, 201, m);
});

route('POST', '/sessions/:id/pause', (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  if (s.status !== 'active') throw new Problem(400, 'SESSION_NOT_ACTIVE', 'The session is not active.');
  s.status = 'paused';
  send(res, 200, sessionOut(s));
});

route('POST', '/sessions/:id/resume', (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  if (s.status !== 'paused') throw new Problem(400, 'SESSION_NOT_PAUSED', 'The session is not paused.');
  s.status = 'active';
  send(res, 200, sessionOut(s));
});

route('POST', '/sessions/:id/complete', (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  if (s.status === 'completed') throw new Problem(400, 'SESSION_ALREADY_COMPLETED', 'The session is already completed.');
  Object.assign(s, { status: 'completed', completed_at: now(), updated_at: now() });
  send(res, 200, sessionOut(s));
});

route('DELETE', '/sessions/:id', (req, res, { userId }, { id }) => {
  ownSession(userId, id);
  if ([...operations.values()].some((o) => o.sessionId === id && ['pending', 'processing'].includes(o.status))) {
    throw new Problem(409, 'OPERATION_IN_PROGRESS', 'An operation on this session is still running. Cancel it first.');
  }
  sessions.delete(id);
  feedback.delete(id);
  send(res, 204);
});

route('POST', '/sessions/:id/retake', (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  if (s.status !== 'completed') throw new Problem(400, 'SESSION_NOT_COMPLETED', 'Complete the session first.');
  send(res, 201, sessionOut(newSession(userId, s.postingId, s.retake_of ?? s.id)));
});

route('GET', '/sessions/:id/attempts', (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  const first = s.retake_of ?? s.id;
  const chain = [...sessions.values()].filter((c) => c.id === first || c.retake_of === first).sort((a, b) => a.attempt_number - b.attempt_number);
  send(res, 200, chain.map((c) => {
    const f = feedback.get(c.id);
    return {
      id: c.id,
      attempt_number: c.attempt_number,
      status: c.status,
      completed_at: c.completed_at,
      overall_score: f?.overall_score ?? null,
      technical_accuracy_score: f?.technical_accuracy_score ?? null,
      communication_clarity_score: f?.communication_clarity_score ?? null,
      problem_solving_score: f?.problem_solving_score ?? null,
      relevance_score: f?.relevance_score ?? null,
    };
  }));
});

route('POST', '/sessions/:id/generate-question', async (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  const { question_type } = await readJson(req);
  if (question_type !== undefined && !['technical', 'behavioral', 'situational'].includes(question_type)) {
    throw validation([{ field: 'question_type', message: `"${question_type}" is not a valid choice.` }]);
  }
  checkGenerateQuestion(s);
  startOperation(res, userId, s, 'question_generation', { question_type });
});

route('POST', '/sessions/:id/generate-feedback', (req, res, { userId }, { id }) => {
  const s = ownSession(userId, id);
  checkGenerateFeedback(s);
  startOperation(res, userId, s, 'feedback_analysis');
});

route('GET', '/sessions/:id/feedback', (req, res, { userId }, { id }) => {
  ownSession(userId, id);
  if (!feedback.has(id)) throw new Problem(404, 'FEEDBACK_NOT_FOUND', 'There is no feedback for this session yet.');
  send(res, 200, feedback.get(id));
});

function ownOperation(userId, id) {
  const o = operations.get(id);
  if (!o || o.userId !== userId) throw notFound();
  return o;
}

route('GET', '/operations/:id', async (req, res, { userId }, { id }) => {
  const o = ownOperation(userId, id);
  const wait = Math.min(30, Number(new URL(req.url, 'http://x').searchParams.get('wait')) || 0);
  const finished = () => ['completed', 'failed', 'cancelled'].includes(o.status);
  if (wait > 0 && !finished()) {
    await new Promise((resolve) => {
      const timer = setTimeout(done, wait * 1000);
      function done() {
        clearTimeout(timer);
        o.listeners.delete(done);
        resolve();
      }
      o.listeners.add(done);
      res.on('close', done);
    });
  }
  send(res, 200, operationOut(o), finished() ? {} : { 'Retry-After': '2' });
});

route('POST', '/operations/:id/stream-ticket', (req, res, { userId }, { id }) => {
  const o = ownOperation(userId, id);
  if (postings.get(sessions.get(o.sessionId)?.postingId)?.description.includes('[no-stream]')) throw notFound();
  const ticket = randomUUID();
  tickets.set(ticket, { operationId: id, expires: Date.now() + 60_000 });
  send(res, 201, { ticket, expires_in: 60 });
});

route('GET', '/operations/:id/events', (req, res, { userId, ticketFor }, { id }) => {
  const o = ownOperation(userId, id);
  if (ticketFor !== id) throw new Problem(401, 'INVALID_TOKEN', 'The stream ticket is for another operation.');
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
  const push = () => {
    res.write(`event: operation\ndata: ${JSON.stringify(operationOut(o))}\n\n`);
    if (['completed', 'failed', 'cancelled'].includes(o.status)) {
      o.listeners.delete(push);
      res.end();
    }
  };
  o.listeners.add(push);
  res.on('close', () => o.listeners.delete(push));
  push();
});

route('POST', '/operations/:id/retry', (req, res, { userId }, { id }) => {
  const o = ownOperation(userId, id);
  if (o.status !== 'failed') throw new Problem(409, 'OPERATION_NOT_FAILED', 'Only a failed operation can be retried.');
  const s = ownSession(userId, o.sessionId);
  if (o.operation_type === 'question_generation') checkGenerateQuestion(s);
  else checkGenerateFeedback(s);
  startOperation(res, userId, s, o.operation_type, o.question_type ? { question_type: o.question_type } : {});
});

route('POST', '/operations/:id/cancel', (req, res, { userId }, { id }) => {
  const o = ownOperation(userId, id);
  if (!setStatus(o, 'cancelled')) throw new Problem(409, 'OPERATION_ALREADY_FINISHED', 'This operation has already finished.');
  send(res, 200, operationOut(o));
});

route('GET', '/operations', (req, res, { userId }) => {
  const q = new URL(req.url, 'http://x').searchParams;
  let list = [...operations.values()].filter((o) => o.userId === userId);
  if (q.get('status')) list = list.filter((o) => o.status === q.get('status'));
  if (q.get('operation_type')) list = list.filter((o) => o.operation_type === q.get('operation_type'));
  send(res, 200, page(req, list.sort(newestFirst).map(operationOut)));
});

// --- Server ----------------------------------------------------------------------------

const server = createServer(async (req, res) => {
  cors(res);
  if (req.method === 'OPTIONS') return send(res, 204);
  const url = new URL(req.url, 'http://x');
  const candidates = routes.filter((r) => r.regex.test(url.pathname));
  try {
    if (!candidates.length) throw notFound();
    const r = candidates.find((c) => c.method === req.method);
    if (!r) throw new Problem(405, 'METHOD_NOT_ALLOWED', `Method "${req.method}" not allowed.`);
    const who = r.open ? {} : authenticate(req, url);
    await r.handler(req, res, who, url.pathname.match(r.regex).groups ?? {});
  } catch (error) {
    if (error instanceof Problem) return sendProblem(res, error);
    console.error(error);
    if (!res.headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/html' });
      res.end('<h1>Server Error (500)</h1>');
    }
  }
});

server.listen(PORT, HOST, () => console.log(`mock API on http://${HOST}:${PORT}${BASE} (access tokens live ${ACCESS_TTL} s)`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
