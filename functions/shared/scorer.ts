import type { ComprehendClient } from '@aws-sdk/client-comprehend';
import type { Config } from '../../lib/config.js';
import type { Log } from '../../lib/log.js';
import type { FallbackReason } from '../../lib/sentiment/comprehend-scorer.js';
import type { SentimentScorer } from '../../lib/sentiment/scorer.js';
import { timeouts } from '../../lib/timeouts.js';

export interface ScorerOptions {
  readonly log: Log;
  /** Told of each utterance Comprehend did not score (the local scorer did), to count as a metric. */
  readonly onFallback?: (reason: FallbackReason) => void;
  /** A client to use instead of one from the SDK's own settings (a local stand-in's endpoint, say). */
  readonly comprehend?: ComprehendClient;
}

const ignoreFallback = (): void => {};

/**
 * The scorer `SENTIMENT_SCORER` names, loaded only where transcripts are scored (the Telnyx
 * source): the local one, or Comprehend with the local one behind it.
 */
export async function scorerFor(config: Config, options: ScorerOptions): Promise<SentimentScorer | undefined> {
  if (config.sentimentSource !== 'telnyx') return undefined;
  const { createAfinnScorer } = await import('../../lib/sentiment/afinn-scorer.js');
  const local = createAfinnScorer();
  if (config.scorer === 'local') return local;
  const [{ ComprehendClient }, { createComprehendScorer }] = await Promise.all([
    import('@aws-sdk/client-comprehend'),
    import('../../lib/sentiment/comprehend-scorer.js'),
  ]);
  return createComprehendScorer({
    // One try: a throttled or failed call is scored locally at once rather than retried within the webhook.
    client: options.comprehend ?? new ComprehendClient({ maxAttempts: 1, requestHandler: { requestTimeout: timeouts.comprehendRequestMs } }),
    fallback: local,
    log: options.log,
    onFallback: options.onFallback ?? ignoreFallback,
  });
}
