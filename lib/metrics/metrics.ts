import type { MetricFact } from '../core/model.js';

/** What the product counts; published as it happens, no API calls (see metric-names.ts). */
export interface Metrics {
  /** What a saved decision found. */
  facts(facts: readonly MetricFact[]): void;
  /** The webhook's answer to one delivery. */
  webhookAnswer(status: number): void;
  /** A transcript scored locally because the chosen scorer failed. */
  scorerFellBack(reason: string): void;
}

/** Counts nothing: for tools and tests that do not look at metrics. */
export const noMetrics: Metrics = { facts() {}, webhookAnswer() {}, scorerFellBack() {} };
