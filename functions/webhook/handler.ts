import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { WebhookApp } from '../../lib/app/webhook-app.js';
import { logger } from '../shared/logger.js';

let app: Promise<WebhookApp> | undefined;

/** Config and clients, once per cold start; the modules load with the first event, not at start-up. */
async function init(): Promise<WebhookApp> {
  const [{ loadFunctionConfig }, { createWebhookRuntime }, { scorerFor }] = await Promise.all([
    import('../shared/environment.js'),
    import('../../lib/app/webhook-runtime.js'),
    import('../shared/scorer.js'),
  ]);
  const config = await loadFunctionConfig(process.env);
  return createWebhookRuntime(config, { log: logger, scorer: await scorerFor(config) });
}

/** API Gateway HTTP API (payload 2.0) → the webhook use case. */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  app ??= init().catch((error: unknown) => {
    app = undefined;
    throw error;
  });
  let webhook: WebhookApp;
  try {
    webhook = await app;
  } catch (error) {
    logger.error('webhook function cannot start', { error: error instanceof Error ? error.message : String(error) });
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"misconfigured"}' };
  }
  const response = await webhook({ body: event.body, isBase64Encoded: event.isBase64Encoded, headers: event.headers ?? {} });
  return { statusCode: response.status, headers: { 'content-type': 'application/json' }, body: response.body };
}
