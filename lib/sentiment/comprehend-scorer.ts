import type { ComprehendClient, LanguageCode, SentimentScore } from '@aws-sdk/client-comprehend';
import type { Log } from '../log.js';
import { timeouts } from '../timeouts.js';
import type { LocalSentimentScorer, SentimentScorer } from './scorer.js';

/** Why an utterance was scored locally instead: Comprehend was slow, refused for rate, or failed otherwise. */
export type FallbackReason = 'timeout' | 'error' | 'throttled';

/** The customer's language: the IVR speaks English and Telnyx transcribes the customer's leg in it. */
export const comprehendLanguageCode = 'en' satisfies LanguageCode;

/** DetectSentiment takes text of fewer than this many bytes of UTF-8 (TextSizeLimitExceededException otherwise). */
export const comprehendTextLimitBytes = 5000;

/** Error names Comprehend (and AWS generally) answers a request over the rate with. */
const throttlingErrors: ReadonlySet<string> = new Set(['ThrottlingException', 'TooManyRequestsException']);

const clampPolarity = (value: number): number => Math.max(-1, Math.min(1, value));

/**
 * Comprehend's confidences → polarity: Positive − Negative, in [-1, 1]. The four confidences
 * sum to 1, so this is the expected score of a label worth +1 when positive, −1 when negative
 * and 0 when neutral or mixed: continuous, monotone (it never falls as Positive rises, never
 * rises as Negative does), and 0 for a neutral or an evenly mixed answer. Mixed counts for
 * neither side, so confidence moved to it pulls the score toward 0: a caller both pleased and
 * annoyed is no reason to escalate on one utterance.
 *
 * AWS's Live Call Analytics sample scores differently: the winning label's confidence × ±5,
 * NEGATIVE taking over whenever its confidence is above 0.4, NEUTRAL and MIXED not scored at
 * all. That jumps at the 0.4 cut and where the label changes, and the policy here needs a score
 * for every utterance. On a clear answer the two agree but for the scale (Negative 0.9,
 * Positive 0.02: −0.88 here, −4.5 of 5 there).
 */
export function comprehendPolarity(score: SentimentScore): number {
  const positive = score.Positive ?? 0;
  const negative = score.Negative ?? 0;
  return clampPolarity(positive - negative);
}

/** The longest start of `text` whose UTF-8 takes at most `maxBytes`, never cutting a character in two. */
export function trimToUtf8Bytes(text: string, maxBytes: number): string {
  const { read } = new TextEncoder().encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}

export interface ComprehendScorerOptions {
  readonly client: ComprehendClient;
  /** Scores an utterance when Comprehend does not answer in time or at all. */
  readonly fallback: LocalSentimentScorer;
  readonly log: Log;
  /** Told of each utterance scored by the fallback, to count as a metric. Must not throw. */
  readonly onFallback: (reason: FallbackReason) => void;
  /** How long one call may take, retries and connection included. @default timeouts.comprehendRequestMs */
  readonly timeoutMs?: number;
}

/** The parts of an SDK error worth logging: its name and HTTP status, never its message (which may quote the request). */
function errorFacts(error: unknown): { name: string | undefined; status: number | undefined } {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return { name, status: $metadata?.httpStatusCode };
}

/** What a failed call was: its own timeout, a rate refusal, or anything else. */
function reasonOf(error: unknown, timedOut: boolean): FallbackReason {
  const { name, status } = errorFacts(error);
  if (timedOut || name === 'AbortError' || name === 'TimeoutError') return 'timeout';
  if ((name !== undefined && throttlingErrors.has(name)) || status === 429) return 'throttled';
  return 'error';
}

/**
 * Scores with Amazon Comprehend's DetectSentiment, mapped by {@link comprehendPolarity}. It
 * never fails an utterance: a slow answer (past `timeoutMs`), a refusal or an error scores it
 * with the local scorer instead, logs one warning without the text, and tells `onFallback`.
 * Empty text scores 0 without a call; text over Comprehend's limit is cut to fit. The SDK is
 * loaded here, when the scorer is built on the first event, not when the function starts.
 */
export async function createComprehendScorer(options: ComprehendScorerOptions): Promise<SentimentScorer> {
  const { DetectSentimentCommand } = await import('@aws-sdk/client-comprehend');
  const { client, fallback, log, onFallback } = options;
  const timeoutMs = options.timeoutMs ?? timeouts.comprehendRequestMs;

  function scoreLocally(text: string, reason: FallbackReason, error: unknown): number {
    const { name, status } = errorFacts(error);
    log.warn('comprehend did not score the utterance; scored locally', { reason, error: name, status, timeoutMs });
    onFallback(reason);
    return fallback.score(text);
  }

  return {
    name: 'comprehend',
    async score(text) {
      if (text.trim() === '') return 0;
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const out = await client.send(
          new DetectSentimentCommand({ Text: trimToUtf8Bytes(text, comprehendTextLimitBytes - 1), LanguageCode: comprehendLanguageCode }),
          { abortSignal: signal },
        );
        if (!out.SentimentScore) return scoreLocally(text, 'error', { name: 'MissingSentimentScore' });
        return comprehendPolarity(out.SentimentScore);
      } catch (error) {
        return scoreLocally(text, reasonOf(error, signal.aborted), error);
      }
    },
  };
}
