import type { Session } from '../lib/core/model.js';
import { maskPhone } from '../lib/core/masking.js';
import { prompts } from '../lib/core/prompts.js';
import { dialIsFor, dialsFor, type CallRun, type Verdict } from './scenarios.js';
import type { SymblSimulator, TelnyxSimulator } from './sim/index.js';

interface Entry {
  readonly atMs: number;
  readonly text: string;
}

const eventTime = (event: { occurred_at?: string; payload: Readonly<Record<string, unknown>> }) =>
  Date.parse(event.occurred_at ?? (event.payload.occurred_at as string | undefined) ?? '');

/** What the customer hears, in a few words. */
const heardAs: Readonly<Record<string, string>> = {
  [prompts.menu]: 'menu plays: 1 for an operator, 2 to repeat',
  [prompts.menuRetry]: 'menu plays again (nothing pressed)',
  [prompts.fallback]: 'customer hears: we will stay on the line',
  [prompts.connecting]: 'customer hears: please hold while we connect you',
  [prompts.stillTrying]: 'customer hears: still trying to reach an operator',
  [prompts.noOperator]: 'customer hears: no operator is available',
  [prompts.operatorLeft]: 'customer hears: the operator has left the call',
};

/** The prompts Telnyx played to a leg (call-level or spoken into the conference to it), with their time. */
function promptsTo(telnyx: TelnyxSimulator, callControlId: string) {
  return telnyx.commandsFor(callControlId).flatMap((c) => {
    const payload = typeof c.body.payload === 'string' ? c.body.payload : undefined;
    return payload !== undefined && /speak/.test(c.kind) ? [{ atMs: c.at, text: payload, path: c.kind.startsWith('conference') ? 'conference' : 'call' }] : [];
  });
}

/**
 * A call's story as a person would tell it: who joined, what the customer said and how it
 * scored, which rule fired and why, when the operator was dialed and joined.
 */
export function buildTimeline(run: CallRun, session: Session | undefined, telnyx: TelnyxSimulator, symbl: SymblSimulator | undefined): string[] {
  const entries: Entry[] = [];
  const add = (atMs: number, text: string) => {
    if (Number.isFinite(atMs)) entries.push({ atMs, text });
  };
  const customer = run.customer;
  add(run.startedAtMs, `customer ${maskPhone(customer.from)} calls`);
  for (const event of customer.events) {
    if (event.event_type === 'call.answered') add(eventTime(event), 'answered');
    if (event.event_type === 'call.hangup') add(eventTime(event), `customer hung up (${String(event.payload.hangup_cause ?? '')})`);
  }
  for (const prompt of promptsTo(telnyx, customer.callControlId)) {
    const words = heardAs[prompt.text];
    if (words) add(prompt.atMs, `${words}${prompt.path === 'conference' ? ' (spoken through the conference)' : ''}`);
  }
  if (run.outageAtMs !== undefined && run.scenario.outage) {
    add(run.outageAtMs, `Telnyx starts answering 503 to ${run.scenario.outage.kinds.join(', ')} (an outage)`);
  }

  const conference = [...telnyx.conferences.values()].find((c) => c.creatorCallControlId === customer.callControlId);
  const analyzerLeg = session?.analyzer.callControlId;
  if (conference) {
    add(Date.parse(conference.createdAt), `conference ${conference.name} created`);
    for (const entry of conference.history) {
      const who =
        entry.callControlId === customer.callControlId
          ? 'customer'
          : entry.callControlId === analyzerLeg
            ? 'analyzer (muted)'
            : undefined;
      // Operators are told below, with their number.
      if (who !== 'customer' && who !== undefined) add(entry.joinedAt, `${who} joined the conference`);
    }
  }
  if (session?.analyzer.status === 'failed') add(session.createdAtMs, `analyzer unavailable (${session.analyzer.failure ?? 'unknown'}); keypad only`);

  // Shown when the customer finished saying it, with the score the product gave it.
  for (const line of run.said) {
    const scored = session?.utterances.find((u) => u.text === line.text);
    add(line.atMs, `customer: "${line.text}"${scored ? ` (score ${scored.score.toFixed(2)})` : ' (not scored)'}`);
  }
  if (session?.escalation) {
    const { reason } = session.escalation;
    add(session.escalation.claimedAtMs, `escalation (${reason.rule}): ${reason.detail}`);
  }
  for (const outcome of telnyx.dialOutcomes().filter((o) => dialIsFor(customer.callControlId, o.clientState) && o.result !== 'placed')) {
    add(outcome.at, `operator ${maskPhone(outcome.to)}: ${outcome.result === 'refused' ? `Telnyx refused the dial (${outcome.status})` : `the dial failed (${outcome.status}); the product tries again`}`);
  }
  for (const dial of dialsFor(telnyx, run)) {
    const who = `operator ${maskPhone(dial.to)}`;
    add(dial.at, `${who} dialed on a leg of their own${dial.answeringMachineDetection ? ' (machine detection on)' : ''}`);
    const leg = telnyx.calls.get(dial.callControlId);
    for (const event of leg?.events ?? []) {
      const at = eventTime(event);
      const p = event.payload;
      if (event.event_type === 'call.answered') add(at, `${who} answered`);
      if (event.event_type.startsWith('call.machine') && event.event_type.endsWith('detection.ended')) add(at, `${who}: machine detection says ${String(p.result)}`);
      if (event.event_type === 'call.dtmf.received') add(at, `${who} pressed ${String(p.digit)}`);
      if (event.event_type === 'call.hangup') {
        add(at, `${who} ${p.hangup_source === 'caller' ? 'released' : p.hangup_cause === 'normal_clearing' ? 'hung up' : `did not answer (${String(p.hangup_cause)})`}`);
      }
    }
    for (const prompt of promptsTo(telnyx, dial.callControlId)) {
      if (prompt.text.startsWith('Escalated call.')) add(prompt.atMs, `${who} briefed on their own leg: why, then "press 1 to take the call"`);
    }
    for (const entry of conference?.history.filter((h) => h.callControlId === dial.callControlId) ?? []) {
      add(entry.joinedAt, `${who} joined the customer's conference`);
    }
  }
  if (symbl && session?.analyzer.conversationId) {
    const connection = symbl.connectionFor(session.analyzer.conversationId);
    if (connection?.status === 'stopped' || connection?.status === 'ended') add(session.endedAtMs ?? Date.now(), 'analyzer stopped');
  }

  entries.sort((a, b) => a.atMs - b.atMs);
  return entries.map((e) => `  +${((e.atMs - run.startedAtMs) / 1000).toFixed(2).padStart(5)}s  ${e.text}`);
}

export function verdictLine(run: CallRun, verdict: Verdict): string {
  return verdict.ok ? `  ✔ met its expectation` : `  ✘ ${verdict.problems.join('; ')}`;
}
