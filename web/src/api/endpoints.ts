// One typed function per endpoint of the contract, grouped by resource. Pages call these;
// only client.ts knows about fetch, tokens and problem details.

import { api } from './client';
import type {
  ApiKeyStatus,
  Attempt,
  Credentials,
  Dashboard,
  Feedback,
  JobPosting,
  JobPostingInput,
  Message,
  Operation,
  Page,
  QuestionType,
  Resume,
  Session,
  SessionDetail,
  SessionFilters,
  TokenPair,
  User,
} from './types';

// --- Authentication and the account ------------------------------------------------

export const auth = {
  register: (body: Credentials) => api.post<User>('/auth/register', body, { auth: false }),

  async login(body: Credentials): Promise<void> {
    const tokens = await api.post<TokenPair>('/auth/login', body, { auth: false });
    api.tokens.set(tokens);
  },

  /** Revokes the refresh token on the server, then forgets both tokens whatever it said. */
  async logout(): Promise<void> {
    const refresh_token = api.tokens.refresh;
    try {
      // The refresh token in the body is the credential; a 401 here needs no refresh.
      if (refresh_token) await api.post<void>('/auth/logout', { refresh_token }, { refresh: false });
    } finally {
      api.logOut('logout');
    }
  },

  me: () => api.get<User>('/users/me'),

  /** 204; every refresh token issued before stops working, so the caller logs in again. */
  changePassword: (current_password: string, new_password: string) =>
    api.post<void>('/users/me/password', { current_password, new_password }),

  async deleteAccount(password: string): Promise<void> {
    await api.delete('/users/me', { password });
    api.logOut('logout');
  },
};

// --- Résumé (one per user) -----------------------------------------------------------

export const resumes = {
  create: (content: string) => api.post<Resume>('/resumes', { content }),
  get: () => api.get<Resume>('/resumes/me'),
  update: (content: string) => api.put<Resume>('/resumes/me', { content }),
  remove: () => api.delete('/resumes/me'),
};

// --- Job postings --------------------------------------------------------------------

export const postings = {
  list: (page = 1) => api.get<Page<JobPosting>>('/job-postings', { query: { page: page > 1 ? page : undefined } }),
  get: (id: string) => api.get<JobPosting>(`/job-postings/${id}`),
  create: (body: JobPostingInput) => api.post<JobPosting>('/job-postings', body),
  update: (id: string, body: JobPostingInput) => api.put<JobPosting>(`/job-postings/${id}`, body),
  remove: (id: string) => api.delete(`/job-postings/${id}`),
};

// --- Interview sessions ------------------------------------------------------------

export const sessions = {
  start: (job_posting_id: string) => api.post<Session>('/sessions', { job_posting_id }),
  list: ({ page, ...filters }: SessionFilters = {}) =>
    api.get<Page<Session>>('/sessions', { query: { ...filters, page: page && page > 1 ? page : undefined } }),
  get: (id: string) => api.get<SessionDetail>(`/sessions/${id}`),
  messages: (id: string) => api.get<Message[]>(`/sessions/${id}/messages`),
  answer: (id: string, answer_text: string) => api.post<Message>(`/sessions/${id}/answers`, { answer_text }),
  pause: (id: string) => api.post<Session>(`/sessions/${id}/pause`),
  resume: (id: string) => api.post<Session>(`/sessions/${id}/resume`),
  complete: (id: string) => api.post<Session>(`/sessions/${id}/complete`),
  remove: (id: string) => api.delete(`/sessions/${id}`),
  retake: (id: string) => api.post<Session>(`/sessions/${id}/retake`),
  attempts: (id: string) => api.get<Attempt[]>(`/sessions/${id}/attempts`),

  /** 202 with an Operation whose result is the new question Message. */
  generateQuestion: (id: string, question_type?: QuestionType) =>
    api.post<Operation<Message>>(`/sessions/${id}/generate-question`, question_type ? { question_type } : undefined),

  /** 202 with an Operation whose result is the Feedback. */
  generateFeedback: (id: string) => api.post<Operation<Feedback>>(`/sessions/${id}/generate-feedback`),

  /** The feedback, or null while there is none (404 `FEEDBACK_NOT_FOUND`). */
  async feedback(id: string): Promise<Feedback | null> {
    try {
      return await api.get<Feedback>(`/sessions/${id}/feedback`);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'FEEDBACK_NOT_FOUND') return null;
      throw error;
    }
  },
};

// --- Progress and settings ----------------------------------------------------------

export const me = {
  dashboard: () => api.get<Dashboard>('/users/me/dashboard'),
  apiKey: () => api.get<ApiKeyStatus>('/users/me/api-key'),
  setApiKey: (api_key: string) => api.put<ApiKeyStatus>('/users/me/api-key', { api_key }),
  removeApiKey: () => api.delete('/users/me/api-key'),
};
