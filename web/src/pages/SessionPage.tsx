// One practice session: the transcript, "Next question" (AI-written, arrives live), the
// answer form, complete, "Get feedback" (arrives live), the feedback, retakes side by side.

import { useCallback, useEffect, useRef, useState } from 'react';

import { sessions } from '../api/endpoints';
import { QUESTION_TYPES } from '../api/types';
import type { Feedback, Message, QuestionType, SessionDetail } from '../api/types';
import { AttemptsTable } from '../components/AttemptsTable';
import { ConfirmButton } from '../components/ConfirmButton';
import { FeedbackView } from '../components/FeedbackView';
import { ErrorAlert, Loading, SelectField, TextAreaField } from '../components/forms';
import { OperationPanel } from '../components/OperationPanel';
import { capitalise, formatDate, sessionStatusText } from '../format';
import { useLoad } from '../hooks/useLoad';
import { useOperation } from '../hooks/useOperation';
import { usePageTitle } from '../hooks/usePageTitle';
import { useSubmit } from '../hooks/useSubmit';
import { Link, navigate } from '../router';
import { useStatus } from '../status';

type FocusTarget = 'answer' | 'next-question' | 'get-feedback' | 'feedback' | null;

/** The transcript with each question numbered; the open question is the last one if unanswered. */
function numberMessages(messages: Message[]) {
  let n = 0;
  return messages.map((m) => ({ message: m, number: m.message_type === 'question' ? ++n : n }));
}

