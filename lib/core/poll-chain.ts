import type { Session } from './model.js';

export type PollStanding = 'current' | 'resend' | 'stale';

/**
 * Where a poll message stands in its session's chain. Only the message at the chain's current
 * position advances it, so redelivered or doubled messages cannot start a second chain. The
 * message that advanced the chain may come back (its handler failed after the write): it may
 * repeat what it recorded, nothing else. Anything else is stale and is dropped unheard.
 */
export function pollStanding(poll: Session['poll'], seq: number, messageId: string): PollStanding {
  if (poll.active && seq === poll.seq) return 'current';
  if (seq + 1 === poll.seq && messageId === poll.advancedBy) return 'resend';
  return 'stale';
}
