import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { PollerRuntime } from '../../lib/app/poller-runtime.js';
import type { Log } from '../../lib/log.js';
import { parseQueueMessage } from '../../lib/scheduler/poll-queue.js';
import { failedMessageReturnSeconds } from '../../lib/timeouts.js';

/**
 * An SQS batch → one poller call per message; only failed messages are reported, so only they
 * are retried: each comes back after a short, growing wait rather than the whole visibility
 * timeout, and after its last receive it is dead-lettered.
 */
export function createPollBatchHandler(runtime: () => Promise<PollerRuntime>, log: Log) {
  const processor = new BatchProcessor(EventType.SQS);

  async function recordHandler(record: SQSRecord): Promise<void> {
    const message = parseQueueMessage(record.body);
    if (!message) {
      // Not ours: retrying cannot fix it, so it is dropped rather than received again and again.
      log.warn('unrecognised poll message dropped', { messageId: record.messageId });
      return;
    }
    const { poller, returns } = await runtime();
    try {
      const outcome = await poller(message, record.messageId);
      log.info('poll message handled', { messageId: record.messageId, kind: message.kind, sessionId: 'sessionId' in message ? message.sessionId : undefined, outcome });
    } catch (error) {
      const receives = Number(record.attributes.ApproximateReceiveCount);
      const waitSeconds = failedMessageReturnSeconds(receives);
      // Without the shorter wait the message still comes back, after the visibility timeout.
      await returns.returnLater(record.receiptHandle, waitSeconds).catch((returnError: unknown) => {
        log.warn('could not shorten a failed message\'s wait; it comes back after the visibility timeout', { messageId: record.messageId, error: String(returnError) });
      });
      log.warn('poll message failed; it comes back', { messageId: record.messageId, kind: message.kind, receives, waitSeconds });
      throw error;
    }
  }

  return async function handle(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    return processPartialResponse(event, recordHandler, processor, context ? { context } : undefined);
  };
}
