import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { localAwsSettings } from './servers.js';

export type BatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** What the driver handed to the handler: batches, messages, and messages reported failed. */
export interface DriverStats {
  batches: number;
  messages: number;
  failures: number;
  /** Batches being read or handled now, and the most there ever were. */
  readers: number;
  peakReaders: number;
}

export interface QueueDriverOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly handler: BatchHandler;
  /** Batches handled at once to begin with: Lambda's SQS event source starts with five. */
  readonly concurrency?: number;
  /**
   * The most batches handled at once (Lambda's maximum concurrency for the event source; its own
   * ceiling is 1,250). While batches come back full, one more is taken on at a time, at most
   * `scaleUpPerMinute` a minute, as Lambda scales out; a reader beyond the first ones that finds
   * the queue empty stops.
   */
  readonly maxConcurrency?: number;
  readonly scaleUpPerMinute?: number;
}

export function lambdaContext(functionName: string): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, 10_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function sqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: localAwsSettings.region,
    })),
  };
}


/**
 * Runs the poller the way Lambda's SQS event source does: batches of up to 10, five at once to
 * begin with and more while the queue has a backlog, the handler's reported failures left on the
 * queue to reappear after the visibility timeout, the rest deleted.
 */
export function startQueueDriver({ client, queueUrl, handler, concurrency = 5, maxConcurrency = 100, scaleUpPerMinute = 300 }: QueueDriverOptions): {
  stats: DriverStats;
  stop: () => Promise<void>;
} {
  const stats: DriverStats = { batches: 0, messages: 0, failures: 0, readers: 0, peakReaders: 0 };
  let running = true;
  const queueArn = `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').at(-1)}`;
  const loops: Promise<void>[] = [];
  const scaleUpEveryMs = 60_000 / scaleUpPerMinute;
  let lastScaleUpMs = 0;
  const start = (extra: boolean) => {
    stats.readers += 1;
    stats.peakReaders = Math.max(stats.peakReaders, stats.readers);
    loops.push(
      loop(extra).finally(() => {
        stats.readers -= 1;
      }),
    );
  };
  const loop = async (extra: boolean) => {
    while (running) {
      let messages: Message[];
      try {
        const out = await client.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (!running) return;
        console.error('poll queue receive failed', error);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (messages.length === 0) {
        if (extra) return;
        continue;
      }
      // A full batch means more are waiting: take on one more batch at a time, as Lambda scales out.
      if (messages.length === 10 && stats.readers < maxConcurrency && Date.now() - lastScaleUpMs >= scaleUpEveryMs) {
        lastScaleUpMs = Date.now();
        start(true);
      }
      stats.batches += 1;
      stats.messages += messages.length;
      let failed = new Set<string>(messages.map((m) => m.MessageId!));
      try {
        const response = await handler(sqsEvent(messages, queueArn), lambdaContext('poller'));
        failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      } catch (error) {
        console.error('poller invocation failed; the whole batch will be redelivered', error);
      }
      stats.failures += failed.size;
      const done = messages.filter((m) => !failed.has(m.MessageId!));
      if (done.length > 0) {
        await client.send(
          new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
        );
      }
    }
  };
  for (let i = 0; i < concurrency; i++) start(false);
  return {
    stats,
    async stop() {
      running = false;
      // Readers taken on while stopping are in the list too by the time the first ones end.
      while (loops.length > 0) await Promise.allSettled(loops.splice(0));
    },
  };
}

