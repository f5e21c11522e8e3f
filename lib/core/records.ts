/**
 * Delivery bookkeeping around the call flow, decided here once: which events were already
 * applied, what a redelivery repeats, which commands run only under a one-time claim, what a
 * command's answer means to the flow, and which look-up entries a write adds.
 */
import type { Transition } from './call-flow.js';
import { stampCommands } from './command-ids.js';
import type { CallEvent, CommandResult, Link, MetricFact, RecordedEffect, SessionRecord, Session, StampedCommand, TimelineEntry, Utterance, Wakeup } from './model.js';

/** Event ids remembered per session for de-duplication: more than any call's webhooks. */
const keptEventIds = 400;

const isPollId = (id: string) => id.startsWith('poll:');

/**
 * The event ids a session remembers after applying `id`. Of the poll chain's only the newest:
 * only the message at the chain's cursor, or the one that moved it there coming back, is ever
 * applied (`pollStanding`), so an older cycle's id can never arrive again. A long call then
 * keeps its webhooks' ids, not one per poll cycle that heard something.
 */
function remembered(ids: readonly string[], id: string): readonly string[] {
  const kept = isPollId(id) ? ids.filter((seen) => !isPollId(seen)) : ids;
  return [...kept, id].slice(-keptEventIds);
}
/**
 * How long an event's commands are kept for a redelivery to repeat: past Telnyx's redelivery
 * window (a failover attempt, then at most 60 s of retries) whatever else the call does.
 */
export const replayWindowMs = 5 * 60_000;
/** A bound on the kept effects besides their age, so a runaway call cannot grow its item. */
const maxKeptEffects = 200;

export type RecordDecision =
  /** Already applied: repeat what it asked for that still makes sense. */
  | { readonly kind: 'duplicate'; readonly replay: readonly StampedCommand[] }
  | { readonly kind: 'unchanged' }
  /** Write `record` (conditional on the version it was decided from) with `links`, then count `facts`, run `commands` and write `notes`. */
  | ({ readonly kind: 'changed' } & RecordChange);

/** What a decision writes, runs, notes and counts. */
export interface RecordChange {
  readonly record: SessionRecord;
  readonly commands: readonly StampedCommand[];
  readonly links: readonly Link[];
  readonly notes: readonly TimelineEntry[];
  readonly facts: readonly MetricFact[];
}

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
export function stillMatters(command: StampedCommand, session: Session | undefined): boolean {
  const cleanUp = command.kind === 'hangup' || command.kind === 'endConference' || command.kind === 'stopAnalyzer';
  // A leg of no session (the analyzer's before it is identified): its answer and code gather, or its hangup.
  if (session === undefined) return cleanUp || command.kind === 'answer' || command.kind === 'collectCode';
  const escalation = session.escalation;
  const attemptOf = (ref: { round: number; attempt: number }) => (escalation?.round === ref.round ? escalation.attempts[ref.attempt] : undefined);
  switch (command.kind) {
    case 'startAnalyzer':
      return session.analyzer.status === 'requested';
    case 'dialOperator': {
      const attempt = attemptOf(command.operator);
      // A refused dial is asked again: refused again, it brings back the refusal a crash may have cut short.
      const refused = attempt?.status === 'failed' && attempt.outcome === 'refused' && attempt.callControlId === undefined;
      return (attempt?.status === 'ringing' || refused) && attempt?.callControlId === undefined && session.status === 'active';
    }
    case 'checkCall':
      // A look: asked again, its answer brings back what it decided (the session's end).
      return true;
    case 'briefOperator':
      return session.status === 'active' && escalation?.attempts.some((a) => a.callControlId === command.callControlId && a.status === 'screening') === true;
    default:
      return session.status === 'active' || cleanUp;
  }
}

/**
 * The effects still worth keeping: those inside the replay window, and of the poll chain only the
 * newest (each cycle supersedes the last, and a chain at one cycle a second would crowd out
 * every webhook's effects).
 */
