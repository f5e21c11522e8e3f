import type { Session } from '../lib/core/model.js';
import { maskPhone } from '../lib/core/masking.js';
import type { CallRun, Verdict } from './scenarios.js';
import type { SymblSimulator, TelnyxSimulator } from './sim/index.js';

interface Entry {
  readonly atMs: number;
  readonly text: string;
}

const eventTime = (event: { occurred_at?: string; payload: Readonly<Record<string, unknown>> }) =>
  Date.parse(event.occurred_at ?? (event.payload.occurred_at as string | undefined) ?? '');

/** The operator dials the simulator executed into a conference. */
export function dialsInto(telnyx: TelnyxSimulator, conferenceId: string | undefined) {
  return conferenceId === undefined ? [] : telnyx.dials().filter((d) => d.conferenceConfig?.id === conferenceId);
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
  if (run.menuAtMs) add(run.menuAtMs, 'menu plays: 1 for an operator, 2 to repeat');

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
            : session?.escalation?.attempts.some((a) => a.callControlId === entry.callControlId)
              ? 'operator'
              : 'a participant';
      if (who !== 'customer') add(entry.joinedAt, `${who} joined the conference`);
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
  for (const dial of dialsInto(telnyx, conference?.id)) {
    add(dial.at, `operator ${maskPhone(dial.to)} dialed into the conference`);
    const leg = telnyx.calls.get(dial.callControlId);
    for (const event of leg?.events ?? []) {
      if (event.event_type === 'call.answered') add(eventTime(event), `operator ${maskPhone(dial.to)} answered`);
      if (event.event_type === 'call.hangup') add(eventTime(event), `operator ${maskPhone(dial.to)} ${event.payload.hangup_cause === 'normal_clearing' ? 'left' : `did not answer (${String(event.payload.hangup_cause)})`}`);
    }
    const briefing = leg?.heard.find((text) => text.startsWith('Escalated call.'));
    if (briefing && session?.escalation?.connectedAtMs) add(session.escalation.connectedAtMs + 1, `operator briefed (whisper, only they hear it)`);
  }
  if (customer.heard.some((text) => text.startsWith("We're sorry, no operator"))) add(run.finishedAtMs ?? Date.now(), 'customer hears the apology and the menu again');
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
