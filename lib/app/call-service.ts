import { stampCommands } from '../core/command-ids.js';
import type { Transition } from '../core/call-flow.js';
import type { CallEvent, Session, StampedCommand } from '../core/model.js';
import { ConcurrencyError } from '../errors.js';
import type { Log } from '../log.js';
import type { Link, SessionRecord, SessionStore } from '../store/session-store.js';

/** Runs one command; may answer with an event the call flow needs to hear (a dial's leg id, say). */
export interface CommandExecutor {
  /** `sessionId` is for logs: the analyzer's leg has none until it is identified. */
  run(command: StampedCommand, sessionId: string | undefined): Promise<CallEvent | undefined>;
}

export type ApplyOutcome = 'applied' | 'unchanged' | 'duplicate' | 'no-session';

export interface CallService {
  /** Loads the session, decides, writes (guarded by version), then runs the commands. */
  apply(sessionId: string, event: CallEvent, known?: SessionRecord): Promise<ApplyOutcome>;
  /** Creates a session with its first event; a duplicate finds the existing one. */
  start(session: Session, event: CallEvent): Promise<ApplyOutcome | 'taken'>;
}

export interface CallServiceDeps {
  readonly store: SessionStore;
  readonly executor: CommandExecutor;
  readonly transition: Transition;
  readonly log: Log;
  readonly nowMs: () => number;
}

/** Event ids remembered per session for de-duplication: more than any call's webhooks. */
const keptEventIds = 400;
/** Recent events whose commands are kept for replay on redelivery. */
const keptEffects = 24;
/** Conditional-write retries before giving up (the sender redelivers later). */
const maxAttempts = 8;
/** Feedback events (a command's answer) nest at most this deep. */
const maxFeedbackDepth = 3;

/** The look-up items a session needs: its legs and its conference. */
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
 * An analyzer start whose claim was taken but which never reported back is tried once more only
 * after this long: a concurrent duplicate must not start a second analyzer while the first call
 * is still in flight.
 */
const analyzerStartGraceMs = 10_000;

const analyzerClaim = (sessionId: string, command: StampedCommand) => `${sessionId}:${command.commandId}`;

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

export function createCallService(deps: CallServiceDeps): CallService {
  const { store, executor, transition, log } = deps;

  /**
   * Symbl has no idempotency key, so its start runs under a one-time claim, taken by whoever runs
   * it first (the first run, or a redelivery when the first failed before it). A redelivery finding
   * the claim taken but nothing heard back after the grace period takes a second, last one.
   */
  async function claimAnalyzerStart(sessionId: string, command: StampedCommand, replayedFor?: Session): Promise<boolean> {
    if (await store.claim(analyzerClaim(sessionId, command))) return true;
    if (!replayedFor || deps.nowMs() - replayedFor.updatedAtMs < analyzerStartGraceMs) return false;
    return store.claim(`${analyzerClaim(sessionId, command)}:late`);
  }

  /**
   * Runs commands in order; a command's answer is applied at once, from the record just written.
   * Replays (`replayedFor`: the session as found) go the same way, so their answers count too.
   */
  async function execute(sessionId: string, commands: readonly StampedCommand[], after: SessionRecord, depth: number, replayedFor?: Session) {
    let latest: SessionRecord | undefined = after;
    for (const command of commands) {
      if (command.kind === 'startAnalyzer' && !(await claimAnalyzerStart(sessionId, command, replayedFor))) continue;
      const feedback = await executor.run(command, sessionId);
      if (feedback && depth < maxFeedbackDepth) {
        latest = (await applyAt(sessionId, feedback, latest, depth + 1)).record;
      }
    }
  }

  async function applyAt(
    sessionId: string,
    event: CallEvent,
    known: SessionRecord | undefined,
    depth: number,
  ): Promise<{ outcome: ApplyOutcome; record: SessionRecord | undefined }> {
    let record = known;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      record ??= await store.get(sessionId);
      if (!record) return { outcome: 'no-session', record };
      const { session } = record;

      if (record.seenEventIds.includes(event.id)) {
        const effect = record.effects.find((e) => e.eventId === event.id);
        const replay = (effect?.commands ?? []).filter((c) => worthReplaying(c, session));
        log.info('duplicate event', { sessionId, eventId: event.id, eventType: event.type, replayedCommands: replay.length });
        await execute(sessionId, replay, record, depth, session);
        return { outcome: 'duplicate', record };
      }

      const decision = transition(session, event, deps.nowMs());
      if (decision.state === session && decision.commands.length === 0) {
        log.debug('event changes nothing', { sessionId, eventId: event.id, eventType: event.type });
        return { outcome: 'unchanged', record };
      }
      const commands = stampCommands(event.id, decision.commands);
      const next: SessionRecord = {
        session: { ...decision.state, version: session.version + 1 },
        seenEventIds: [...record.seenEventIds, event.id].slice(-keptEventIds),
        effects: commands.length > 0 ? [...record.effects, { eventId: event.id, commands }].slice(-keptEffects) : record.effects,
      };
      const saved = await store.save(next, newLinks(session, next.session));
      if (saved.outcome === 'conflict') {
        log.debug('version conflict, deciding again on the stored session', { sessionId, eventId: event.id, attempt });
        record = saved.current;
        if (!record) return { outcome: 'no-session', record };
        continue;
      }
      log.info('event applied', {
        sessionId,
        eventId: event.id,
        eventType: event.type,
        version: next.session.version,
        status: next.session.status,
        commands: commands.map((c) => c.kind),
      });
      await execute(sessionId, commands, next, depth);
      return { outcome: 'applied', record: next };
    }
    throw new ConcurrencyError(`Session ${sessionId} kept changing under event ${event.id}`);
  }

  return {
    apply: async (sessionId, event, known) => (await applyAt(sessionId, event, known, 0)).outcome,

    async start(session, event) {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const existing = await store.get(session.id);
        if (existing) {
          if (existing.session.customer.callControlId !== session.customer.callControlId) return 'taken';
          return (await applyAt(session.id, event, existing, 0)).outcome;
        }
        const decision = transition(session, event, deps.nowMs());
        const commands = stampCommands(event.id, decision.commands);
        const record: SessionRecord = {
          session: { ...decision.state, version: 1 },
          seenEventIds: [event.id],
          effects: commands.length > 0 ? [{ eventId: event.id, commands }] : [],
        };
        if ((await store.create(record, newLinks(undefined, record.session))) === 'exists') continue;
        log.info('session started', { sessionId: session.id, eventId: event.id, commands: commands.map((c) => c.kind) });
        await execute(session.id, commands, record, 0);
        return 'applied';
      }
      throw new ConcurrencyError(`Session ${session.id} could not be created`);
    },
  };
}
