import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Log } from '../../lib/log.js';
import { parseQueueMessage } from '../../lib/scheduler/poll-queue.js';
import type { PollerApp } from '../../lib/app/poller-app.js';

/**
 * An SQS batch → one poller call per message; only failed messages are reported, so only they
 * are retried (and after five receives, dead-lettered).
 */
export function createPollBatchHandler(poller: () => Promise<PollerApp>, log: Log) {
  const processor = new BatchProcessor(EventType.SQS);

  async function recordHandler(record: SQSRecord): Promise<void> {
    const message = parseQueueMessage(record.body);
    if (!message) {
      // Not ours: retrying cannot fix it, so it is dropped rather than received five times.
      log.warn('unrecognised poll message dropped', { messageId: record.messageId });
      return;
    }
    const outcome = await (await poller())(message, record.messageId);
    log.info('poll message handled', { messageId: record.messageId, kind: message.kind, sessionId: 'sessionId' in message ? message.sessionId : undefined, outcome });
  }

  return async function handle(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    return processPartialResponse(event, recordHandler, processor, context ? { context } : undefined);
  };
}
