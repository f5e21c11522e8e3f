import type { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import type { Wakeup } from '../core/model.js';

/** What travels on the poll queue: poll cycles, timers, commands tried again, looks at analyzer legs. */
export type QueueMessage = Wakeup;

const sessionId = z.string().check(z.regex(/^\d{10}$/));
const index = z.int().check(z.minimum(0), z.maximum(99));

const messageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('poll'), sessionId, seq: z.int().check(z.minimum(0)) }),
  z.object({ kind: z.literal('analyzer-timeout'), sessionId }),
  z.object({ kind: z.literal('accept-timeout'), sessionId, round: index, attempt: index }),
  z.object({ kind: z.literal('check'), sessionId }),
  z.object({ kind: z.literal('leg-check'), callControlId: z.string().check(z.minLength(1), z.maxLength(200)) }),
  // The command was ours when it was queued; only its shape is checked on the way back.
  z.object({
    kind: z.literal('retry'),
    sessionId: z.optional(sessionId),
    command: z.looseObject({ kind: z.string().check(z.minLength(1)), commandId: z.string().check(z.minLength(1)) }),
    attempt: z.int().check(z.minimum(1), z.maximum(20)),
  }),
]);

/** Parses a queue message body; undefined when it is not one of ours (it is then dropped, not retried). */
export function parseQueueMessage(body: string): QueueMessage | undefined {
  try {
    const parsed = messageSchema.safeParse(JSON.parse(body));
    return parsed.success ? (parsed.data as QueueMessage) : undefined;
  } catch {
    return undefined;
  }
}

export interface Scheduler {
  send(message: QueueMessage, delaySeconds: number): Promise<void>;
}

/** Puts a received message whose handling failed back on the queue after `delaySeconds`, not after the visibility timeout. */
export interface MessageReturns {
  returnLater(receiptHandle: string, delaySeconds: number): Promise<void>;
}

export async function createSqsReturns(client: SQSClient, queueUrl: string): Promise<MessageReturns> {
  const { ChangeMessageVisibilityCommand } = await import('@aws-sdk/client-sqs');
  return {
    async returnLater(receiptHandle, delaySeconds) {
      await client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(delaySeconds))) }),
      );
    },
  };
}

/** Sends to the poll queue; SQS DelaySeconds is the timer (at most 15 minutes). */
export async function createSqsScheduler(client: SQSClient, queueUrl: string): Promise<Scheduler> {
  const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
  return {
    async send(message, delaySeconds) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(message),
          DelaySeconds: Math.max(0, Math.min(900, Math.round(delaySeconds))),
        }),
      );
    },
  };
}
