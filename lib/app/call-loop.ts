import type { Transition } from '../core/call-flow.js';
import type { CallEvent, CommandResult, Session, SessionRecord, StampedCommand, TimelineEntry } from '../core/model.js';
import { afterUnavailable, claimsFor, decide, eventForResult, firstRecord, isSameCall, needsTelephony, retryDoneMark, stillMatters } from '../core/records.js';
import { ConcurrencyError } from '../errors.js';
import type { Log } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Claims, SessionRepository } from '../store/session-store.js';
import type { TimelineWriter } from '../store/timeline-store.js';

/** Runs one command; its answer goes back to the call flow as an event. */
export interface CommandExecutor {
  /** `sessionId` is for logs: the analyzer's leg has none until it is identified. */
  run(command: StampedCommand, sessionId: string | undefined): Promise<CommandResult>;
}

export type ApplyOutcome = 'applied' | 'unchanged' | 'duplicate' | 'no-session';

export interface CallLoop {
  /** Applies an event to a session, then the events its commands answer with, one after another. */
  apply(sessionId: string, event: CallEvent, known?: SessionRecord): Promise<ApplyOutcome>;
  /** The same, answering also with the session as it stands once all of that is done. */
  settle(sessionId: string, event: CallEvent, known?: SessionRecord): Promise<{ outcome: ApplyOutcome; record: SessionRecord | undefined }>;
  /** Creates a session with its first event; 'taken' when its id belongs to another call. */
  start(candidate: Session, event: CallEvent): Promise<ApplyOutcome | 'taken'>;
  /** Runs commands for a leg that belongs to no session. */
  runLoose(commands: readonly StampedCommand[]): Promise<void>;
  /** Tries a command again that failed for now, if it still matters; `sessionId` absent for a leg of no session. */
  retry(sessionId: string | undefined, command: StampedCommand, attempt: number): Promise<'ran' | 'stale'>;
}

export interface CallLoopDeps {
  readonly sessions: SessionRepository;
  readonly claims: Claims;
  readonly timeline: TimelineWriter;
  readonly executor: CommandExecutor;
  readonly transition: Transition;
  readonly log: Log;
  /** Counts what saved decisions found: once each, since only a saved decision counts. */
  readonly metrics: Metrics;
  readonly nowMs: () => number;
  /** Telephony commands an invocation starts after this long go to the durable retry instead. */
  readonly commandBudgetMs: number;
}

/** Conditional-write retries before giving up (the sender redelivers later). */
const maxAttempts = 8;
/** Events fed back from command answers per delivery, at most (a dial's leg id, an analyzer's start). */
const maxFollowUps = 8;

interface Step {
  readonly outcome: ApplyOutcome;
  readonly record: SessionRecord | undefined;
  readonly commands: readonly StampedCommand[];
  /** Timeline entries the step wrote, to store once its commands ran. */
  readonly notes?: readonly TimelineEntry[];
  /** Set when the commands are a redelivery's replay: the session as found. */
  readonly replayOf?: Session;
}

/**
 * The one loop every entry point runs: load → decide → save → run commands → feed their answers
 * back as events, until nothing is left. Every decision (duplicates, replays, claims, what an
 * answer means) is the core's; this only does the I/O in order.
 */
