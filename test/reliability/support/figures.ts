import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `small` in the normal `npm test` run; `full` from `npm run test:reliability`. */
export type Scale = 'small' | 'full';

export const scale: Scale = process.env.RELIABILITY_SCALE === 'full' ? 'full' : 'small';

/** Picks the figure for the current scale. */
export const atScale = <T>(small: T, full: T): T => (scale === 'full' ? full : small);

/** Where each test appends its figures (one JSON object a line); `run.ts` sums them. */
export const figuresFile = process.env.RELIABILITY_FIGURES_FILE ?? join(tmpdir(), 'sentiment-ivr-reliability-figures.jsonl');

export interface Figures {
  readonly test: string;
  readonly schedules?: number;
  readonly faults?: number;
  readonly fuzzCases?: number;
  readonly violations: number;
  readonly durationMs: number;
  readonly details?: Record<string, unknown>;
}

/** Records a test's figures; written before its assertions run, so a failing test still reports. */
export function recordFigures(figures: Figures): void {
  appendFileSync(figuresFile, `${JSON.stringify({ scale, ...figures })}\n`);
}
