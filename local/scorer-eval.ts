import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createAfinnScorer } from '../lib/sentiment/afinn-scorer.js';
import type { LocalSentimentScorer } from '../lib/sentiment/scorer.js';

const sentimentLabels = ['negative', 'neutral', 'positive'] as const;
const utteranceKinds = ['angry', 'frustrated', 'calm', 'happy', 'sarcastic', 'negated', 'request'] as const;

export type SentimentLabel = (typeof sentimentLabels)[number];
export type UtteranceKind = (typeof utteranceKinds)[number];

const labeledUtterances = z.array(
  z.object({ text: z.string(), label: z.enum(sentimentLabels), kind: z.enum(utteranceKinds) }),
);

/** One line of local/fixtures/sentiment-utterances.json: what a supervisor would say the caller feels. */
export type LabeledUtterance = z.infer<typeof labeledUtterances>[number];

export const fixturePath = fileURLToPath(new URL('../local/fixtures/sentiment-utterances.json', import.meta.url));

export function loadLabeledUtterances(path = fixturePath): LabeledUtterance[] {
  return labeledUtterances.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** Symbl's scale, which the escalation defaults assume. */
export const symblScale = { negativeAtOrBelow: -0.3, positiveAtOrAbove: 0.3, escalateAtOrBelow: -0.7 } as const;

/** Every 4th item (index 3, 7, …) was kept out of fitting the scorer's mapping and word list. */
export const isHeldOut = (index: number): boolean => index % 4 === 3;

export function labelOf(polarity: number): SentimentLabel {
  if (polarity <= symblScale.negativeAtOrBelow) return 'negative';
  if (polarity >= symblScale.positiveAtOrAbove) return 'positive';
  return 'neutral';
}

export interface Accuracy {
  readonly correct: number;
  readonly total: number;
  /** correct / total, 0 when total is 0. */
  readonly ratio: number;
}

export interface ScorerEvaluation {
  readonly scorer: string;
  readonly overall: Accuracy;
  readonly heldOut: Accuracy;
  readonly byKind: Readonly<Record<UtteranceKind, Accuracy>>;
  /** confusion[expected][predicted] */
  readonly confusion: Readonly<Record<SentimentLabel, Readonly<Record<SentimentLabel, number>>>>;
  /** Negative utterances that alone reach the single-utterance threshold. */
  readonly negativesEscalated: Accuracy;
  /** Neutral or positive utterances that alone would escalate: the costly mistake. */
  readonly falseEscalations: readonly { readonly text: string; readonly polarity: number }[];
  readonly nonNegatives: number;
  /** Warm cost of one score() call: median and p95 over rounds of the whole set. */
  readonly microsPerUtterance: { readonly median: number; readonly p95: number };
  readonly outOfRange: number;
}

const accuracy = (correct: number, total: number): Accuracy => ({ correct, total, ratio: total === 0 ? 0 : correct / total });

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function microsPerUtterance(scorer: LocalSentimentScorer, texts: readonly string[], rounds: number) {
  for (let warm = 0; warm < 20; warm++) for (const text of texts) scorer.score(text);
  const perRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const startNs = process.hrtime.bigint();
    for (const text of texts) scorer.score(text);
    perRound.push(Number(process.hrtime.bigint() - startNs) / 1000 / texts.length);
  }
  perRound.sort((a, b) => a - b);
  return { median: percentile(perRound, 0.5), p95: percentile(perRound, 0.95) };
}

/** Scores every item once for the accuracy figures, then again in timed rounds for the cost. */
export function evaluateScorer(
  scorer: LocalSentimentScorer,
  items: readonly LabeledUtterance[],
  options: { readonly timingRounds?: number } = {},
): ScorerEvaluation {
  const scored = items.map((item, index) => {
    const polarity = scorer.score(item.text);
    return { ...item, index, polarity, predicted: labelOf(polarity) };
  });
  const count = (rows: typeof scored) => accuracy(rows.filter((r) => r.predicted === r.label).length, rows.length);
  const byKind = Object.fromEntries(utteranceKinds.map((kind) => [kind, count(scored.filter((r) => r.kind === kind))])) as Record<UtteranceKind, Accuracy>;
  const confusion = Object.fromEntries(
    sentimentLabels.map((expected) => [
      expected,
      Object.fromEntries(sentimentLabels.map((predicted) => [predicted, scored.filter((r) => r.label === expected && r.predicted === predicted).length])),
    ]),
  ) as Record<SentimentLabel, Record<SentimentLabel, number>>;
  const negatives = scored.filter((r) => r.label === 'negative');
  const nonNegatives = scored.filter((r) => r.label !== 'negative');
  const escalates = (r: { polarity: number }) => r.polarity <= symblScale.escalateAtOrBelow;
  return {
    scorer: scorer.name,
    overall: count(scored),
    heldOut: count(scored.filter((r) => isHeldOut(r.index))),
    byKind,
    confusion,
    negativesEscalated: accuracy(negatives.filter(escalates).length, negatives.length),
    falseEscalations: nonNegatives.filter(escalates).map((r) => ({ text: r.text, polarity: r.polarity })),
    nonNegatives: nonNegatives.length,
    microsPerUtterance: microsPerUtterance(scorer, items.map((i) => i.text), options.timingRounds ?? 200),
    outOfRange: scored.filter((r) => !(r.polarity >= -1 && r.polarity <= 1)).length,
  };
}

const percent = (a: Accuracy) => `${(100 * a.ratio).toFixed(1)}% (${a.correct}/${a.total})`;

/** The evaluation as the lines the script prints. */
export function formatEvaluation(evaluation: ScorerEvaluation): string {
  const rows: [string, string][] = [
    ['overall', percent(evaluation.overall)],
    ['held-out (every 4th)', percent(evaluation.heldOut)],
    ...Object.entries(evaluation.byKind).map(([kind, a]): [string, string] => [`  ${kind}`, percent(a)]),
    [`negatives ≤ ${symblScale.escalateAtOrBelow}`, percent(evaluation.negativesEscalated)],
    [`false escalations`, `${evaluation.falseEscalations.length}/${evaluation.nonNegatives}`],
    ['µs per utterance', `median ${evaluation.microsPerUtterance.median.toFixed(2)}, p95 ${evaluation.microsPerUtterance.p95.toFixed(2)}`],
  ];
  const confusion = Object.entries(evaluation.confusion).map(
    ([expected, row]) => `  ${expected.padEnd(9)} → ${Object.entries(row).map(([p, n]) => `${p} ${n}`).join(', ')}`,
  );
  return [
    `scorer: ${evaluation.scorer}`,
    ...rows.map(([k, v]) => `${k.padEnd(24)}${v}`),
    'confusion (expected → predicted):',
    ...confusion,
    ...evaluation.falseEscalations.map((f) => `  false escalation ${f.polarity.toFixed(2)}: "${f.text}"`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatEvaluation(evaluateScorer(createAfinnScorer(), loadLabeledUtterances())));
}
