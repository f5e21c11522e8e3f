import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPollBatchHandler } from '../../functions/poller/batch.js';
import type { PollerApp } from '../../lib/app/poller-app.js';
import { silentLog } from '../../lib/log.js';
import { createSqsReturns } from '../../lib/scheduler/poll-queue.js';
import { failedMessageReturnSeconds, timeouts } from '../../lib/timeouts.js';
import { startQueueDriver } from '../../local/queue-driver.js';
import { localAwsSettings, startQueue, type LocalQueue } from '../../local/servers.js';

let queue: LocalQueue;
let sqs: SQSClient;

beforeAll(async () => {
  // The deployed queue's visibility timeout: a failed message must not wait for it.
  queue = await startQueue({ name: 'batch-test', visibilityTimeoutSeconds: timeouts.visibilityTimeoutSeconds });
  sqs = new SQSClient({ ...localAwsSettings, endpoint: queue.endpoint });
});
afterAll(async () => {
  sqs.destroy();
  await queue.stop();
});

describe('the poller’s batches over the SQS emulator', () => {
  it('a message whose handling failed (storage trouble) comes back after its short wait, not the visibility timeout, and once handled is gone', async () => {
    const handled: { messageId: string; atMs: number }[] = [];
    const poller: PollerApp = async (_wakeup, messageId) => {
      handled.push({ messageId, atMs: Date.now() });
      if (handled.length === 1) throw new Error('the session store is throttling');
      return 'applied';
    };
    const returns = await createSqsReturns(sqs, queue.queueUrl);
    const driver = startQueueDriver({ client: sqs, queueUrl: queue.queueUrl, handler: createPollBatchHandler(async () => ({ poller, returns }), silentLog), concurrency: 1 });
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: JSON.stringify({ kind: 'poll', sessionId: '0123456789', seq: 0 }) }));
      const deadline = Date.now() + 60_000;
      while (handled.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(handled).toHaveLength(2);
      expect(handled[1]!.messageId).toBe(handled[0]!.messageId);
      const waitedSeconds = (handled[1]!.atMs - handled[0]!.atMs) / 1000;
      // Back after the first receive's wait (the emulator rounds to the second), far short of 180 s.
      expect(waitedSeconds).toBeGreaterThanOrEqual(failedMessageReturnSeconds(1) - 1);
      expect(waitedSeconds).toBeLessThan(timeouts.visibilityTimeoutSeconds / 3);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
      expect(handled).toHaveLength(2);
    } finally {
      await driver.stop();
    }
  }, 90_000);
});
