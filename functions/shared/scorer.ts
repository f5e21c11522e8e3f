import type { Config } from '../../lib/config.js';
import type { SentimentScorer } from '../../lib/sentiment/scorer.js';

/** The local scorer, loaded only where transcripts are scored (the Telnyx source). */
export async function scorerFor(config: Config): Promise<SentimentScorer | undefined> {
  if (config.sentimentSource !== 'telnyx') return undefined;
  const { createAfinnScorer } = await import('../../lib/sentiment/afinn-scorer.js');
  return createAfinnScorer();
}
