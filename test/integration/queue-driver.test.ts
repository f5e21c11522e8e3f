import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueueDriver } from '../../local/queue-driver.js';
import { localAwsSettings, startQueue, type LocalQueue } from '../../local/servers.js';

let queue: LocalQueue;
let sqs: SQSClient;

beforeAll(async () => {
  queue = await startQueue({ name: 'driver-test', visibilityTimeoutSeconds: 30 });
  sqs = new SQSClient({ ...localAwsSettings, endpoint: queue.endpoint });
});
afterAll(async () => {
  sqs.destroy();
  await queue.stop();
});

async function send(count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.queueUrl,
        Entries: Array.from({ length: Math.min(10, count - sent) }, (_, i) => ({ Id: String(i), MessageBody: JSON.stringify({ n: sent + i }) })),
      }),
    );
  }
}

describe('the local queue driver, as Lambda drains the poll queue', () => {
  it('takes on more batches at once while the queue has a backlog, and lets the extra readers go once it is drained', async () => {
    await send(400);
    const handled = new Set<number>();
    let inFlight = 0;
    let peakInFlight = 0;
    const driver = startQueueDriver({
      client: sqs,
      queueUrl: queue.queueUrl,
      // A handler as slow as a poll cycle against a busy store: a fixed number of readers could not keep up.
      handler: async (event) => {
        inFlight += 1;
        peakInFlight = Math.max(peakInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (const record of event.Records) handled.add((JSON.parse(record.body) as { n: number }).n);
        inFlight -= 1;
        return { batchItemFailures: [] };
      },
      scaleUpPerMinute: 6000,
    });
    try {
      const deadline = Date.now() + 60_000;
      while (handled.size < 400 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(handled.size).toBe(400);
      // Five to begin with, as Lambda's event source; more while batches came back full.
      expect(driver.stats.peakReaders).toBeGreaterThan(5);
      expect(peakInFlight).toBeGreaterThan(5);
      // An empty queue: the readers taken on stop (each after one empty receive of up to a second).
      const idle = Date.now() + 10_000;
      while (driver.stats.readers > 5 && Date.now() < idle) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(driver.stats.readers).toBe(5);
    } finally {
      await driver.stop();
    }
    expect(driver.stats.readers).toBe(0);
  }, 90_000);

  it('starts with five readers and takes on no more when batches are not full', async () => {
    const driver = startQueueDriver({ client: sqs, queueUrl: queue.queueUrl, handler: async () => ({ batchItemFailures: [] }) });
    try {
      await send(3);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(driver.stats.messages).toBe(3);
      expect(driver.stats.peakReaders).toBe(5);
    } finally {
      await driver.stop();
    }
  }, 30_000);
});
