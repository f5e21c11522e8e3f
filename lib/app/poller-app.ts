import type { Utterance, Wakeup } from '../core/model.js';
import { pollStanding } from '../core/poll-chain.js';
import { wakeupEvent } from '../core/records.js';
import type { Log } from '../log.js';
import { SourceUnavailableError, type SentimentSource } from '../sentiment/sentiment-source.js';
import type { SessionRepository } from '../store/session-store.js';
import type { ApplyOutcome, CallLoop } from './call-loop.js';

export interface PollerAppDeps {
  readonly loop: CallLoop;
  readonly sessions: SessionRepository;
  readonly source: SentimentSource | undefined;
  readonly log: Log;
}

export type PollOutcome = ApplyOutcome | 'stale' | 'source-unavailable';

/**
 * One queue message: a poll cycle or the analyzer-join timer. Throws only when a retry could
 * help (storage or queue trouble); a source outage skips the cycle and the chain goes on.
 */
export function createPollerApp(deps: PollerAppDeps) {
  const { loop, log } = deps;

  return async function handleMessage(wakeup: Wakeup, messageId: string): Promise<PollOutcome> {
    if (wakeup.kind !== 'poll') return loop.apply(wakeup.sessionId, wakeupEvent(wakeup, messageId, []));
    const record = await deps.sessions.get(wakeup.sessionId);
    if (!record) return 'no-session';
    const standing = pollStanding(record.session.poll, wakeup.seq, messageId);
    // Stale or doubled messages end here, before any call to the source.
    if (standing === 'stale') {
      log.debug('poll message dropped', { sessionId: wakeup.sessionId, seq: wakeup.seq, chainAt: record.session.poll.seq, active: record.session.poll.active });
      return 'stale';
    }
    let heard: Utterance[] = [];
    let unavailable = false;
    if (standing === 'current' && deps.source) {
      try {
        heard = await deps.source.fetchUtterances(record.session);
      } catch (error) {
        if (!(error instanceof SourceUnavailableError)) throw error;
        unavailable = true;
        log.warn('sentiment source unavailable; skipping this cycle', { sessionId: wakeup.sessionId, error: error.message });
      }
    }
    const outcome = await loop.apply(wakeup.sessionId, wakeupEvent(wakeup, messageId, heard), record);
    return unavailable && outcome === 'applied' ? 'source-unavailable' : outcome;
  };
}

export type PollerApp = ReturnType<typeof createPollerApp>;
