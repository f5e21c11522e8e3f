import type { CallFlowSettings, Utterance, Wakeup } from '../core/model.js';
import { nextPoll, pollStanding, wantsPolling } from '../core/poll-chain.js';
import { unidentifiedLegCommands, wakeupEvent } from '../core/records.js';
import type { Log } from '../log.js';
import { SourceUnavailableError, type SentimentSource } from '../sentiment/sentiment-source.js';
import type { PollCursors, SessionLookups, SessionRepository } from '../store/session-store.js';
import type { ApplyOutcome, CallLoop } from './call-loop.js';

export interface PollerAppDeps {
  readonly loop: CallLoop;
  readonly sessions: SessionRepository;
  readonly lookups: SessionLookups;
  readonly cursors: PollCursors;
  readonly source: SentimentSource | undefined;
  readonly log: Log;
  readonly nowMs: () => number;
  readonly settings: Pick<CallFlowSettings, 'maxCallAgeSeconds' | 'pollIntervalSeconds'>;
}

export type PollOutcome = ApplyOutcome | 'stale' | 'source-unavailable' | 'ran';

/**
 * One queue message: a poll cycle, a timer, a command's retry, or a look at an analyzer leg.
 * Throws only when a retry could help (storage or queue trouble); a source outage skips the
 * cycle and the chain goes on.
 */
export function createPollerApp(deps: PollerAppDeps) {
  const { loop, log } = deps;

  async function poll(wakeup: Extract<Wakeup, { kind: 'poll' }>, messageId: string): Promise<PollOutcome> {
    const record = await deps.sessions.get(wakeup.sessionId);
    if (!record) return 'no-session';
    // A chain the session no longer wants ends here, nothing written, nothing sent: unless this is
    // the message that moved it last, back because its handler failed after the write (its cycle
    // escalated or ended the call), which replays what that cycle recorded.
    const wanted = wantsPolling(record.session, deps.nowMs(), deps.settings);
    const advanced = wanted && (await deps.cursors.advancePollCursor(wakeup.sessionId, wakeup.seq, messageId));
    const standing = advanced ? 'current' : pollStanding(await deps.cursors.getPollCursor(wakeup.sessionId), wakeup.seq, messageId);
    // Stale or doubled messages end here, before any call to the source.
    if (standing === 'stale' || (!wanted && standing !== 'resend')) {
      log.debug('poll message dropped', { sessionId: wakeup.sessionId, seq: wakeup.seq });
      return 'stale';
    }
    let heard: Utterance[] = [];
    let unavailable = false;
    if (deps.source) {
      try {
        heard = await deps.source.fetchUtterances(record.session);
      } catch (error) {
        if (!(error instanceof SourceUnavailableError)) throw error;
        unavailable = true;
        log.warn('sentiment source unavailable; skipping this cycle', { sessionId: wakeup.sessionId, error: error.message });
      }
    }
    // Heard nothing new: the session is not written at all.
    const { outcome, record: latest } = await loop.settle(wakeup.sessionId, wakeupEvent(wakeup, messageId, heard), record);
    const next = nextPoll(latest?.session ?? record.session, wakeup.seq, messageId, deps.nowMs(), deps.settings);
    if (next) await loop.runLoose([next]);
    if (unavailable) return 'source-unavailable';
    return standing === 'current' ? 'applied' : outcome;
  }

  return async function handleMessage(wakeup: Wakeup, messageId: string): Promise<PollOutcome> {
    switch (wakeup.kind) {
      case 'poll':
        return poll(wakeup, messageId);
      case 'retry':
        return loop.retry(wakeup.sessionId, wakeup.command, wakeup.attempt);
      case 'leg-check': {
        const link = await deps.lookups.findByLeg(wakeup.callControlId);
        const commands = unidentifiedLegCommands(wakeup.callControlId, link?.sessionId);
        if (commands.length > 0) log.warn('analyzer leg never said its session; hung up', { callControlId: wakeup.callControlId });
        await loop.runLoose(commands);
        return commands.length > 0 ? 'applied' : 'unchanged';
      }
      default:
        return loop.apply(wakeup.sessionId, wakeupEvent(wakeup, messageId, []));
    }
  };
}

export type PollerApp = ReturnType<typeof createPollerApp>;
