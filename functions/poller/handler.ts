import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { PollerApp } from '../../lib/app/poller-app.js';
import { createRuntime } from '../../lib/app/runtime.js';
import { parseQueueMessage } from '../../lib/scheduler/poll-queue.js';
import { loadFunctionConfig } from '../shared/environment.js';
import { logger } from '../shared/logger.js';

const processor = new BatchProcessor(EventType.SQS);
let app: Promise<PollerApp> | undefined;

async function init(): Promise<PollerApp> {
  const config = await loadFunctionConfig(process.env);
  return createRuntime(config, { log: logger }).poller;
}

async function recordHandler(record: SQSRecord): Promise<void> {
  const message = parseQueueMessage(record.body);
  if (!message) {
    // Not ours: retrying cannot fix it, so it is dropped rather than sent to the DLQ five times.
    logger.warn('unrecognised poll message dropped', { messageId: record.messageId });
    return;
  }
  const poller = await (app ??= init().catch((error: unknown) => {
    app = undefined;
    throw error;
  }));
  const outcome = await poller(message, record.messageId);
  logger.info('poll message handled', { messageId: record.messageId, kind: message.kind, sessionId: message.sessionId, outcome });
}

/** SQS batch → one poll cycle per message; only failed messages are retried. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, recordHandler, processor, { context });
}
