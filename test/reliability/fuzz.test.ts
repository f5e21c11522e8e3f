/**
 * Bad input against the webhook use case (and, for every tenth case, the deployed Lambda handler
 * with an API Gateway HTTP API event): truncated JSON, huge bodies, wrong types, unknown events,
 * missing fields, odd encodings and base64 flag mismatches, header injection, signature and
 * timestamp garbage. Never a 5xx, never a throw, only the statuses each case may get, and the
 * table exactly as it was (DynamoDB Local, scanned after every case).
 */
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebhookRequest, WebhookResponse } from '../../lib/app/webhook-gate.js';
import { localAwsSettings } from '../../local/servers.js';
import { atScale, recordFigures } from './support/figures.js';
import { fuzzCases, type FuzzCase } from './support/fuzz-cases.js';
import { localDynamo } from './support/local-dynamo.js';
import { generateWebhookKeyPair } from '../../local/sim/webhook-signer.js';
import { startScriptedCall, type ScriptedCall } from './support/scripted-call.js';
import { worldUrls } from './support/world-runtime.js';
import { productEnvironment } from '../../local/environment.js';

const local = localDynamo();
let documents: DynamoDBDocumentClient;
let tableName: string;
let live: ScriptedCall;
let lambda: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const key = generateWebhookKeyPair();
const cases = atScale(2000, 10_000);

beforeAll(async () => {
  documents = DynamoDBDocumentClient.from(local.client);
  tableName = await local.newTable('fuzz');
  // A live call in its menu: the state that bad input must leave alone. On the wall clock (made
  // strictly increasing, as keys pressed together still get times of their own), as the
  // deployed handler below checks signature timestamps against its own.
  let last = 0;
  const wallClock = { nowMs: () => (last = Math.max(Date.now(), last + 1)), advance: () => undefined };
  live = await startScriptedCall({ dynamo: local.client, tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64, clock: wallClock });
  await live.settle();
  // The deployed webhook function, configured through its environment as in Lambda.
  Object.assign(process.env, {
    ...productEnvironment({
      source: 'symbl',
      telnyx: { baseUrl: worldUrls.telnyx, publicKeyBase64: key.publicKeyBase64 },
      symblBaseUrl: worldUrls.symbl,
      tableName,
      queueUrl: worldUrls.queue,
    }),
    AWS_REGION: localAwsSettings.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    // Its metric lines too: a thousand forged and malformed answers would fill the run's output.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  lambda = (await import('../../functions/webhook/handler.js')).handler;
}, 90_000);

async function snapshot(): Promise<string> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items.sort((a, b) => String(a.pk).localeCompare(String(b.pk))));
}

function apiGatewayEvent(request: WebhookRequest, withHeaders: boolean): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhook',
    rawPath: '/webhook',
    rawQueryString: '',
    ...(withHeaders ? { headers: request.headers as Record<string, string> } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    isBase64Encoded: request.isBase64Encoded,
    requestContext: { http: { method: 'POST', path: '/webhook' } },
  } as unknown as APIGatewayProxyEventV2;
}

describe('fuzzed webhook requests', () => {
  it(`${cases} generated bodies and headers: no 5xx, no throw, only the statuses each may get, no state change`, async () => {
    const started = Date.now();
    const before = await snapshot();
    const realBodies = live.world.events
      .filter((e) => e.payload.call_control_id === live.customer.id)
      .map((e) => JSON.stringify({ data: e, meta: { attempt: 2 } }));
    const sessionId = (await live.session())!.session.id;
    const arbitrary = fuzzCases({ sign: live.world.sign, nowSeconds: () => Math.floor(live.world.nowMs() / 1000), realBodies, sessionId });
    const byCategory = new Map<string, number>();
    let viaLambda = 0;
    let n = 0;
    let violations = 0;
    let first: string | undefined;
    const violation = (fuzz: FuzzCase, what: string) => {
      violations++;
      first ??= `${fuzz.category}: ${what}\n${JSON.stringify(fuzz.request).slice(0, 800)}`;
    };
    try {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (fuzz) => {
          n++;
          byCategory.set(fuzz.category, (byCategory.get(fuzz.category) ?? 0) + 1);
          let response: WebhookResponse;
          try {
            if (n % 10 === 0) {
              viaLambda++;
              const result = await lambda(apiGatewayEvent(fuzz.request, n % 20 !== 0 || Object.keys(fuzz.request.headers).length > 0));
              response = { status: result.statusCode ?? 0, body: String(result.body) };
            } else {
              response = await live.runtime.webhook(fuzz.request);
            }
          } catch (error) {
            violation(fuzz, `threw ${String(error)}`);
            return;
          }
          if (response.status >= 500) violation(fuzz, `answered ${response.status} ${response.body}`);
          else if (!fuzz.allowed.includes(response.status)) violation(fuzz, `answered ${response.status} ${response.body}, allowed ${fuzz.allowed.join('/')}`);
          try {
            JSON.parse(response.body);
          } catch {
            violation(fuzz, `answered a body that is not JSON: ${response.body}`);
          }
          if ((await snapshot()) !== before) {
            violation(fuzz, 'changed the table');
            throw new Error(first);
          }
        }),
        { numRuns: cases, endOnFailure: true },
      );
    } finally {
      recordFigures({ test: 'fuzz', fuzzCases: n, violations, durationMs: Date.now() - started, details: { viaLambda, byCategory: Object.fromEntries(byCategory) } });
    }
    expect(first).toBeUndefined();
    expect(n).toBe(cases);
    expect(viaLambda).toBeGreaterThan(cases / 20);
    // Every category was exercised.
    expect(byCategory.size).toBeGreaterThanOrEqual(15);
  }, atScale(120_000, 600_000));
});
