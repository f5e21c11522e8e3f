import type { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import type { Wakeup } from '../core/model.js';

/** What travels on the poll queue: a poll cycle, or the analyzer-join timer. */
export type QueueMessage = Wakeup;

const messageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('poll'), sessionId: z.string().check(z.regex(/^\d{10}$/)), seq: z.int().check(z.minimum(0)) }),
  z.object({ kind: z.literal('analyzer-timeout'), sessionId: z.string().check(z.regex(/^\d{10}$/)) }),
]);

/** Parses a queue message body; undefined when it is not one of ours (it is then dropped, not retried). */
export function parseQueueMessage(body: string): QueueMessage | undefined {
  try {
    const parsed = messageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface Scheduler {
  send(message: QueueMessage, delaySeconds: number): Promise<void>;
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
