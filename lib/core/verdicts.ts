/**
 * Policy verdicts: what a policy concluded on a call, how two policies' verdicts differ. The
 * shadow policy and `npm run replay` compare verdicts the same way.
 */
import { byTime, evaluatePolicy } from './escalation-policy.js';
import type { EscalationReason, PolicyRule, PolicySettings, PolicyVerdict, Utterance, VerdictChange } from './model.js';

/** The first of `fresh` (heard after `history`) a policy escalates on, as a verdict; undefined when none. */
export function policyVerdict(history: readonly Utterance[], fresh: readonly Utterance[], policy: PolicySettings): PolicyVerdict | undefined {
  const decision = evaluatePolicy(history, fresh, policy);
  if (!decision.escalate) return undefined;
  const { reason, trigger } = decision;
  return { rule: reason.rule as PolicyRule, detail: reason.detail, text: trigger.text, score: reason.score ?? trigger.score, atMs: trigger.atMs };
}

/** A whole call judged at once, in the order things were said. */
export function callVerdict(utterances: readonly Utterance[], policy: PolicySettings): PolicyVerdict | undefined {
  return policyVerdict([], [...utterances].sort(byTime), policy);
}

/** The escalation a verdict asks for. */
export function reasonOf(verdict: PolicyVerdict): EscalationReason {
  return { rule: verdict.rule, detail: verdict.detail, text: verdict.text, score: verdict.score, atMs: verdict.atMs };
}

/** A moment a call escalates at (a verdict, or a keypress), as far as comparing two of them goes. */
export interface EscalationMoment {
  readonly atMs: number;
  readonly rule: string;
}

/** How `candidate` differs from `current` on one call. */
export function verdictChange(current: EscalationMoment | undefined, candidate: EscalationMoment | undefined): VerdictChange {
  if (current === undefined) return candidate === undefined ? 'same' : 'newly';
  if (candidate === undefined) return 'never';
  if (candidate.atMs < current.atMs) return 'earlier';
  if (candidate.atMs > current.atMs) return 'later';
  return candidate.rule === current.rule ? 'same' : 'other-rule';
}
