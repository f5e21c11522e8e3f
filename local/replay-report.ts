import type { PolicySettings } from '../lib/core/model.js';
import type { ChangedCall, Escalated, ReplayCall } from '../lib/core/policy-replay.js';
import type { ReplayRun } from './replay-run.js';

/** What the report says about where the calls came from. */
export interface ReplayContext {
  readonly table: string;
  readonly where: string;
  readonly policyFile: string;
  readonly range: string;
}

const changeOrder = ['newly', 'earlier', 'later', 'other-rule', 'never'] as const;
const changeWords: Record<ChangedCall['change'], string> = {
  newly: 'newly escalated',
  earlier: 'earlier',
  later: 'later',
  'other-rule': 'by another rule',
  never: 'never escalated',
};

const seconds = (atMs: number, call: ReplayCall | undefined) => (call ? `+${((atMs - call.startedAtMs) / 1000).toFixed(1)} s` : new Date(atMs).toISOString());
const moment = (e: Escalated, call: ReplayCall | undefined) => `(${e.rule}) ${e.text !== undefined ? `"${e.text}"` : 'pressed 1'} at ${seconds(e.atMs, call)}`;

/** The changes, each with the sentence that triggers it under the candidate (or the one that did under the live policy). */
function changeLines(run: ReplayRun): string[] {
  const byId = new Map(run.calls.map((c) => [c.sessionId, c]));
  const lines: string[] = [];
  for (const change of changeOrder) {
    for (const c of run.report.changes.filter((x) => x.change === change)) {
      const call = byId.get(c.sessionId);
      const now = c.now ? `now ${moment(c.now, call)}` : 'now not escalated';
      const next = c.candidate ? `candidate ${moment(c.candidate, call)}` : 'candidate does not escalate';
      lines.push(`  ${changeWords[change].padEnd(16)} ${c.sessionId}  ${change === 'newly' ? next : change === 'never' ? now : `${now} -> ${next}`}`);
    }
  }
  return lines;
}