export function SessionPage({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { announce } = useStatus();

  const detail = useLoad(() => sessions.get(id), [id]);
  const session: SessionDetail | undefined = detail.data;
  const completed = session?.status === 'completed';
  const feedback = useLoad<Feedback | null>(() => (completed ? sessions.feedback(id) : Promise.resolve(null)), [id, completed]);
  const attempts = useLoad(() => sessions.attempts(id), [id, completed, feedback.data?.id]);

  usePageTitle(session ? `Practice: ${session.job_posting.title}` : 'Practice session');

  // Focus follows the flow, so a keyboard user never lands on a button that just disappeared.
  const focusNext = useRef<FocusTarget>(null);
  const answerRef = useRef<HTMLTextAreaElement>(null);
  const nextQuestionRef = useRef<HTMLButtonElement>(null);
  const getFeedbackRef = useRef<HTMLButtonElement>(null);
  const feedbackRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const targets = { answer: answerRef, 'next-question': nextQuestionRef, 'get-feedback': getFeedbackRef, feedback: feedbackRef };
    const target = focusNext.current ? targets[focusNext.current].current : null;
    if (target) {
      target.focus();
      focusNext.current = null;
    }
  });

  const question = useOperation<Message>({
    rememberAs: `interview-feedback.operation.${id}.question`,
    onCompleted: () => {
      focusNext.current = 'answer';
      announce('The next question is ready.');
      void detail.reload();
    },
  });

  const analysis = useOperation<Feedback>({
    rememberAs: `interview-feedback.operation.${id}.feedback`,
    onCompleted: (op) => {
      focusNext.current = 'feedback';
      announce('Your feedback is ready.');
      if (op.result) feedback.setData(op.result);
      else void feedback.reload();
      void detail.reload();
      void attempts.reload();
    },
  });

  // After a reload, pick up model work that is still running.
  const { resumeRemembered: resumeQuestion } = question;
  const { resumeRemembered: resumeAnalysis } = analysis;
  useEffect(() => {
    void resumeQuestion();
    void resumeAnalysis();
  }, [resumeQuestion, resumeAnalysis]);

  const [questionType, setQuestionType] = useState<QuestionType | ''>('');
  const [answer, setAnswer] = useState('');

  const submitAnswer = useSubmit(
    useCallback(async () => {
      await sessions.answer(id, answer);
      setAnswer('');
      focusNext.current = 'next-question';
      announce('Answer saved.');
      await detail.reload();
    }, [id, answer, announce, detail]),
  );

  const [actionBusy, setActionBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const act = async (work: () => Promise<void>) => {
    setActionBusy(true);
    setActionError(null);
    try {
      await work();
    } catch (e) {
      setActionError(e);
    } finally {
      setActionBusy(false);
    }
  };

  const complete = () =>
    act(async () => {
      await sessions.complete(id);
      focusNext.current = 'get-feedback';
      announce('Session completed. You can now ask for feedback.');
      await detail.reload();
    });
  const pause = () =>
    act(async () => {
      await sessions.pause(id);
      announce('Session paused.');
      await detail.reload();
    });
  const resume = () =>
    act(async () => {
      await sessions.resume(id);
      announce('Session resumed.');
      await detail.reload();
    });
  const retake = () =>
    act(async () => {
      const next = await sessions.retake(id);
      announce(`Attempt ${next.attempt_number} started.`, { keep: true });
      navigate(`/sessions/${next.id}`);
    });
  const removal = useSubmit(
    useCallback(async () => {
      await sessions.remove(id); // 409 OPERATION_IN_PROGRESS while model work runs: cancel it first
      announce('Session deleted.', { keep: true });
      navigate('/sessions');
    }, [id, announce]),
  );

  if (!session) {
    return (
      <section>
        <h1 tabIndex={-1}>Practice session</h1>
        {detail.loading && <Loading what="the session" />}
        <ErrorAlert error={detail.error} />
        {detail.error != null && (
          <p>
            <Link to="/sessions">Back to your sessions</Link>
          </p>
        )}
      </section>
    );
  }

  const numbered = numberMessages(session.messages);
  const last = session.messages.at(-1);
  const openQuestion = last?.message_type === 'question' ? last : null;
  const questionCount = numbered.filter((m) => m.message.message_type === 'question').length;
  const answerCount = session.messages.length - questionCount;

  return (
    <section className="session" data-testid="session" data-status={session.status}>
      <h1 tabIndex={-1}>Practice: {session.job_posting.title}</h1>
      <p className="meta" data-testid="session-meta">
        {session.job_posting.company && <>{session.job_posting.company} · </>}
        Attempt {session.attempt_number ?? 1} · <span data-testid="session-status">{sessionStatusText(session.status)}</span> ·{' '}
        {questionCount} question{questionCount === 1 ? '' : 's'}, {answerCount} answered
        {session.completed_at && <> · completed {formatDate(session.completed_at)}</>}
      </p>
      {session.resume === null && (
        <p className="hint">
          You have no résumé on file: the questions will be general. <Link to="/resume">Add your résumé</Link>.
        </p>
      )}

      <h2>Transcript</h2>
      {numbered.length === 0 ? (
        <p>No questions yet.{session.status === 'active' && ' Press “Next question” to get the first one.'}</p>
      ) : (
        <ol className="transcript" data-testid="transcript">
          {numbered.map(({ message, number }) => (
            <li
              key={message.id}
              className={`message message--${message.message_type}`}
              data-testid={message.message_type === 'question' ? 'question' : 'answer'}
            >
              <p className="message__label">
                {message.message_type === 'question'
                  ? `Question ${number}${message.question_type ? ` (${message.question_type})` : ''}`
                  : `Your answer to question ${number}`}
              </p>
              <p className="prose">{message.content}</p>
            </li>
          ))}
        </ol>
      )}

      {session.status === 'active' && (
        <div className="practice" data-testid="practice">
          {openQuestion ? (
            <form onSubmit={submitAnswer.onSubmit} noValidate data-testid="answer-form">
              <ErrorAlert error={submitAnswer.error} fields={['answer_text']} />
              <TextAreaField
                ref={answerRef}
                label={`Your answer to question ${questionCount}`}
                name="answer_text"
                rows={8}
                required
                value={answer}
                onChange={(e) => setAnswer(e.target.value)}
                error={submitAnswer.error}
                data-testid="answer-input"
              />
              <button type="submit" className="button button--primary" disabled={submitAnswer.busy || !answer.trim()} data-testid="submit-answer">
                {submitAnswer.busy ? 'Saving…' : 'Submit answer'}
              </button>
            </form>
          ) : (
            <div className="next-question">
              <SelectField
                label="Kind of question"
                name="question_type"
                value={questionType}
                disabled={question.running}
                onChange={(e) => setQuestionType(e.target.value as QuestionType | '')}
                data-testid="question-type"
              >
                <option value="">Let the AI choose</option>
                {QUESTION_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {capitalise(t)}
                  </option>
                ))}
              </SelectField>
              <button
                type="button"
                ref={nextQuestionRef}
                className="button button--primary"
                disabled={question.busy || question.running}
                onClick={() => void question.start(() => sessions.generateQuestion(id, questionType || undefined))}
                data-testid="next-question"
              >
                {question.running ? 'Writing the question…' : 'Next question'}
              </button>
            </div>
          )}
          <OperationPanel
            operation={question.operation}
            error={question.error}
            transport={question.transport}
            busy={question.busy}
            what="the next question"
            onCancel={() => void question.cancel()}
            onRetry={() => void question.retry()}
            testId="question-operation"
          />
        </div>
      )}

      {session.status === 'paused' && <p data-testid="paused-note">This session is paused. Resume it to continue answering.</p>}

      <ErrorAlert error={actionError} testId="action-error" />
      {!completed && (
        <div className="actions">
          {session.status === 'active' && (
            <button type="button" className="button" disabled={actionBusy} onClick={() => void pause()} data-testid="pause-session">
              Pause
            </button>
          )}
          {session.status === 'paused' && (
            <button type="button" className="button button--primary" disabled={actionBusy} onClick={() => void resume()} data-testid="resume-session">
              Resume
            </button>
          )}
          <button
            type="button"
            className="button"
            disabled={actionBusy || answerCount === 0}
            onClick={() => void complete()}
            data-testid="complete-session"
            aria-describedby={answerCount === 0 ? 'complete-hint' : undefined}
          >
            Complete session
          </button>
          {answerCount === 0 && (
            <span className="hint" id="complete-hint">
              Answer at least one question first.
            </span>
          )}
        </div>
      )}

      {completed && (
        <div className="results">
          {feedback.loading && feedback.data === undefined && <Loading what="feedback" />}
          <ErrorAlert error={feedback.error} />
          {feedback.data ? (
            <FeedbackView feedback={feedback.data} headingRef={feedbackRef} />
          ) : (
            feedback.data === null && (
              <div className="get-feedback">
                <h2>Feedback</h2>
                {!analysis.running && (
                  <button
                    type="button"
                    ref={getFeedbackRef}
                    className="button button--primary"
                    disabled={analysis.busy}
                    onClick={() => void analysis.start(() => sessions.generateFeedback(id))}
                    data-testid="get-feedback"
                  >
                    Get feedback
                  </button>
                )}
                <OperationPanel
                  operation={analysis.operation}
                  error={analysis.error}
                  transport={analysis.transport}
                  busy={analysis.busy}
                  what="your feedback"
                  onCancel={() => void analysis.cancel()}
                  onRetry={() => void analysis.retry()}
                  testId="feedback-operation"
                />
              </div>
            )
          )}

          <h2>Try again</h2>
          <p>A retake asks new questions for the same job; your attempts appear side by side.</p>
          <button type="button" className="button" disabled={actionBusy} onClick={() => void retake()} data-testid="retake">
            Retake this interview
          </button>
        </div>
      )}

      {attempts.data && attempts.data.length > 1 && <AttemptsTable attempts={attempts.data} currentId={id} />}

      <div className="danger-zone">
        <h2>Delete</h2>
        <ErrorAlert error={removal.error} testId="delete-error" />
        <ConfirmButton
          label="Delete session"
          question="Delete this session, its answers and its feedback?"
          confirmLabel="Yes, delete the session"
          onConfirm={() => void removal.run()}
          busy={removal.busy}
          testId="delete-session"
        />
      </div>
    </section>
  );
}