function keptEffects(effects: readonly RecordedEffect[], added: RecordedEffect | undefined, nowMs: number): readonly RecordedEffect[] {
  const isPoll = (e: RecordedEffect) => isPollId(e.eventId);
  const kept = effects.filter((e) => (e.atMs ?? nowMs) > nowMs - replayWindowMs && !(added !== undefined && isPoll(added) && isPoll(e)));
  return (added ? [...kept, added] : kept).slice(-maxKeptEffects);
}

/**
 * What a redelivery of an event repeats: its recorded commands, then those of the events their
 * answers brought (a dial's leg or refusal, a leg's status, ids `<commandId>:<what>`), which were
 * part of the same delivery: a crash after one of those writes is finished by the redelivery too.
 */
function recordedFor(record: SessionRecord, eventId: string): StampedCommand[] {
  const own = record.effects.find((e) => e.eventId === eventId)?.commands ?? [];
  const answers = own.flatMap((c) => record.effects.filter((e) => e.eventId.startsWith(`${c.commandId}:`)));
  return [...own, ...answers.flatMap((e) => recordedFor(record, e.eventId))];
}

/** Applies one event to a stored session: a duplicate, no change, or the record to write. */
export function decide(transition: Transition, record: SessionRecord, event: CallEvent, nowMs: number): RecordDecision {
  const { session } = record;
  if (record.seenEventIds.includes(event.id)) {
    return { kind: 'duplicate', replay: recordedFor(record, event.id).filter((c) => stillMatters(c, session)) };
  }
  const decision = transition(session, event, nowMs);
  if (decision.state === session && decision.commands.length === 0) return { kind: 'unchanged' };
  const commands = stampCommands(event.id, decision.commands);
  const next: SessionRecord = {
    session: { ...decision.state, version: session.version + 1 },
    seenEventIds: remembered(record.seenEventIds, event.id),
    effects: keptEffects(record.effects, effectOf(event.id, commands, nowMs), nowMs),
  };
  return { kind: 'changed', record: next, commands, links: newLinks(session, next.session), notes: decision.notes, facts: decision.facts };
}

/** A new session's first record, from its first event; every one of its links is new. */
export function firstRecord(
  transition: Transition,
  session: Session,
  event: CallEvent,
  nowMs: number,
): RecordChange {
  const decision = transition(session, event, nowMs);
  const commands = stampCommands(event.id, decision.commands);
  const effect = effectOf(event.id, commands, nowMs);
  const record: SessionRecord = { session: { ...decision.state, version: 1 }, seenEventIds: [event.id], effects: effect ? [effect] : [] };
  return { record, commands, links: newLinks(undefined, record.session), notes: decision.notes, facts: decision.facts };
}

/**
 * What an event asked for, kept for a redelivery to repeat: nothing when it asked for nothing.
 * Its timeline entries are not kept (they would grow every write for the replay window); they are
 * written once, after the session.
 */
function effectOf(eventId: string, commands: readonly StampedCommand[], nowMs: number): RecordedEffect | undefined {
  return commands.length === 0 ? undefined : { eventId, commands, atMs: nowMs };
}

/** Whether a stored session with a new call's candidate id is that same call (a redelivery), not another one. */
export function isSameCall(stored: Session, candidate: Session): boolean {
  return stored.customer.callControlId === candidate.customer.callControlId;
}

/**
 * One-time claims a command must take before it runs; undefined means it runs freely. Symbl has
 * no idempotency key, so its start runs under a claim taken by whoever runs it first (the first
 * run, or a redelivery when the first failed before it), and never twice: at most one analyzer
 * per customer call, ever. A start whose answer was lost leaves the call a keypad IVR.
 */
export function claimsFor(sessionId: string, command: StampedCommand): readonly string[] | undefined {
  if (command.kind !== 'startAnalyzer') return undefined;
  return [`${sessionId}:${command.commandId}`];
}

