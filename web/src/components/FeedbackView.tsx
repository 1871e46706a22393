import type { Ref } from 'react';

import { SCORE_DIMENSIONS } from '../api/types';
import type { Feedback } from '../api/types';
import { ScoreChart } from './ScoreChart';

const TEXTS: { key: keyof Feedback; label: string; score: keyof Feedback }[] = [
  { key: 'technical_feedback', label: 'Technical accuracy', score: 'technical_accuracy_score' },
  { key: 'communication_feedback', label: 'Communication clarity', score: 'communication_clarity_score' },
  { key: 'problem_solving_feedback', label: 'Problem solving', score: 'problem_solving_score' },
  { key: 'relevance_feedback', label: 'Relevance', score: 'relevance_score' },
];

export function FeedbackView({ feedback, headingRef }: { feedback: Feedback; headingRef?: Ref<HTMLHeadingElement> }) {
  return (
    <section className="feedback" aria-labelledby="feedback-heading" data-testid="feedback">
      <h2 id="feedback-heading" tabIndex={-1} ref={headingRef}>
        Feedback
      </h2>
      <p className="overall-score" data-testid="overall-score">
        Overall score: <strong>{feedback.overall_score}</strong> out of 100
      </p>
      <ScoreChart
        title="Scores by dimension, out of 100"
        items={SCORE_DIMENSIONS.map((d) => ({ label: d.label, value: feedback[d.key] }))}
      />
      {feedback.overall_comments && (
        <>
          <h3>Overall</h3>
          <p className="prose" data-testid="overall-comments">
            {feedback.overall_comments}
          </p>
        </>
      )}
      <h3>By dimension</h3>
      <dl className="dimension-texts">
        {TEXTS.map((t) => (
          <div key={t.key}>
            <dt>
              {t.label} ({String(feedback[t.score])})
            </dt>
            <dd className="prose">{String(feedback[t.key] ?? '')}</dd>
          </div>
        ))}
      </dl>
      <h3>Knowledge gaps</h3>
      {feedback.knowledge_gaps.length ? (
        <ul data-testid="knowledge-gaps">
          {feedback.knowledge_gaps.map((g, i) => (
            <li key={i}>{g}</li>
          ))}
        </ul>
      ) : (
        <p>None found.</p>
      )}
      <h3>What to learn next</h3>
      {feedback.learning_recommendations.length ? (
        <ul data-testid="learning-recommendations">
          {feedback.learning_recommendations.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      ) : (
        <p>No recommendations.</p>
      )}
    </section>
  );
}
