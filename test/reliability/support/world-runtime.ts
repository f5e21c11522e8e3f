import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRuntime, type Runtime } from '../../../lib/app/runtime.js';
import { loadConfig } from '../../../lib/config.js';
import { productEnvironment, testNumbers } from '../../../local/environment.js';
import { silentLog, type Log } from '../../../lib/log.js';
import type { World } from './world.js';

/** The world's numbers are the product's test numbers. */
export const worldNumbers = testNumbers;

export const worldUrls = {
  telnyx: 'http://telnyx.world.test/v2',
  symbl: 'http://symbl.world.test',
  queue: 'http://sqs.world.test/000000000000/poll',
} as const;

export interface WorldRuntimeOptions {
  readonly world: World;
  readonly publicKeyBase64: string;
  readonly tableName: string;
  readonly dynamo: DynamoDBClient;
  readonly log?: Log;
  readonly env?: Record<string, string>;
}

/**
 * The product's own runtime (`createRuntime`: the real webhook and poller use cases, the real
 * executor with the `telnyx` SDK and the Symbl client, the DynamoDB store on DynamoDB Local),
 * with only its HTTP and SQS transports pointed at the world model, on the world's clock.
 */
export async function createWorldRuntime(options: WorldRuntimeOptions): Promise<Runtime> {
  const config = loadConfig(
    productEnvironment({
      source: 'symbl',
      telnyx: { baseUrl: worldUrls.telnyx, publicKeyBase64: options.publicKeyBase64 },
      symblBaseUrl: worldUrls.symbl,
      tableName: options.tableName,
      queueUrl: worldUrls.queue,
      ...(options.env ? { overrides: options.env } : {}),
    }),
  );
  return createRuntime(config, {
    log: options.log ?? silentLog,
    dynamo: options.dynamo,
    sqs: options.world.sqs,
    fetch: options.world.fetch,
    nowMs: options.world.nowMs,
  });
}
