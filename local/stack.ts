import { timeouts } from '../lib/timeouts.js';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { startQueueDriver, type BatchHandler, type DriverStats } from './queue-driver.js';
import { createTable, localAwsSettings, startDynamoLocal, startQueue, type LocalQueue, type RunningServer } from './servers.js';
import { startComprehendSimulator, type ComprehendSimulator } from './sim/comprehend-simulator.js';

export interface LocalStackOptions {
  /** The product's settings (Telnyx, Symbl, policy); AWS settings are filled in here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Webhook port; 0 picks a free one. */
  readonly port?: number;
  readonly dynamoPort?: number;
  readonly pollerConcurrency?: number;
  /**
   * How long a received poll message stays hidden before it is delivered again: the deployed
   * queue's by default, so a slow batch is not handed out twice while it still runs.
   */
  readonly visibilityTimeoutSeconds?: number;
  readonly tableName?: string;
  /** Called with each metric line the functions write (they are kept in `metricLines` too). */
  readonly onMetric?: (line: string) => void;
}

export interface LocalStack {
  readonly webhookUrl: string;
  /** The live view (and `/calls`, its API) on the webhook's port, with no login. */
  readonly pageUrl: string;
  readonly dynamoEndpoint: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  /** Poll-queue messages the driver has handed to the poller, and how many it reported failed. */
  readonly pollerStats: DriverStats;
  /** The functions' metric lines (embedded metric format), as CloudWatch Logs would receive them. */
  readonly metricLines: readonly string[];
  /** Where the webhook asks Comprehend, with SENTIMENT_SCORER=comprehend. */
  readonly comprehendEndpoint: string | undefined;
  /** The Comprehend stand-in, when the stack started one (see {@link comprehendStandIn}). */
  readonly comprehend: ComprehendSimulator | undefined;
  stop(): Promise<void>;
}

/**
 * With SENTIMENT_SCORER=comprehend the stack starts the Comprehend stand-in for the webhook to
 * ask, unless AWS_ENDPOINT_URL_COMPREHEND names an endpoint already: the AWS credentials here
 * are the local emulators' fake ones, which real Comprehend refuses.
 */
async function comprehendStandIn(settings: Readonly<Record<string, string | undefined>>): Promise<ComprehendSimulator | undefined> {
  if (settings.SENTIMENT_SCORER !== 'comprehend' || settings.AWS_ENDPOINT_URL_COMPREHEND) return undefined;
  return startComprehendSimulator();
}

type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The page's files (the same ones the stack puts behind CloudFront). */
const webRoot = fileURLToPath(new URL('../web/', import.meta.url));
const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
/** What the page learns of where it runs: here, no login. In AWS the stack writes the Cognito details instead. */
const localPageConfig = JSON.stringify({ auth: 'none' });

async function servePage(path: string, response: ServerResponse): Promise<void> {
  if (path === '/config.json') {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(localPageConfig);
    return;
  }
  const file = normalize(join(webRoot, path === '/' ? 'index.html' : decodeURIComponent(path)));
  if (!file.startsWith(webRoot)) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  try {
    const data = await readFile(file);
    response.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(data);
  } catch {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  }
}

/** API Gateway's own limit on a request body. */
const maxRequestBytes = 10 * 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes) throw new Error('request body over 10 MB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The event API Gateway's HTTP API (payload 2.0) gives a Lambda for this request. */
export function httpApiEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const textual = /json|text|x-www-form-urlencoded/.test(headers['content-type'] ?? '');
  const now = new Date();
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  return {
    version: '2.0',
    routeKey: `${request.method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(url.search.length > 1 ? { queryStringParameters: query } : {}),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'POST',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${request.method} ${url.pathname}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : textual ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !textual,
  } as APIGatewayProxyEventV2;
}

/**
 * The product on this machine: DynamoDB Local, the SQS emulator, the webhook function behind
 * `POST /webhook`, the poller consuming the queue, and the Comprehend stand-in when the webhook
 * scores with Comprehend. The handlers are the real Lambda
 * entry points, configured through the environment as in AWS.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const tableName = options.tableName ?? 'sentiment-ivr-sessions';
  const started: RunningServer[] = [];
  let server: Server | undefined;
  let stopDriver: (() => Promise<void>) | undefined;
  let sqs: SQSClient | undefined;
  const stopAll = async () => {
    await stopDriver?.();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    sqs?.destroy();
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
  };
  try {
    const [dynamo, queue] = await Promise.all([
      startDynamoLocal(options.dynamoPort !== undefined ? { port: options.dynamoPort } : {}),
      startQueue({ visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? timeouts.visibilityTimeoutSeconds }),
    ]);
    started.push(dynamo, queue as LocalQueue);
    await createTable(dynamo.endpoint, tableName);
    const settings = { ...process.env, ...options.env };
    const comprehend = await comprehendStandIn(settings);
    if (comprehend) started.push({ endpoint: comprehend.endpoint, stop: () => comprehend.stop() });

    Object.assign(process.env, options.env, {
      AWS_REGION: localAwsSettings.region,
      AWS_ACCESS_KEY_ID: localAwsSettings.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localAwsSettings.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: queue.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TABLE_NAME: tableName,
      POLL_QUEUE_URL: queue.queueUrl,
      ...(comprehend ? { AWS_ENDPOINT_URL_COMPREHEND: comprehend.endpoint } : {}),
    });
    delete process.env.APP_SECRET_ARN;
    const webhook = (await import('../functions/webhook/handler.js')).handler as WebhookHandler;
    const poller = (await import('../functions/poller/handler.js')).handler as BatchHandler;
    const calls = (await import('../functions/calls-api/handler.js')).handler as WebhookHandler;
    const metricLines: string[] = [];
    (await import('../functions/shared/metrics.js')).sendMetricsTo((line) => {
      metricLines.push(line);
      options.onMetric?.(line);
    });

    /** Like API Gateway's routes: the webhook, the call record API (no login on this machine), and the page. */
    const routeOf = (method: string | undefined, path: string): WebhookHandler | 'page' | undefined => {
      if (method === 'POST' && path === '/webhook') return webhook;
      if (method === 'GET' && (path === '/calls' || path.startsWith('/calls/'))) return calls;
      if (method === 'GET' || method === 'HEAD') return 'page';
      return undefined;
    };
    server = createServer(async (request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const route = routeOf(request.method, path);
      if (route === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      try {
        if (route === 'page') {
          await servePage(path, response);
          return;
        }
        const body = await readBody(request);
        const result = await route(httpApiEvent(request, body));
        response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>).end(result.body ?? '');
      } catch (error) {
        console.error('invocation failed', error);
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"invocation failed"}');
      }
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;

    sqs = new SQSClient({ ...localAwsSettings, endpoint: queue.endpoint });
    const driver = startQueueDriver({ client: sqs, queueUrl: queue.queueUrl, handler: poller, ...(options.pollerConcurrency ? { maxConcurrency: options.pollerConcurrency } : {}) });
    stopDriver = driver.stop;
    const pollerStats = driver.stats;

    return {
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
      pageUrl: `http://127.0.0.1:${port}/`,
      dynamoEndpoint: dynamo.endpoint,
      queueUrl: queue.queueUrl,
      dlqUrl: queue.dlqUrl,
      sqsEndpoint: queue.endpoint,
      tableName,
      pollerStats,
      metricLines,
      comprehendEndpoint: comprehend?.endpoint ?? settings.AWS_ENDPOINT_URL_COMPREHEND,
      comprehend,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
