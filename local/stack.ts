import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { startQueueDriver, type BatchHandler, type DriverStats } from './queue-driver.js';
import { createTable, localAwsSettings, startDynamoLocal, startQueue, type LocalQueue, type RunningServer } from './servers.js';

export interface LocalStackOptions {
  /** The product's settings (Telnyx, Symbl, policy); AWS settings are filled in here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Webhook port; 0 picks a free one. */
  readonly port?: number;
  readonly dynamoPort?: number;
  readonly pollerConcurrency?: number;
  /** How long a failed poll message stays hidden before redelivery (Lambda's queue uses 60 s). */
  readonly visibilityTimeoutSeconds?: number;
  readonly tableName?: string;
}

export interface LocalStack {
  readonly webhookUrl: string;
  readonly dynamoEndpoint: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  /** Poll-queue messages the driver has handed to the poller, and how many it reported failed. */
  readonly pollerStats: DriverStats;
  stop(): Promise<void>;
}

type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

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
  return {
    version: '2.0',
    routeKey: `${request.method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
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
 * `POST /webhook`, and the poller consuming the queue. The handlers are the real Lambda
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
      startQueue({ visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 5 }),
    ]);
    started.push(dynamo, queue as LocalQueue);
    await createTable(dynamo.endpoint, tableName);

    Object.assign(process.env, options.env, {
      AWS_REGION: localAwsSettings.region,
      AWS_ACCESS_KEY_ID: localAwsSettings.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localAwsSettings.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: queue.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TABLE_NAME: tableName,
      POLL_QUEUE_URL: queue.queueUrl,
    });
    delete process.env.APP_SECRET_ARN;
    const webhook = (await import('../functions/webhook/handler.js')).handler as WebhookHandler;
    const poller = (await import('../functions/poller/handler.js')).handler as BatchHandler;

    server = createServer(async (request, response) => {
      if (request.method !== 'POST' || !request.url?.startsWith('/webhook')) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      try {
        const body = await readBody(request);
        const result = await webhook(httpApiEvent(request, body));
        response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>).end(result.body ?? '');
      } catch (error) {
        console.error('webhook invocation failed', error);
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
    const driver = startQueueDriver({ client: sqs, queueUrl: queue.queueUrl, handler: poller, concurrency: options.pollerConcurrency ?? 2 });
    stopDriver = driver.stop;
    const pollerStats = driver.stats;

    return {
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
      dynamoEndpoint: dynamo.endpoint,
      queueUrl: queue.queueUrl,
      dlqUrl: queue.dlqUrl,
      sqsEndpoint: queue.endpoint,
      tableName,
      pollerStats,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
