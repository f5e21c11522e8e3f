// @ts-check
/**
 * The live view's two charts, as inline SVG: a row's sparkline and a call's sentiment over time
 * with the policy's thresholds. Each carries a text alternative summarising what it shows.
 */
import { formatDuration, formatScore, s } from './dom.js';

/** Polarity in [-1, 1] to a y coordinate between `top` and `top + height`. @param {number} score @param {number} top @param {number} height */
const yOf = (score, top, height) => top + ((1 - Math.max(-1, Math.min(1, score))) / 2) * height;

/** @param {number} n */
const fixed = (n) => Math.round(n * 10) / 10;

/** @param {readonly number[]} scores */
function lowest(scores) {
  return scores.reduce((min, score) => Math.min(min, score), Infinity);
}

/**
 * A row's sentiment: recent scores, oldest first, with the zero line.
 * @param {readonly number[]} scores
 * @returns {SVGElement}
 */
export function sparkline(scores) {
  const width = 96;
  const height = 24;
  const label =
    scores.length === 0
      ? 'No speech scored yet'
      : `Sentiment of the last ${scores.length} utterance${scores.length === 1 ? '' : 's'}: lowest ${formatScore(lowest(scores))}, last ${formatScore(scores.at(-1))}`;
  const svg = s('svg', { class: 'spark', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label }, s('title', {}, label));
  svg.append(s('line', { class: 'zero', x1: 0, x2: width, y1: height / 2, y2: height / 2 }));
  if (scores.length === 0) return svg;
  const step = scores.length === 1 ? 0 : (width - 6) / (scores.length - 1);
  const points = scores.map((score, i) => [scores.length === 1 ? width / 2 : 3 + i * step, yOf(score, 3, height - 6)]);
  if (points.length > 1) svg.append(s('polyline', { points: points.map(([x, y]) => `${fixed(x ?? 0)},${fixed(y ?? 0)}`).join(' ') }));
  const [lastX, lastY] = points.at(-1) ?? [0, 0];
  const last = scores.at(-1) ?? 0;
  svg.append(s('circle', { class: last < 0 ? 'dot neg' : 'dot', cx: fixed(lastX ?? 0), cy: fixed(lastY ?? 0), r: 2.5 }));
  return svg;
}

/** A tick step (seconds) that gives at most six ticks. @param {number} spanSeconds */
function tickStep(spanSeconds) {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((step) => spanSeconds / step <= 6) ?? 7200;
}

/**
 * @typedef {{ utterance: number, window: number, negative: number }} Thresholds
 * @typedef {{ text: string, score: number, atMs: number }} Utterance
 * @typedef {{ startMs: number, endMs: number, utterances: readonly Utterance[], thresholds: Thresholds, shadowThresholds?: Thresholds, escalatedAtMs?: number }} ChartData
 */

/** What the threshold lines are called on the chart and in its summary. */
const thresholdNames = /** @type {const} */ ([
  ['utterance', 'utterance'],
  ['window', 'window'],
  ['negative', 'negative'],
]);

/**
 * The shadow policy's lines that differ from the live ones (the same value is one line).
 * @param {ChartData} data
 */
function shadowLines(data) {
  const shadow = data.shadowThresholds;
  if (!shadow) return [];
  return thresholdNames.filter(([key]) => shadow[key] !== data.thresholds[key]).map(([key, name]) => ({ key, name, value: shadow[key] }));
}

/**
 * The text alternative of a call's chart.
 * @param {ChartData} data
 */
export function chartSummary(data) {
  const { utterances, thresholds } = data;
  const shadow = shadowLines(data);
  const shadowText = shadow.length === 0 ? '' : ` Shadow policy (not acted on): ${shadow.map(({ name, value }) => `${name} ${formatScore(value)}`).join(', ')}.`;
  const lines = `Thresholds: utterance ${formatScore(thresholds.utterance)}, window ${formatScore(thresholds.window)}, negative ${formatScore(thresholds.negative)}.${shadowText}`;
  if (utterances.length === 0) return `Sentiment over the call: no speech scored yet. ${lines}`;
  const scores = utterances.map((u) => u.score);
  const escalated = data.escalatedAtMs === undefined ? '' : ` Escalated at ${formatDuration(data.escalatedAtMs - data.startMs)}.`;
  return `Sentiment over the call, ${utterances.length} utterance${utterances.length === 1 ? '' : 's'}: lowest ${formatScore(lowest(scores))}, last ${formatScore(scores.at(-1))}. ${lines}${escalated}`;
}

/**
 * A call's sentiment over time (seconds since the call started) with the utterance, window and
 * negative thresholds drawn and labelled, the shadow policy's where they differ, and the moment
 * it escalated.
 * @param {ChartData} data
 * @returns {SVGElement}
 */
