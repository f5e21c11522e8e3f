/**
 * What the product counts, as CloudWatch names it: one namespace, each metric with at most one
 * dimension of its own besides `service`. The functions publish them (embedded metric format);
 * the stack's dashboard and alarms read them by these same names.
 */
import type { AttemptOutcome, EscalationRule, VerdictChange } from '../core/model.js';

export const metricsNamespace = 'SentimentIvr';
/** The `service` dimension Powertools adds to every metric (the functions' POWERTOOLS_SERVICE_NAME). */
export const metricsService = 'sentiment-ivr';

export const metricNames = {
  /** Escalations claimed, by `Rule` (a new round by keypad counts again). */
  escalations: 'Escalations',
  /** Seconds from an escalation's claim to its operator connected in the conference. */
  secondsToOperator: 'SecondsToOperator',
  /** Operator legs' outcomes, by `Outcome`. */
  operatorAttempts: 'OperatorAttempts',
  /** Calls that ended escalated without a connected operator (never reached, or every number failed). */
  endedWithoutOperator: 'EscalatedEndedWithoutOperator',
  /** Calls whose shadow policy's verdict differed from the live one's, by `Change`. */
  shadowDisagreements: 'ShadowDisagreements',
  /** The webhook's answers to Telnyx, by `Answer` (2xx, 400, 401, 413, 5xx). */
  webhookAnswers: 'WebhookAnswers',
  /** Transcripts scored locally because the chosen scorer failed, by `Reason`. */
  scorerFallbacks: 'ScorerFallbacks',
} as const;

export const dimensions = { rule: 'Rule', outcome: 'Outcome', change: 'Change', answer: 'Answer', reason: 'Reason' } as const;

/** Every value a dimension takes, so a dashboard can draw each. */
export const escalationRules = ['dtmf', 'request', 'utterance', 'window', 'streak'] as const satisfies readonly EscalationRule[];
export const attemptOutcomes = ['answered', 'no-answer', 'busy', 'voicemail', 'refused', 'declined', 'left', 'cancelled'] as const satisfies readonly AttemptOutcome[];
export const verdictChanges = ['newly', 'never', 'earlier', 'later', 'other-rule'] as const satisfies readonly VerdictChange[];
export const webhookAnswerClasses = ['2xx', '400', '401', '413', '5xx'] as const;
/** Why a transcript was scored locally instead of by the chosen scorer (Comprehend). */
export const scorerFallbackReasons = ['timeout', 'error', 'throttled'] as const;
export type WebhookAnswerClass = (typeof webhookAnswerClasses)[number];

/** An HTTP status as the class the dashboard counts it in. */
export function answerClass(status: number): WebhookAnswerClass {
  if (status >= 500) return '5xx';
  if (status === 401 || status === 400 || status === 413) return String(status) as WebhookAnswerClass;
  return status >= 400 ? '400' : '2xx';
}

/** Log messages the stack counts with metric filters: the words must stay as they are. */
export const loggedSignals = {
  /** Telnyx refused our API key: nothing reaches a call until the secret is fixed. */
  telnyxKeyRefused: 'Telnyx refused the API key (401)',
} as const;
