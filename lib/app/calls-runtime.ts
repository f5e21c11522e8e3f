import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CallsConfig } from '../config.js';
import type { Log } from '../log.js';
import { createCallRecords } from '../store/call-records.js';
import { timeouts } from '../timeouts.js';
import { createCallsApi, type CallsApi } from './calls-api.js';

/** The call record API's use case: the table's read side and nothing else (no telephony, no secrets). */
export async function createCallsRuntime(config: CallsConfig, options: { readonly log: Log; readonly dynamo?: DynamoDBClient }): Promise<CallsApi> {
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('@aws-sdk/lib-dynamodb')]);
  const dynamo = DynamoDBDocumentClient.from(
    options.dynamo ?? new DynamoDBClient({ maxAttempts: timeouts.dynamoTries, requestHandler: { requestTimeout: timeouts.dynamoRequestMs } }),
  );
  const records = await createCallRecords({ client: dynamo, tableName: config.tableName });
  return createCallsApi({ records, policy: config.policy, ...(config.shadowPolicy ? { shadowPolicy: config.shadowPolicy } : {}), log: options.log });
}