/** What a command's answer tells the call flow, as an event of its own (ids derive from the command's). */
export function eventForResult(command: StampedCommand, result: CommandResult): CallEvent | undefined {
  const id = (what: string) => `${command.commandId}:${what}`;
  switch (command.kind) {
    case 'dialOperator':
      if (result.kind === 'dialed') return { type: 'operator.initiated', id: id('dialed'), callControlId: result.callControlId, operator: command.operator };
      if (result.kind === 'refused') return { type: 'operator.refused', id: id('refused'), operator: command.operator, reason: `Telnyx refused the dial (${result.status})` };
      return undefined;
    case 'startAnalyzer':
      if (result.kind === 'analyzer-started') return { type: 'analyzer.started', id: id('started'), connectionId: result.connectionId, conversationId: result.conversationId };
      if (result.kind === 'analyzer-failed') return { type: 'analyzer.failed', id: id('failed'), reason: result.reason };
      return undefined;
    case 'checkCall':
      // A leg Telnyx no longer knows (404, 422) is gone too.
      if (result.kind === 'call-status') return { type: 'customer.status', id: id('status'), alive: result.alive };
      if (result.kind === 'refused') return { type: 'customer.status', id: id('status'), alive: false };
      return undefined;
    case 'playMenu':
    case 'speak':
      return result.kind === 'refused' ? { type: 'prompt.refused', id: id('refused'), prompt: command.kind, text: command.text } : undefined;
    default:
      return undefined;
  }
}

/** Commands that reach the telephony or analyzer services (and so can fail for now); the rest are our own queue and table. */
export function needsTelephony(command: StampedCommand): boolean {
  return !(command.kind === 'schedulePoll' || command.kind === 'scheduleTimeout' || command.kind === 'scheduleWakeup' || command.kind === 'rememberAnalyzerCaller');
}

/**
 * The mark a command's durable retry leaves once the command got through (done, or refused).
 * Another chain of retries for the same command (two redeliveries whose repeats both failed for
 * now), or a retry message the queue delivers again, finds it and sends nothing: after 60 s
 * Telnyx no longer ignores a repeated command_id, and the customer would hear a prompt twice.
 */
export function retryDoneMark(command: StampedCommand): string {
  return `done:${command.commandId}`;
}

/** Seconds before each retry of a command that failed for now: about four minutes in all, then it is given up. */
const retryDelaysSeconds = [1, 2, 4, 8, 15, 30, 60, 120] as const;

/**
 * What follows a command that failed for now: a retry through the queue (the product's own
 * durable retry: a redelivery is not one), or, once the retries are spent, the event that gives
 * it up (a dial that cannot be placed moves on to the next number).
 */
export function afterUnavailable(sessionId: string | undefined, command: StampedCommand, attempt: number, reason: string): { retry: StampedCommand } | { event: CallEvent | undefined } {
  const delaySeconds = retryDelaysSeconds[attempt - 1];
  if (delaySeconds === undefined) {
    if (command.kind !== 'dialOperator') return { event: undefined };
    return { event: { type: 'operator.refused', id: `${command.commandId}:abandoned`, operator: command.operator, reason: `the dial could not be placed: ${reason}` } };
  }
  const wakeup: Wakeup = { kind: 'retry', ...(sessionId !== undefined ? { sessionId } : {}), command, attempt };
  return { retry: { kind: 'scheduleWakeup', wakeup, delaySeconds, commandId: `${command.commandId}:retry-${attempt}` } };
}

/** The call-flow event a queue message brings: a poll cycle with what it heard, or a timer. */
export function wakeupEvent(wakeup: Exclude<Wakeup, { kind: 'leg-check' } | { kind: 'retry' }>, messageId: string, heard: readonly Utterance[]): CallEvent {
  switch (wakeup.kind) {
    case 'analyzer-timeout':
      return { type: 'analyzer.timeout', id: `timeout:${messageId}` };
    case 'accept-timeout':
      return { type: 'operator.accept-timeout', id: `accept:${messageId}`, operator: { round: wakeup.round, attempt: wakeup.attempt } };
    case 'check':
      return { type: 'session.check', id: `check:${messageId}` };
    case 'poll':
      return { type: 'utterances.heard', id: `poll:${wakeup.seq}:${messageId}`, utterances: heard, poll: { seq: wakeup.seq, messageId } };
  }
}

/** An analyzer leg that never said which session it belongs to is hung up; one that did is left alone. */
export function unidentifiedLegCommands(callControlId: string, sessionId: string | undefined): readonly StampedCommand[] {
  return sessionId === undefined ? stampCommands(`leg-check:${callControlId}`, [{ kind: 'hangup', callControlId }]) : [];
}
