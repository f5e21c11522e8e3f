/**
 * Scores one piece of the customer's speech locally, on Symbl's polarity scale so the escalation
 * thresholds mean the same whichever source runs: [-1, 1], at or below -0.3 negative, at or
 * above 0.3 positive, neutral between.
 */
export interface SentimentScorer {
  readonly name: string;
  /** Polarity in [-1, 1]; 0 for empty text. Pure: the same text always scores the same. */
  score(text: string): number;
}
