/**
 * Replaying stored calls under a candidate policy: what `npm run replay` reports. Each call is
 * judged as a whole, in the order things were said, exactly as the live policy judged it as it
 * went; a keypress for an operator escalates under any policy.
 */
import { byTime } from './escalation-policy.js';
import type { EscalationRule, PolicySettings, PolicyVerdict, Session, TimelineEntry, Utterance, VerdictChange, Verdicts } from './model.js';
import { callVerdict, type EscalationMoment, verdictChange } from './verdicts.js';

/** One stored call, as replay reads it. */
export interface ReplayCall {
  readonly sessionId: string;
  readonly startedAtMs: number;
  /** What the customer said, redacted as stored, with its scores. */
  readonly utterances: readonly Utterance[];
  /** What the live policy concluded as the call went, and when the customer keyed for a person. */
  readonly verdicts: Verdicts;
  /** Whether the call escalated (by any rule). */
  readonly escalated: boolean;
}

/** When and why a call escalates under one policy. */
export interface Escalated extends EscalationMoment {
  readonly rule: EscalationRule;
  readonly atMs: number;
  /** The sentence (absent for a keypress). */
  readonly text?: string;
  readonly detail: string;
}

export interface ChangedCall {
  readonly sessionId: string;
  readonly change: Exclude<VerdictChange, 'same'>;
  readonly now?: Escalated;
  readonly candidate?: Escalated;
}

/** A call's lowest utterance score and lowest rolling mean, for the report's histograms. */
export interface CallLows {
  readonly sessionId: string;
  readonly lowestScore?: number;
  readonly lowestWindowMean?: number;
}

export interface ReplayReport {
  readonly callsRead: number;
  readonly escalatedNow: number;
  readonly escalatedUnderCandidate: number;
  readonly changes: readonly ChangedCall[];
  readonly counts: Readonly<Record<Exclude<VerdictChange, 'same'>, number>>;
  /** Calls whose replay under the live policy gave their recorded live verdict back (a check on the replay itself). */
  readonly reproduced: number;
  /** Calls where it did not: their speech was heard out of order, or more than the timeline keeps. */
  readonly notReproduced: readonly string[];
  readonly lows: readonly CallLows[];
}

const keypad = (atMs: number): Escalated => ({ rule: 'dtmf', atMs, detail: 'The customer pressed 1 for an operator.' });
const fromVerdict = (v: PolicyVerdict): Escalated => ({ rule: v.rule, atMs: v.atMs, text: v.text, detail: v.detail });

/** The first of the policy's verdict and the keypress. */
function firstEscalation(verdict: PolicyVerdict | undefined, keypadAtMs: number | undefined): Escalated | undefined {
  const byKeys = keypadAtMs === undefined ? undefined : keypad(keypadAtMs);
  const bySpeech = verdict === undefined ? undefined : fromVerdict(verdict);
  if (byKeys === undefined || bySpeech === undefined) return byKeys ?? bySpeech;
  return bySpeech.atMs <= byKeys.atMs ? bySpeech : byKeys;
}

const sameVerdict = (a: PolicyVerdict | undefined, b: PolicyVerdict | undefined) =>
  a === undefined || b === undefined ? a === b : a.rule === b.rule && a.atMs === b.atMs && a.text === b.text;

function lowsOf(call: ReplayCall, windowSize: number): CallLows {
  const said = [...call.utterances].sort(byTime);
  if (said.length === 0) return { sessionId: call.sessionId };
  let lowestWindowMean: number | undefined;
  for (let end = windowSize; end <= said.length; end++) {
    const mean = said.slice(end - windowSize, end).reduce((sum, u) => sum + u.score, 0) / windowSize;
    lowestWindowMean = lowestWindowMean === undefined ? mean : Math.min(lowestWindowMean, mean);
  }
  return { sessionId: call.sessionId, lowestScore: Math.min(...said.map((u) => u.score)), ...(lowestWindowMean !== undefined ? { lowestWindowMean } : {}) };
}

/** Judges every call under `candidate` and compares with what happened under `live`. */
export function replayCalls(calls: readonly ReplayCall[], live: PolicySettings, candidate: PolicySettings): ReplayReport {
  const changes: ChangedCall[] = [];
  const notReproduced: string[] = [];
  const counts = { newly: 0, never: 0, earlier: 0, later: 0, 'other-rule': 0 };
  let escalatedNow = 0;
  let escalatedUnderCandidate = 0;
  for (const call of calls) {
    if (!sameVerdict(callVerdict(call.utterances, live), call.verdicts.live)) notReproduced.push(call.sessionId);
    const now = call.escalated ? firstEscalation(call.verdicts.live, call.verdicts.keypadAtMs) : undefined;
    const next = firstEscalation(callVerdict(call.utterances, candidate), call.verdicts.keypadAtMs);
    if (call.escalated) escalatedNow += 1;
    if (next) escalatedUnderCandidate += 1;
    const change = verdictChange(now, next);
    if (change === 'same') continue;
    counts[change] += 1;
    changes.push({ sessionId: call.sessionId, change, ...(now ? { now } : {}), ...(next ? { candidate: next } : {}) });
  }
  return {
    callsRead: calls.length,
    escalatedNow,
    escalatedUnderCandidate,
    changes,
    counts,
    reproduced: calls.length - notReproduced.length,
    notReproduced,
    lows: calls.map((call) => lowsOf(call, candidate.windowSize)),
  };
}

/** A stored call as replay reads it: its speech from the timeline (every utterance, in order), else what the session kept. */
export function replayCallOf(session: Session, timeline: readonly TimelineEntry[]): ReplayCall {
  const said = timeline.filter((e) => e.kind === 'utterance' && e.score !== undefined);
  const utterances: Utterance[] =
    said.length > 0 ? said.map((e) => ({ id: `t${String(e.index).padStart(4, '0')}`, text: e.text, score: e.score!, atMs: e.atMs })) : [...session.utterances];
  return { sessionId: session.id, startedAtMs: session.createdAtMs, utterances, verdicts: session.verdicts ?? {}, escalated: session.escalation !== undefined };
}
