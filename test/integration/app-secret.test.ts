import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { resolveEnvironment } from '../../functions/shared/environment.js';
import { generateWebhookKeyPair, signedHeaders } from '../../local/sim/webhook-signer.js';

/** Secrets Manager's JSON protocol, as much as GetSecretValue needs: the real SDK client talks to it. */
function startSecretsManager(secrets: Record<string, string>): Promise<{ server: Server; endpoint: string; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      asked.push(`${String(target)} ${SecretId}`);
      const value = secrets[SecretId];
      if (target !== 'secretsmanager.GetSecretValue' || value === undefined) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ ARN: SecretId, Name: 'app', SecretString: value }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked })),
  );
}

const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:sentiment-ivr-app';
let sm: Awaited<ReturnType<typeof startSecretsManager>>;
const aws = () => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
});

beforeAll(async () => {
  sm = await startSecretsManager({
    [arn]: JSON.stringify({ TELNYX_API_KEY: 'KEY-from-secret', SYMBL_APP_SECRET: '', UNRELATED: 'x' }),
    'not-json': 'plain text',
  });
  Object.assign(process.env, aws());
});
afterAll(async () => {
  await new Promise((resolve) => sm.server.close(resolve));
});

describe('the app secret', () => {
  it('merges the secret keys it holds into the environment; empty ones and other keys are left out', async () => {
    const env = await resolveEnvironment({ APP_SECRET_ARN: arn, TELNYX_API_KEY: 'from-env', SYMBL_APP_SECRET: 'kept' });
    expect(env.TELNYX_API_KEY).toBe('KEY-from-secret');
    expect(env.SYMBL_APP_SECRET).toBe('kept');
    expect(env).not.toHaveProperty('UNRELATED');
    expect(sm.asked).toContain(`secretsmanager.GetSecretValue ${arn}`);
  });

  it('reads nothing without APP_SECRET_ARN (local runs)', async () => {
    const before = sm.asked.length;
    expect(await resolveEnvironment({ TELNYX_API_KEY: 'local' })).toEqual({ TELNYX_API_KEY: 'local' });
    expect(sm.asked.length).toBe(before);
  });

  it('fails the cold start, naming the cause, when the secret is missing or not JSON', async () => {
    await expect(resolveEnvironment({ APP_SECRET_ARN: 'missing' })).rejects.toThrow(/can't find the specified secret/);
    await expect(resolveEnvironment({ APP_SECRET_ARN: 'not-json' })).rejects.toThrow(/JSON/);
  });
});

describe('a cold webhook function', () => {
  it('refuses unsigned and forged requests without reading the secret; a signed one reads it', async () => {
    const telnyx = generateWebhookKeyPair();
    const forger = generateWebhookKeyPair();
    const saved = { ...process.env };
    Object.assign(process.env, { APP_SECRET_ARN: arn, TELNYX_PUBLIC_KEY: telnyx.publicKeyBase64, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' });
    try {
      vi.resetModules();
      const { handler } = (await import('../../functions/webhook/handler.js')) as { handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> };
      const body = JSON.stringify({ data: { event_type: 'call.initiated', id: 'e1', occurred_at: new Date().toISOString(), payload: {} } });
      const now = Math.floor(Date.now() / 1000);
      const request = (headers: Record<string, string>) => ({ body, isBase64Encoded: false, headers, requestContext: { http: { method: 'POST' } } }) as unknown as APIGatewayProxyEventV2;
      const before = sm.asked.length;
      expect((await handler(request({ 'content-type': 'application/json' }))).statusCode).toBe(401);
      expect((await handler(request(signedHeaders(forger.privateKey, body, now)))).statusCode).toBe(401);
      expect((await handler(request(signedHeaders(telnyx.privateKey, `${body} `, now)))).statusCode).toBe(401);
      expect(sm.asked.length).toBe(before);
      // Signed: the product starts, and only now reads its secret (the rest of its settings are missing here, so it answers 500).
      await handler(request(signedHeaders(telnyx.privateKey, body, now)));
      expect(sm.asked.slice(before)).toEqual([`secretsmanager.GetSecretValue ${arn}`]);
    } finally {
      process.env = saved;
      vi.resetModules();
    }
  });
});
