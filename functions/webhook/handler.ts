import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { WebhookApp } from '../../lib/app/webhook-app.js';
import { createWebhookGate, gateKeyFromEnvironment, type GateResult, type WebhookRequest, type WebhookResponse } from '../../lib/app/webhook-gate.js';
import { logger } from '../shared/logger.js';
import { metrics } from '../shared/metrics.js';

let gate: ((request: WebhookRequest) => GateResult) | undefined;
let app: Promise<WebhookApp> | undefined;

/** Config and clients, once per cold start; the modules load with the first verified event, not at start-up. */
async function init(): Promise<WebhookApp> {
  const [{ loadFunctionConfig }, { createWebhookRuntime }, { scorerFor }] = await Promise.all([
    import('../shared/environment.js'),
    import('../../lib/app/webhook-runtime.js'),
    import('../shared/scorer.js'),
  ]);
  const config = await loadFunctionConfig(process.env);
  return createWebhookRuntime(config, {
    log: logger,
    metrics,
    scorer: await scorerFor(config, { log: logger, onFallback: (reason) => metrics.scorerFellBack(reason) }),
  });
}

/** Every answer is counted by its class (2xx, 400, 401, 413, 5xx), forged requests' too. */
const answer = (response: WebhookResponse): APIGatewayProxyStructuredResultV2 => {
  metrics.webhookAnswer(response.status);
  return { statusCode: response.status, headers: { 'content-type': 'application/json' }, body: response.body };
};
const misconfigured = (error: unknown): APIGatewayProxyStructuredResultV2 => {
  logger.error('webhook function cannot start', { error: error instanceof Error ? error.message : String(error) });
  metrics.webhookAnswer(500);
  return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"misconfigured"}' };
};

/**
 * API Gateway HTTP API (payload 2.0) → the webhook use case. The signature is checked first,
 * from the environment alone: a forged request never reads a secret, opens a client or loads
 * the rest of the product.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  let checked: GateResult;
  try {
    gate ??= createWebhookGate({ publicKey: gateKeyFromEnvironment(process.env), nowMs: Date.now, log: logger });
    checked = gate({ body: event.body, isBase64Encoded: event.isBase64Encoded, headers: event.headers ?? {} });
  } catch (error) {
    return misconfigured(error);
  }
  if ('response' in checked) return answer(checked.response);
  app ??= init().catch((error: unknown) => {
    app = undefined;
    throw error;
  });
  let webhook: WebhookApp;
  try {
    webhook = await app;
  } catch (error) {
    return misconfigured(error);
  }
  return answer(await webhook.verified(checked.rawBody));
}
