/**
 * Delivery bookkeeping around the call flow, decided here once: which events were already
 * applied, what a redelivery repeats, which commands run only under a one-time claim, what a
 * command's answer means to the flow, and which look-up entries a write adds.
 */
import type { Transition } from './call-flow.js';
import { stampCommands } from './command-ids.js';
import type { CallEvent, CommandResult, Link, SessionRecord, Session, StampedCommand, Utterance, Wakeup } from './model.js';

/** Event ids remembered per session for de-duplication: more than any call's webhooks. */
const keptEventIds = 400;
/** Recent events whose commands are kept for replay on redelivery. */
const keptEffects = 24;

/**
 * An analyzer start whose claim was taken but which never reported back is tried once more only
 * after this long: a concurrent duplicate must not start a second analyzer while the first call
 * is still in flight.
 */
export const analyzerStartGraceMs = 10_000;

export type RecordDecision =
  /** Already applied: repeat what it asked for that still makes sense. */
  | { readonly kind: 'duplicate'; readonly replay: readonly StampedCommand[] }
  | { readonly kind: 'unchanged' }
  /** Write `record` (conditional on the version it was decided from) with `links`, then run `commands`. */
  | { readonly kind: 'changed'; readonly record: SessionRecord; readonly commands: readonly StampedCommand[]; readonly links: readonly Link[] };

/** The look-up entries a session needs: its legs and its conference. */
export function linksOf(session: Session): Link[] {
  const links: Link[] = [{ kind: 'leg', callControlId: session.customer.callControlId, role: 'customer' }];
  if (session.analyzer.callControlId) links.push({ kind: 'leg', callControlId: session.analyzer.callControlId, role: 'analyzer' });
  for (const attempt of session.escalation?.attempts ?? []) {
    if (attempt.callControlId) links.push({ kind: 'leg', callControlId: attempt.callControlId, role: 'operator' });
  }
  if (session.conference.id) links.push({ kind: 'conference', conferenceId: session.conference.id });
  return links;
}

const linkKey = (link: Link) => (link.kind === 'leg' ? `L#${link.callControlId}` : `C#${link.conferenceId}`);

/** Links present after a decision that were not before: the only ones a write adds. */
export function newLinks(before: Session | undefined, after: Session): Link[] {
  const had = new Set((before ? linksOf(before) : []).map(linkKey));
  return linksOf(after).filter((link) => !had.has(linkKey(link)));
}

/**
 * Whether a recorded command still makes sense to repeat on redelivery. Telnyx ignores a
 * repeated command_id; Symbl has no such key, so its start is repeated only while nothing was
 * heard back (and then under its one-time claim), and a known operator leg is not dialed.
 */
function worthReplaying(command: StampedCommand, session: Session): boolean {
  switch (command.kind) {
    case 'startAnalyzer':
      return session.analyzer.status === 'requested';
    case 'dialOperator': {
      const escalation = session.escalation;
      const attempt = escalation?.attempts[command.operator.attempt];
      return escalation?.round === command.operator.round && attempt?.status === 'ringing' && attempt.callControlId === undefined;
    }
    default:
      return session.status === 'active' || command.kind === 'hangup' || command.kind === 'endConference' || command.kind === 'stopAnalyzer';
  }
}

/** Applies one event to a stored session: a duplicate, no change, or the record to write. */
export function decide(transition: Transition, record: SessionRecord, event: CallEvent, nowMs: number): RecordDecision {
  const { session } = record;
  if (record.seenEventIds.includes(event.id)) {
    const effect = record.effects.find((e) => e.eventId === event.id);
    return { kind: 'duplicate', replay: (effect?.commands ?? []).filter((c) => worthReplaying(c, session)) };
  }
  const decision = transition(session, event, nowMs);
  if (decision.state === session && decision.commands.length === 0) return { kind: 'unchanged' };
  const commands = stampCommands(event.id, decision.commands);
  const next: SessionRecord = {
    session: { ...decision.state, version: session.version + 1 },
    seenEventIds: [...record.seenEventIds, event.id].slice(-keptEventIds),
    effects: commands.length > 0 ? [...record.effects, { eventId: event.id, commands }].slice(-keptEffects) : record.effects,
  };
  return { kind: 'changed', record: next, commands, links: newLinks(session, next.session) };
}

/** A new session's first record, from its first event; every one of its links is new. */
export function firstRecord(transition: Transition, session: Session, event: CallEvent, nowMs: number): { record: SessionRecord; commands: readonly StampedCommand[]; links: readonly Link[] } {
  const decision = transition(session, event, nowMs);
  const commands = stampCommands(event.id, decision.commands);
  const record: SessionRecord = {
    session: { ...decision.state, version: 1 },
    seenEventIds: [event.id],
    effects: commands.length > 0 ? [{ eventId: event.id, commands }] : [],
  };
  return { record, commands, links: newLinks(undefined, record.session) };
}

/** Whether a stored session with a new call's candidate id is that same call (a redelivery), not another one. */
export function isSameCall(stored: Session, candidate: Session): boolean {
  return stored.customer.callControlId === candidate.customer.callControlId;
}

/**
 * One-time claims a command must take before it runs, tried in order; undefined means it runs
 * freely. Symbl has no idempotency key, so its start is claimed by whoever runs it first (the
 * first run, or a redelivery when the first failed before it); a redelivery that finds the claim
 * taken but nothing heard back after the grace period takes a second, last one.
 */
export function claimsFor(sessionId: string, command: StampedCommand, replayOf: Session | undefined, nowMs: number): readonly string[] | undefined {
  if (command.kind !== 'startAnalyzer') return undefined;
  const key = `${sessionId}:${command.commandId}`;
  return replayOf !== undefined && nowMs - replayOf.updatedAtMs >= analyzerStartGraceMs ? [key, `${key}:late`] : [key];
}

/** What a command's answer tells the call flow, as an event of its own (ids derive from the command's). */
export function eventForResult(command: StampedCommand, result: CommandResult): CallEvent | undefined {
  if (command.kind === 'dialOperator' && result.kind === 'dialed') {
    return { type: 'operator.initiated', id: `${command.commandId}:dialed`, callControlId: result.callControlId, operator: command.operator };
  }
  if (command.kind === 'startAnalyzer' && result.kind === 'analyzer-started') {
    return { type: 'analyzer.started', id: `${command.commandId}:started`, connectionId: result.connectionId, conversationId: result.conversationId };
  }
  if (command.kind === 'startAnalyzer' && result.kind === 'analyzer-failed') {
    return { type: 'analyzer.failed', id: `${command.commandId}:failed`, reason: result.reason };
  }
  return undefined;
}

/** The call-flow event a queue message brings: a poll cycle with what it heard, or a timer. */
export function wakeupEvent(wakeup: Wakeup, messageId: string, heard: readonly Utterance[]): CallEvent {
  if (wakeup.kind === 'analyzer-timeout') return { type: 'analyzer.timeout', id: `timeout:${messageId}` };
  return { type: 'utterances.heard', id: `poll:${wakeup.seq}:${messageId}`, utterances: heard, poll: { seq: wakeup.seq, messageId } };
}
