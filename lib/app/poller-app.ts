import type { Log } from '../log.js';
import type { QueueMessage } from '../scheduler/poll-queue.js';
import { SourceUnavailableError, type SentimentSource } from '../sentiment/sentiment-source.js';
import type { SessionStore } from '../store/session-store.js';
import type { ApplyOutcome, CallService } from './call-service.js';

export interface PollerAppDeps {
  readonly service: CallService;
  readonly store: SessionStore;
  readonly source: SentimentSource | undefined;
  readonly log: Log;
}

export type PollOutcome = ApplyOutcome | 'stale' | 'source-unavailable';

/**
 * One queue message: a poll cycle or the analyzer-join timer. Throws only when a retry could
 * help (storage or queue trouble); a source outage skips the cycle and the chain goes on.
 */
export function createPollerApp(deps: PollerAppDeps) {
  const { service, store, log } = deps;

  return async function handleMessage(message: QueueMessage, messageId: string): Promise<PollOutcome> {
    if (message.kind === 'analyzer-timeout') {
      return service.apply(message.sessionId, { type: 'analyzer.timeout', id: `timeout:${messageId}` });
    }
    const record = await store.get(message.sessionId);
    if (!record) return 'no-session';
    const { poll } = record.session;
    const current = poll.active && message.seq === poll.seq;
    // The message that advanced the chain may come back because its handler failed after the
    // write: it goes on to the service, which replays what it recorded (the chain may have
    // stopped since, when that cycle escalated or the call ended).
    const resend = message.seq + 1 === poll.seq && messageId === poll.advancedBy;
    // Stale or doubled messages end here, before any call to the source.
    if (!current && !resend) {
      log.debug('poll message dropped', { sessionId: message.sessionId, seq: message.seq, chainAt: poll.seq, active: poll.active });
      return 'stale';
    }
    let utterances: Awaited<ReturnType<SentimentSource['fetchUtterances']>> = [];
    let unavailable = false;
    if (current && deps.source) {
      try {
        utterances = await deps.source.fetchUtterances(record.session);
      } catch (error) {
        if (!(error instanceof SourceUnavailableError)) throw error;
        unavailable = true;
        log.warn('sentiment source unavailable; skipping this cycle', { sessionId: message.sessionId, error: error.message });
      }
    }
    const outcome = await service.apply(
      message.sessionId,
      { type: 'utterances.heard', id: `poll:${message.seq}:${messageId}`, utterances, poll: { seq: message.seq, messageId } },
      record,
    );
    return unavailable && outcome === 'applied' ? 'source-unavailable' : outcome;
  };
}

export type PollerApp = ReturnType<typeof createPollerApp>;
