/**
 * Scores one piece of the customer's speech on Symbl's polarity scale, so the escalation
 * thresholds mean the same whichever source runs: [-1, 1], at or below -0.3 negative, at or
 * above 0.3 positive, neutral between.
 */
export interface SentimentScorer {
  readonly name: string;
  /**
   * Polarity in [-1, 1]; 0 for empty text. A scorer behind a network call answers with a
   * promise, and answers even when the service does not (it never rejects).
   */
  score(text: string): number | Promise<number>;
}

/** A scorer that runs in the function: synchronous and pure, the same text always scoring the same. */
export interface LocalSentimentScorer extends SentimentScorer {
  score(text: string): number;
}
