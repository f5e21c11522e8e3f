import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRuntime, type Runtime } from '../../../lib/app/runtime.js';
import { loadConfig } from '../../../lib/config.js';
import { silentLog, type Log } from '../../../lib/log.js';
import type { World } from './world.js';

export const worldNumbers = {
  conference: '+15550001000',
  symbl: '+15550009999',
  operators: ['+15550002001', '+15550002002'],
} as const;

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
  const config = loadConfig({
    TELNYX_API_KEY: 'KEY-world-secret',
    TELNYX_PUBLIC_KEY: options.publicKeyBase64,
    TELNYX_BASE_URL: worldUrls.telnyx,
    TELNYX_CONNECTION_ID: 'conn-world',
    CONFERENCE_NUMBER: worldNumbers.conference,
    CONFERENCE_NAME: 'ivr',
    TRANSFER_NUMBER: worldNumbers.operators.join(','),
    SENTIMENT_SOURCE: 'symbl',
    SYMBL_APP_ID: 'world-app',
    SYMBL_APP_SECRET: 'world-symbl-secret',
    SYMBL_BASE_URL: worldUrls.symbl,
    SYMBL_NUMBER: worldNumbers.symbl,
    TABLE_NAME: options.tableName,
    POLL_QUEUE_URL: worldUrls.queue,
    ANALYZER_JOIN_TIMEOUT_SECONDS: '2',
    OPERATOR_RING_TIMEOUT_SECONDS: '5',
    ...options.env,
  });
  return createRuntime(config, {
    log: options.log ?? silentLog,
    dynamo: options.dynamo,
    sqs: options.world.sqs,
    fetch: options.world.fetch,
    nowMs: options.world.nowMs,
  });
}
