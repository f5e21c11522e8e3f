/**
 * What the supervisors' call record API shows of a session: summaries for the list, the whole
 * story for one call. Numbers are masked here; texts were redacted before they were stored.
 */
import { maskPhone } from './masking.js';
import type { EscalationReason, PolicySettings, PolicyVerdict, Session, TimelineEntry } from './model.js';

/** Utterance scores a list row draws its sparkline from. */
const sparklineLength = 20;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export interface CallSummary {
  readonly sessionId: string;
  readonly status: 'live' | 'ended';
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly callerMasked: string;
  readonly lastScore?: number;
  /** The latest scores, oldest first, for a sparkline. */
  readonly scores: readonly number[];
  /** Where the call is: waiting for the menu, in it, escalating, with an operator, ended. */
  readonly state: string;
  readonly escalation?: { readonly rule: EscalationReason['rule']; readonly status: string; readonly detail: string };
  /** What the shadow policy (`SHADOW_POLICY`) would have done: recorded, never acted on. */
  readonly shadow?: ShadowView;
}

/** The shadow policy's verdict, and whether the live policy reached the same one. */
export interface ShadowView extends PolicyVerdict {
  readonly agrees: boolean;
}

/** A policy's lines, for the chart. */
export interface Thresholds {
  readonly utterance: number;
  readonly window: number;
  readonly negative: number;
}

export interface CallDetail extends Omit<CallSummary, 'scores' | 'escalation'> {
  readonly utterances: readonly { readonly text: string; readonly score: number; readonly atMs: number }[];
  readonly escalation?: {
    readonly reason: EscalationReason;
    readonly claimedAtMs: number;
    readonly round: number;
    readonly attempts: readonly { readonly to: string; readonly status: string; readonly outcome?: string; readonly endedCause?: string }[];
    readonly status: string;
    readonly connectedAtMs?: number;
  };
  readonly timeline: readonly { readonly atMs: number; readonly kind: string; readonly text: string }[];
  /** The live policy's verdict: the sentence it escalated on (absent: it never did). */
  readonly verdict?: PolicyVerdict;
  /** The lines the policy judges by, for the chart. */
  readonly thresholds: Thresholds;
  /** The shadow policy's lines, when one runs. */
  readonly shadowThresholds?: Thresholds;
}

const linesOf = (policy: PolicySettings): Thresholds => ({ utterance: policy.utteranceThreshold, window: policy.windowThreshold, negative: policy.negativeBelow });

function shadowView(session: Session): ShadowView | undefined {
  const { live, shadow } = session.verdicts ?? {};
  if (shadow === undefined) return undefined;
  return { ...shadow, agrees: live !== undefined && live.atMs === shadow.atMs && live.rule === shadow.rule };
}

/** Where a call is, in a word or two. */
export function callState(session: Session): string {
  if (session.status === 'ended') return 'ended';
  const escalation = session.escalation;
  if (escalation?.status === 'connected') return 'with an operator';
  if (escalation?.status === 'dialing' || escalation?.status === 'waiting-for-conference') return 'connecting to an operator';
  if (session.menu.status === 'waiting') return session.customer.answered ? 'joining' : 'ringing';
  return 'in the IVR';
}

export function callSummary(session: Session): CallSummary {
  const last = session.utterances.at(-1);
  const escalation = session.escalation;
  return {
    sessionId: session.id,
    status: session.status === 'ended' ? 'ended' : 'live',
    startedAt: iso(session.createdAtMs)!,
    ...(session.endedAtMs !== undefined ? { endedAt: iso(session.endedAtMs)! } : {}),
    callerMasked: session.customer.fromMasked,
    ...(last ? { lastScore: last.score } : {}),
    scores: session.utterances.slice(-sparklineLength).map((u) => u.score),
    state: callState(session),
    ...(escalation ? { escalation: { rule: escalation.reason.rule, status: escalation.status, detail: escalation.reason.detail } } : {}),
    ...(session.verdicts?.shadow ? { shadow: shadowView(session)! } : {}),
  };
}

/** One call's page: its transcript (from the timeline, else what the session kept), the escalation, the story. */
export function callDetail(session: Session, timeline: readonly TimelineEntry[], policy: PolicySettings, shadowPolicy?: PolicySettings): CallDetail {
  const summary = callSummary(session);
  const said = timeline.filter((e) => e.kind === 'utterance' && e.score !== undefined);
  const utterances = (said.length > 0 ? said.map((e) => ({ text: e.text, score: e.score!, atMs: e.atMs })) : session.utterances.map((u) => ({ text: u.text, score: u.score, atMs: u.atMs }))).sort(
    (a, b) => a.atMs - b.atMs,
  );
  const escalation = session.escalation;
  return {
    sessionId: summary.sessionId,
    status: summary.status,
    startedAt: summary.startedAt,
    ...(summary.endedAt !== undefined ? { endedAt: summary.endedAt } : {}),
    callerMasked: summary.callerMasked,
    ...(summary.lastScore !== undefined ? { lastScore: summary.lastScore } : {}),
    state: summary.state,
    utterances,
    ...(escalation
      ? {
          escalation: {
            reason: escalation.reason,
            claimedAtMs: escalation.claimedAtMs,
            round: escalation.round,
            attempts: escalation.attempts.map((a) => ({
              to: maskPhone(a.to),
              status: a.status,
              ...(a.outcome !== undefined ? { outcome: a.outcome } : {}),
              ...(a.endedCause !== undefined ? { endedCause: a.endedCause } : {}),
            })),
            status: escalation.status,
            ...(escalation.connectedAtMs !== undefined ? { connectedAtMs: escalation.connectedAtMs } : {}),
          },
        }
      : {}),
    timeline: timeline.filter((e) => e.kind !== 'utterance').map((e) => ({ atMs: e.atMs, kind: e.kind, text: e.text })),
    ...(session.verdicts?.live ? { verdict: session.verdicts.live } : {}),
    ...(summary.shadow ? { shadow: summary.shadow } : {}),
    thresholds: linesOf(policy),
    ...(shadowPolicy ? { shadowThresholds: linesOf(shadowPolicy) } : {}),
  };
}
