/**
 * The product's one timeout budget. Every wait the functions can spend is bounded here, and
 * `test/unit/timeouts.test.ts` checks the sum: a function never outlives its timeout, and a
 * poll message is never delivered again while its first handler still runs.
 */
export const timeouts = {
  /** One Telnyx API request (the SDK's own retries are off: the tries below are ours). */
  telnyxRequestMs: 2000,
  /** Tries of one Telnyx command inline; then it is left to the durable retry through the queue. */
  telnyxTries: 2,
  /** The longest wait between tries, a `Retry-After` from Telnyx included. */
  telnyxBackoffCapMs: 500,
  /** One Symbl request (its client does not retry; a failed poll skips a cycle). */
  symblRequestMs: 4000,
  /**
   * One Comprehend DetectSentiment call, not retried (it answers in well under this): past it
   * the utterance is scored locally, as a late score would hold up the webhook for nothing.
   */
  comprehendRequestMs: 800,
  /** Commands an invocation starts inline after this long go to the durable retry instead, unrun. */
  commandBudgetMs: 4000,
  /** One DynamoDB request, and tries of it. */
  dynamoRequestMs: 1000,
  dynamoTries: 2,
  /** Store round trips one invocation makes at most in the common worst case: look-ups, a read, a write, a conflict. */
  dynamoRoundTrips: 4,
  /** One SQS send, and tries of it. */
  sqsRequestMs: 1000,
  sqsTries: 2,
  /** Both functions' timeout. */
  functionTimeoutSeconds: 30,
  /** The poll queue's visibility timeout: Lambda's guidance for SQS event sources is six times the function timeout. */
  visibilityTimeoutSeconds: 180,
  /**
   * How long a queue message whose handling failed (storage or queue trouble) waits before it is
   * received again, by how many times it has been received: soon at first, so a poll chain or an
   * operator's timer is not held up for a whole visibility timeout by one throttled write, then
   * longer. One entry per receive but the last, after which the message is dead-lettered.
   */
  failedMessageReturnSeconds: [5, 15, 30, 60, 120, 180, 300],
} as const;

/** Receives of one queue message before it is set aside in the dead-letter queue. */
export const pollMaxReceives = timeouts.failedMessageReturnSeconds.length + 1;

/** How long a message that failed on its `receiveCount`th receive waits before its next. */
export function failedMessageReturnSeconds(receiveCount: number): number {
  const waits = timeouts.failedMessageReturnSeconds;
  return waits[Math.min(Math.max(1, Math.trunc(receiveCount) || 1), waits.length) - 1]!;
}

/** The longest one Telnyx command can take inline: every try timing out, with the capped waits between. */
export const telnyxCommandWorstMs = timeouts.telnyxTries * timeouts.telnyxRequestMs + (timeouts.telnyxTries - 1) * timeouts.telnyxBackoffCapMs;

/** The longest handling one event can take: the command budget, one last command started just before it ran out, the store and a send. */
export const eventWorstMs =
  timeouts.commandBudgetMs +
  Math.max(telnyxCommandWorstMs, timeouts.symblRequestMs) +
  timeouts.dynamoRoundTrips * timeouts.dynamoTries * timeouts.dynamoRequestMs +
  timeouts.sqsTries * timeouts.sqsRequestMs;

/** The longest a webhook can take: an event's handling, after scoring its transcript with Comprehend (the only function that scores). */
export const webhookWorstMs = eventWorstMs + timeouts.comprehendRequestMs;

/** The longest a poller batch can take: its messages run side by side, each an event's handling plus one read of the analyzer. */
export const pollerWorstMs = eventWorstMs + timeouts.symblRequestMs;