/** The report as the terminal prints it. */
export function replayText(run: ReplayRun, context: ReplayContext): string {
  const { report } = run;
  const counts = changeOrder.map((c) => `${report.counts[c]} ${changeWords[c]}`).join(', ');
  return [
    `Replayed ${report.callsRead} ended calls ${context.range} from ${context.table} (${context.where}) under ${context.policyFile}`,
    ...(run.liveLeftOut > 0 ? [`  ${run.liveLeftOut} live calls left out (not over yet)`] : []),
    `  calls read:                 ${report.callsRead}`,
    `  escalated now:              ${report.escalatedNow}`,
    `  escalated under candidate:  ${report.escalatedUnderCandidate}`,
    `  changes:                    ${report.changes.length} (${counts})`,
    `  live verdicts reproduced:   ${report.reproduced} of ${report.callsRead}${report.notReproduced.length > 0 ? ` (not: ${report.notReproduced.join(', ')})` : ''}`,
    ...(report.changes.length > 0 ? ['', 'Calls that change:', ...changeLines(run)] : []),
  ].join('\n');
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A histogram of values in [-1, 1] (bins of 0.1) as inline SVG, with each policy's line drawn where it judges. */
function histogram(title: string, values: readonly number[], lines: readonly { label: string; at: number; color: string }[]): string {
  const bins = new Array<number>(20).fill(0);
  for (const v of values) bins[Math.min(19, Math.max(0, Math.floor((v + 1) * 10)))]! += 1;
  const width = 520;
  const height = 180;
  const pad = 28;
  const top = Math.max(1, ...bins);
  const x = (v: number) => pad + ((v + 1) / 2) * (width - 2 * pad);
  const barWidth = (width - 2 * pad) / 20;
  const bars = bins
    .map((n, i) => {
      const h = (n / top) * (height - 2 * pad);
      return `<rect x="${(pad + i * barWidth + 1).toFixed(1)}" y="${(height - pad - h).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#8aa4c8"><title>${n} calls from ${(i / 10 - 1).toFixed(1)} to ${((i + 1) / 10 - 1).toFixed(1)}</title></rect>`;
    })
    .join('');
  const marks = lines
    .map(
      (l, i) =>
        `<line x1="${x(l.at)}" x2="${x(l.at)}" y1="${pad - 6}" y2="${height - pad}" stroke="${l.color}" stroke-width="2" stroke-dasharray="${i === 0 ? '' : '5 3'}"/><text x="${x(l.at) + 4}" y="${pad - 8 + i * 12}" font-size="11" fill="${l.color}">${escape(l.label)} ${l.at}</text>`,
    )
    .join('');
  const axis = [-1, -0.5, 0, 0.5, 1].map((v) => `<text x="${x(v)}" y="${height - 8}" font-size="11" text-anchor="middle">${v}</text>`).join('');
  return `<figure><figcaption>${escape(title)} (${values.length} calls)</figcaption><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escape(title)}"><line x1="${pad}" x2="${width - pad}" y1="${height - pad}" y2="${height - pad}" stroke="#333"/>${bars}${marks}${axis}</svg></figure>`;
}

/** A small self-contained page: the figures, the two histograms with both policies' lines, the changed calls. */
export function replayHtml(run: ReplayRun, context: ReplayContext, live: PolicySettings, candidate: PolicySettings): string {
  const { report } = run;
  const byId = new Map(run.calls.map((c) => [c.sessionId, c]));
  const cell = (e: Escalated | undefined, call: ReplayCall | undefined) => (e ? escape(moment(e, call)) : '<em>not escalated</em>');
  const rows = changeOrder
    .flatMap((change) => report.changes.filter((c) => c.change === change))
    .map((c) => `<tr><td>${escape(changeWords[c.change])}</td><td><code>${escape(c.sessionId)}</code></td><td>${cell(c.now, byId.get(c.sessionId))}</td><td>${cell(c.candidate, byId.get(c.sessionId))}</td></tr>`)
    .join('');
  const lowest = report.lows.flatMap((l) => (l.lowestScore === undefined ? [] : [l.lowestScore]));
  const means = report.lows.flatMap((l) => (l.lowestWindowMean === undefined ? [] : [l.lowestWindowMean]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sentiment-ivr replay</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}figure{display:inline-block;margin:0 1.5rem 1rem 0}figcaption{font-weight:600}dt{float:left;width:16rem;color:#555}dd{margin:0 0 .2rem 16rem}</style>
</head><body>
<h1>Replay under ${escape(context.policyFile)}</h1>
<p>${report.callsRead} ended calls ${escape(context.range)} from <code>${escape(context.table)}</code> (${escape(context.where)}).</p>
<dl><dt>Escalated now</dt><dd>${report.escalatedNow}</dd><dt>Escalated under the candidate</dt><dd>${report.escalatedUnderCandidate}</dd>
${changeOrder.map((c) => `<dt>${escape(changeWords[c])}</dt><dd>${report.counts[c]}</dd>`).join('')}
<dt>Live verdicts reproduced</dt><dd>${report.reproduced} of ${report.callsRead}</dd></dl>
${histogram('Lowest utterance score per call', lowest, [
  { label: 'live', at: live.utteranceThreshold, color: '#b03030' },
  { label: 'candidate', at: candidate.utteranceThreshold, color: '#2060b0' },
])}
${histogram(`Lowest mean of ${candidate.windowSize} utterances in a row per call`, means, [
  { label: 'live', at: live.windowThreshold, color: '#b03030' },
  { label: 'candidate', at: candidate.windowThreshold, color: '#2060b0' },
])}
<h2>Calls that change (${report.changes.length})</h2>
${rows ? `<table><thead><tr><th>Change</th><th>Call</th><th>Now</th><th>Under the candidate</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>None.</p>'}
</body></html>
`;
}
