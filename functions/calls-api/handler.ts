import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CallsApi } from '../../lib/app/calls-api.js';
import { logger } from '../shared/logger.js';

let app: Promise<CallsApi> | undefined;

/** Config and the table's client, once per cold start. */
async function init(): Promise<CallsApi> {
  const [{ loadCallsConfig }, { createCallsRuntime }] = await Promise.all([import('../../lib/config.js'), import('../../lib/app/calls-runtime.js')]);
  return createCallsRuntime(loadCallsConfig(process.env), { log: logger });
}

/**
 * API Gateway HTTP API (payload 2.0) → the call record API. In AWS the JWT authorizer has
 * checked the supervisor's token before this runs.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  app ??= init().catch((error: unknown) => {
    app = undefined;
    throw error;
  });
  let api: CallsApi;
  try {
    api = await app;
  } catch (error) {
    logger.error('calls API cannot start', { error: error instanceof Error ? error.message : String(error) });
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"misconfigured"}' };
  }
  const response = await api({ path: event.rawPath, query: event.queryStringParameters ?? {} });
  return { statusCode: response.status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: response.body };
}
