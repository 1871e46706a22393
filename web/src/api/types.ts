// The shapes of /work/shared/contract/API.md ("the contract"), one interface per resource.
// Timestamps are ISO 8601 strings; ids are UUID strings.

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details as the API sends them (application/problem+json). */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  instance?: string;
  errors?: FieldError[];
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

// --- Authentication -------------------------------------------------------------

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export interface User {
  id: string;
  email: string;
  created_at: string;
}

export interface Credentials {
  email: string;
  password: string;
}

// --- Résumé -----------------------------------------------------------------------

export interface Resume {
  id: string;
  content: string;
  created_at: string;
  updated_at: string;
}

// --- Job postings -----------------------------------------------------------------

export interface JobPosting {
  id: string;
  title: string;
  company: string;
  description: string;
  experience_level: string;
  tech_stack: string[];
  /** BCP 47 tag (`en`, `de`, `pt-BR`); questions and feedback are written in it. */
  language: string;
  created_at: string;
  updated_at: string;
}

export type JobPostingInput = Pick<JobPosting, 'title' | 'description'> &
  Partial<Pick<JobPosting, 'company' | 'experience_level' | 'tech_stack' | 'language'>>;

// --- Sessions and messages -------------------------------------------------------

export type SessionStatus = 'active' | 'paused' | 'completed';
export type QuestionType = 'technical' | 'behavioral' | 'situational';
export const QUESTION_TYPES: QuestionType[] = ['technical', 'behavioral', 'situational'];

export interface Session {
  id: string;
  job_posting: Pick<JobPosting, 'id' | 'title' | 'company'>;
  status: SessionStatus;
  current_question_number: number;
  attempt_number: number;
  retake_of: string | null;
  overall_score: number | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface Message {
  id: string;
  message_type: 'question' | 'answer';
  content: string;
  question_type: QuestionType | null;
  created_at: string;
}

/** `GET /sessions/{id}`: the session plus the full posting, the résumé text and the transcript. */
export interface SessionDetail extends Omit<Session, 'job_posting'> {
  job_posting: JobPosting;
  resume: string | null;
  messages: Message[];
}

export interface SessionFilters {
  status?: SessionStatus | '';
  job_posting_id?: string;
  has_feedback?: 'true' | 'false' | '';
  page?: number;
}

// --- Feedback ---------------------------------------------------------------------

export interface Feedback {
  id: string;
  session_id: string;
  technical_accuracy_score: number;
  communication_clarity_score: number;
  problem_solving_score: number;
  relevance_score: number;
  overall_score: number;
  technical_feedback: string;
  communication_feedback: string;
  problem_solving_feedback: string;
  relevance_feedback: string;
  overall_comments: string;
  knowledge_gaps: string[];
  learning_recommendations: string[];
  created_at: string;
  updated_at: string;
}

export type ScoreKey =
  | 'technical_accuracy_score'
  | 'communication_clarity_score'
  | 'problem_solving_score'
  | 'relevance_score';

/** The four dimensions, in the order the contract lists them, with their display names. */
export const SCORE_DIMENSIONS: { key: ScoreKey; label: string }[] = [
  { key: 'technical_accuracy_score', label: 'Technical accuracy' },
  { key: 'communication_clarity_score', label: 'Communication clarity' },
  { key: 'problem_solving_score', label: 'Problem solving' },
  { key: 'relevance_score', label: 'Relevance' },
];

// --- Operations (asynchronous model work) ------------------------------------------

export type OperationType = 'feedback_analysis' | 'question_generation';
export type OperationStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface Operation<R = unknown> {
  id: string;
  operation_type: OperationType;
  status: OperationStatus;
  /** null until completed: the Feedback (feedback_analysis) or the question Message. */
  result: R | null;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface StreamTicket {
  ticket: string;
  expires_in: number;
}

// --- Retakes and progress --------------------------------------------------------

export interface Attempt {
  id: string;
  attempt_number: number;
  status: SessionStatus;
  completed_at: string | null;
  overall_score: number | null;
  technical_accuracy_score: number | null;
  communication_clarity_score: number | null;
  problem_solving_score: number | null;
  relevance_score: number | null;
}

export interface Dashboard {
  completed_sessions: number;
  questions_answered: number;
  average_overall_score: number | null;
  best_overall_score: number | null;
  dimension_averages: {
    technical_accuracy: number | null;
    communication_clarity: number | null;
    problem_solving: number | null;
    relevance: number | null;
  };
  score_trend: {
    session_id: string;
    job_posting_title: string;
    completed_at: string;
    overall_score: number;
  }[];
  top_roles: { title: string; sessions: number }[];
}

// --- The user's own model key ----------------------------------------------------

export interface ApiKeyStatus {
  configured: boolean;
  /** The key's last four characters ("…a1b2"), never the key. */
  key_hint: string | null;
  validated_at: string | null;
}