export function createCallLoop(deps: CallLoopDeps): CallLoop {
  const { sessions, claims, executor, transition, log } = deps;

  /** Load, decide, save: repeated on a lost conditional write, deciding again on what is stored. */
  async function step(sessionId: string, event: CallEvent, known: SessionRecord | undefined): Promise<Step> {
    let record = known;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      record ??= await sessions.get(sessionId);
      if (!record) return { outcome: 'no-session', record, commands: [] };
      const decision = decide(transition, record, event, deps.nowMs());
      if (decision.kind === 'duplicate') {
        log.info('duplicate event', { sessionId, eventId: event.id, eventType: event.type, replayedCommands: decision.replay.length });
        return { outcome: 'duplicate', record, commands: decision.replay, replayOf: record.session };
      }
      if (decision.kind === 'unchanged') {
        log.debug('event changes nothing', { sessionId, eventId: event.id, eventType: event.type });
        return { outcome: 'unchanged', record, commands: [] };
      }
      const saved = await sessions.save(decision.record, decision.links);
      if (saved.outcome === 'conflict') {
        log.debug('version conflict, deciding again on the stored session', { sessionId, eventId: event.id, attempt });
        record = saved.current;
        if (!record) return { outcome: 'no-session', record, commands: [] };
        continue;
      }
      deps.metrics.facts(decision.facts);
      const { session } = decision.record;
      log.info('event applied', {
        sessionId,
        eventId: event.id,
        eventType: event.type,
        version: session.version,
        status: session.status,
        commands: decision.commands.map((c) => c.kind),
      });
      return { outcome: 'applied', record: decision.record, commands: decision.commands, notes: decision.notes };
    }
    throw new ConcurrencyError(`Session ${sessionId} kept changing under event ${event.id}`);
  }

  /**
   * Runs one command and says what follows: the event its answer means, or, when it failed for
   * now (or the invocation's budget is spent), its retry through the queue; and whether it got
   * through (done or refused).
   */
  async function runOne(sessionId: string | undefined, command: StampedCommand, attempt: number, deadline: number): Promise<{ answers: CallEvent[]; through: boolean }> {
    const late = needsTelephony(command) && deps.nowMs() > deadline;
    const result = late ? ({ kind: 'unavailable', reason: 'deferred past the invocation budget' } as const) : await executor.run(command, sessionId);
    if (result.kind !== 'unavailable') {
      const answer = sessionId === undefined ? undefined : eventForResult(command, result);
      return { answers: answer ? [answer] : [], through: true };
    }
    const next = afterUnavailable(sessionId, command, attempt, result.reason);
    if ('retry' in next) {
      await executor.run(next.retry, sessionId);
      return { answers: [], through: false };
    }
    log.warn('command given up after its retries', { sessionId, command: command.kind, commandId: command.commandId, reason: result.reason });
    return { answers: next.event ? [next.event] : [], through: false };
  }

  /** Runs a step's commands in order (claimed ones only under their claim); returns the events their answers mean. */
  async function run(sessionId: string, done: Step, deadline: number): Promise<CallEvent[]> {
    const followUps: CallEvent[] = [];
    for (const command of done.commands) {
      const keys = claimsFor(sessionId, command);
      if (keys !== undefined && !(await takeAny(keys))) continue;
      followUps.push(...(await runOne(sessionId, command, 1, deadline)).answers);
    }
    return followUps;
  }

  async function takeAny(keys: readonly string[]): Promise<boolean> {
    for (const key of keys) if (await claims.claim(key)) return true;
    return false;
  }

  /** A step's commands, then its timeline entries (after the commands: the call comes first). */
  async function finish(sessionId: string, done: Step, deadline: number): Promise<CallEvent[]> {
    const followUps = await run(sessionId, done, deadline);
    if (done.notes && done.notes.length > 0) await deps.timeline.appendTimeline(sessionId, done.notes);
    return followUps;
  }

  /** Runs `first`'s commands and then each answer's event through the same steps; answers with the last record. */
  async function drain(sessionId: string, first: Step, queue: CallEvent[] = []): Promise<SessionRecord | undefined> {
    const deadline = deps.nowMs() + deps.commandBudgetMs;
    let record = first.record;
    queue.push(...(await finish(sessionId, first, deadline)));
    for (let n = 0; n < maxFollowUps && queue.length > 0; n++) {
      const next = await step(sessionId, queue.shift()!, record);
      record = next.record;
      queue.push(...(await finish(sessionId, next, deadline)));
    }
    return record;
  }

  return {
    async apply(sessionId, event, known) {
      return (await this.settle(sessionId, event, known)).outcome;
    },

    async settle(sessionId, event, known) {
      const first = await step(sessionId, event, known);
      return { outcome: first.outcome, record: await drain(sessionId, first) };
    },

    async start(candidate, event) {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const existing = await sessions.get(candidate.id);
        if (existing) {
          if (!isSameCall(existing.session, candidate)) return 'taken';
          return this.apply(candidate.id, event, existing);
        }
        const { record, commands, links, notes, facts } = firstRecord(transition, candidate, event, deps.nowMs());
        if ((await sessions.create(record, links)) === 'exists') continue;
        deps.metrics.facts(facts);
        log.info('session started', { sessionId: candidate.id, eventId: event.id, commands: commands.map((c) => c.kind) });
        await drain(candidate.id, { outcome: 'applied', record, commands, notes });
        return 'applied';
      }
      throw new ConcurrencyError(`Session ${candidate.id} could not be created`);
    },

    async runLoose(commands) {
      const deadline = deps.nowMs() + deps.commandBudgetMs;
      for (const command of commands) await runOne(undefined, command, 1, deadline);
    },

    async retry(sessionId, command, attempt) {
      const record = sessionId === undefined ? undefined : await sessions.get(sessionId);
      if ((sessionId !== undefined && record === undefined) || !stillMatters(command, record?.session)) return 'stale';
      const mark = retryDoneMark(command);
      if (await claims.isClaimed(mark)) return 'stale';
      const { answers, through } = await runOne(sessionId, command, attempt + 1, deps.nowMs() + deps.commandBudgetMs);
      if (sessionId !== undefined && answers.length > 0) {
        const [first, ...rest] = answers;
        await drain(sessionId, await step(sessionId, first!, record), rest);
      }
      // Marked only once what its answer means is done too: a crash before this sends the
      // command again on redelivery, and a refused dial's repeat brings back its refusal.
      if (through) await claims.claim(mark);
      return 'ran';
    },
  };
}
