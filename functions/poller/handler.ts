import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PollerRuntime } from '../../lib/app/poller-runtime.js';
import { logger } from '../shared/logger.js';
import { metrics } from '../shared/metrics.js';
import { createPollBatchHandler } from './batch.js';

let app: Promise<PollerRuntime> | undefined;

/** Config and clients, once per cold start; the modules load with the first message, not at start-up. */
async function init(): Promise<PollerRuntime> {
  const [{ loadFunctionConfig }, { createPollerRuntime }] = await Promise.all([import('../shared/environment.js'), import('../../lib/app/poller-runtime.js')]);
  const config = await loadFunctionConfig(process.env);
  return createPollerRuntime(config, { log: logger, metrics });
}

const batch = createPollBatchHandler(
  () =>
    (app ??= init().catch((error: unknown) => {
      app = undefined;
      throw error;
    })),
  logger,
);

/** SQS event source → the poller; failed messages come back after a short wait (lib/timeouts.ts). */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return batch(event, context);
}