export function sentimentChart(data) {
  const width = 640;
  const height = 250;
  const left = 40;
  const shadow = shadowLines(data);
  const right = shadow.length === 0 ? 118 : 156;
  const top = 14;
  const bottom = 34;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const seconds = (/** @type {number} */ ms) => (ms - data.startMs) / 1000;
  const instants = [data.endMs, ...data.utterances.map((u) => u.atMs), ...(data.escalatedAtMs === undefined ? [] : [data.escalatedAtMs])];
  const span = Math.max(5, ...instants.map(seconds));
  const x = (/** @type {number} */ ms) => left + (Math.max(0, seconds(ms)) / span) * plotWidth;
  const y = (/** @type {number} */ score) => yOf(score, top, plotHeight);
  const summary = chartSummary(data);

  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': summary }, s('title', {}, summary));
  const axes = s('g', { class: 'axes', 'aria-hidden': 'true' });
  for (const [score, label] of /** @type {const} */ ([[1, '+1'], [0.5, '+0.5'], [0, '0'], [-0.5, '\u22120.5'], [-1, '\u22121']])) {
    axes.append(
      s('line', { class: score === 0 ? 'grid zero' : 'grid', x1: left, x2: left + plotWidth, y1: fixed(y(score)), y2: fixed(y(score)) }),
      s('text', { x: left - 6, y: fixed(y(score) + 4), 'text-anchor': 'end' }, label),
    );
  }
  const step = tickStep(span);
  for (let t = 0; t <= span + 1e-9; t += step) {
    const tx = fixed(left + (t / span) * plotWidth);
    axes.append(s('line', { class: 'tick', x1: tx, x2: tx, y1: top + plotHeight, y2: top + plotHeight + 4 }), s('text', { x: tx, y: top + plotHeight + 17, 'text-anchor': 'middle' }, formatDuration(t * 1000)));
  }
  axes.append(s('text', { x: left + plotWidth / 2, y: height - 3, 'text-anchor': 'middle', class: 'axis-title' }, 'time since the call started (m:ss)'));
  svg.append(axes);

  // Threshold lines, the live policy's and the shadow's, each labelled at the right; labels
  // pushed apart when the values are close.
  const ordered = [
    ...thresholdNames.map(([key, name]) => ({ key, name, value: data.thresholds[key], shadow: false })),
    ...shadow.map((line) => ({ ...line, shadow: true })),
  ].sort((a, b) => b.value - a.value || Number(a.shadow) - Number(b.shadow));
  let previousLabelY = -Infinity;
  for (const { key, name, value, shadow: isShadow } of ordered) {
    const lineY = fixed(y(value));
    const labelY = Math.max(lineY + 4, previousLabelY + 14);
    previousLabelY = labelY;
    const attributes = isShadow
      ? { class: `threshold shadow-line ${key}`, 'data-shadow-threshold': key, 'data-value': value }
      : { class: `threshold ${key}`, 'data-threshold': key, 'data-value': value };
    svg.append(
      s(
        'g',
        attributes,
        s('line', { x1: left, x2: left + plotWidth, y1: lineY, y2: lineY }),
        s('text', { x: left + plotWidth + 6, y: fixed(labelY) }, `${isShadow ? 'shadow ' : ''}${name} ${formatScore(value)}`),
      ),
    );
  }

  if (data.escalatedAtMs !== undefined) {
    const ex = fixed(x(data.escalatedAtMs));
    svg.append(
      s('g', { class: 'escalated', 'data-escalated': 'true' }, s('line', { x1: ex, x2: ex, y1: top, y2: top + plotHeight }), s('text', { x: ex + 4, y: top + 10 }, 'escalated')),
    );
  }

  const points = data.utterances.map((u) => ({ u, px: fixed(x(u.atMs)), py: fixed(y(u.score)) }));
  if (points.length > 1) svg.append(s('polyline', { class: 'series', points: points.map((p) => `${p.px},${p.py}`).join(' ') }));
  const dots = s('g', { class: 'points' });
  for (const { u, px, py } of points) {
    const kind = u.score <= data.thresholds.utterance ? 'very-neg' : u.score <= data.thresholds.negative ? 'neg' : 'ok';
    dots.append(s('circle', { class: kind, cx: px, cy: py, r: 4.5 }, s('title', {}, `${formatDuration(u.atMs - data.startMs)} ${formatScore(u.score)}: ${u.text}`)));
  }
  svg.append(dots);
  if (points.length === 0) svg.append(s('text', { class: 'empty', x: left + plotWidth / 2, y: top + plotHeight / 2 - 8, 'text-anchor': 'middle' }, 'No speech scored yet'));
  return svg;
}
