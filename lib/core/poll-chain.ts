import { stampCommands } from './command-ids.js';
import type { CallFlowSettings, Session, StampedCommand } from './model.js';

/**
 * The poll chain's position, kept apart from the session so that a cycle that hears nothing new
 * writes only this small item: the next message's `seq`, and which message moved it there.
 */
export interface PollCursor {
  readonly seq: number;
  readonly advancedBy?: string;
}

export type PollStanding = 'current' | 'resend' | 'stale';

/**
 * Where a poll message stands in its session's chain. Only the message at the chain's current
 * position advances it, so redelivered or doubled messages cannot start a second chain. The
 * message that advanced the chain may come back (its handler failed after the move): it may
 * finish its cycle and send the follow-up, nothing else. Anything else is stale and is dropped
 * unheard. A chain with no cursor yet is at its first message.
 */
export function pollStanding(cursor: PollCursor | undefined, seq: number, messageId: string): PollStanding {
  const at = cursor?.seq ?? 0;
  if (seq === at) return 'current';
  if (seq + 1 === at && messageId === cursor?.advancedBy) return 'resend';
  return 'stale';
}

/** Whether the session still wants its chain: polling on, the call live, not escalated, not past its age. */
export function wantsPolling(session: Session, nowMs: number, settings: Pick<CallFlowSettings, 'maxCallAgeSeconds'>): boolean {
  const tooOld = nowMs - session.createdAtMs >= settings.maxCallAgeSeconds * 1000;
  return session.poll.active && session.status === 'active' && session.escalation === undefined && !tooOld;
}

/** The chain's next message after the cycle at `seq`, or nothing when the session no longer wants it. */
export function nextPoll(
  session: Session,
  seq: number,
  messageId: string,
  nowMs: number,
  settings: Pick<CallFlowSettings, 'maxCallAgeSeconds' | 'pollIntervalSeconds'>,
): StampedCommand | undefined {
  if (!wantsPolling(session, nowMs, settings)) return undefined;
  return stampCommands(`poll:${seq}:${messageId}`, [{ kind: 'schedulePoll', sessionId: session.id, seq: seq + 1, delaySeconds: settings.pollIntervalSeconds }])[0];
}
