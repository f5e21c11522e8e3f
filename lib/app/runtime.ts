import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import Telnyx from 'telnyx';
import type { Config } from '../config.js';
import { createCallFlow } from '../core/call-flow.js';
import type { CallFlowSettings } from '../core/model.js';
import type { RoutingSettings } from '../core/routing.js';
import type { Log } from '../log.js';
import { createSqsScheduler } from '../scheduler/poll-queue.js';
import type { SentimentScorer } from '../sentiment/scorer.js';
import type { SentimentSource } from '../sentiment/sentiment-source.js';
import { createDynamoSessionStore, type SessionStore } from '../store/session-store.js';
import { createSymblClient, type SymblClient } from '../symbl/symbl-client.js';
import { createSymblSource } from '../symbl/symbl-source.js';
import { importTelnyxPublicKey } from '../telnyx/signature.js';
import { createCallLoop, type CallLoop, type CommandExecutor } from './call-loop.js';
import { createCommandExecutor } from './command-executor.js';
import { createPollerApp, type PollerApp } from './poller-app.js';
import { createWebhookApp, type WebhookApp } from './webhook-app.js';

/** The call-flow settings a deployment's config implies. */
export function callFlowSettings(config: Config): CallFlowSettings {
  return {
    transferNumbers: config.telnyx.transferNumbers,
    operatorRingTimeoutSeconds: config.operatorRingTimeoutSeconds,
    pollIntervalSeconds: config.pollIntervalSeconds,
    analyzerJoinTimeoutSeconds: config.analyzerJoinTimeoutSeconds,
    maxCallAgeSeconds: config.maxCallAgeSeconds,
    maxMenuMisses: 3,
    policy: config.policy,
  };
}

/** The routing settings a deployment's config implies. */
export function routingSettings(config: Config, scoresTranscripts: boolean): RoutingSettings {
  return {
    source: config.sentimentSource,
    analyzerNumbers: config.symbl?.numbers ?? [],
    conferenceNamePrefix: config.telnyx.conferenceNamePrefix,
    scoresTranscripts,
  };
}

export interface RuntimeOptions {
  readonly log: Log;
  readonly nowMs?: () => number;
  /** Needed when the source is Telnyx transcription. */
  readonly scorer?: SentimentScorer;
  /** Overrides for tests and local runs; AWS clients otherwise use the SDK's own endpoint settings. */
  readonly dynamo?: DynamoDBClient;
  readonly sqs?: SQSClient;
  readonly fetch?: typeof fetch;
}

/** What both entry points share: the store, the Symbl client, the executor and the call loop. */
interface Shared {
  readonly store: SessionStore;
  readonly symbl: SymblClient | undefined;
  readonly executor: CommandExecutor;
  readonly loop: CallLoop;
  readonly nowMs: () => number;
}

/**
 * Builds the clients and the call loop. The AWS SDK (the Lambda runtime's own) is imported here,
 * on the first event, not at start-up.
 */
async function createShared(config: Config, options: RuntimeOptions): Promise<Shared> {
  const nowMs = options.nowMs ?? Date.now;
  const { log } = options;
  if (!config.pollQueueUrl) throw new Error('POLL_QUEUE_URL is required');
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { SQSClient }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('@aws-sdk/client-sqs'),
  ]);
  const dynamo = DynamoDBDocumentClient.from(options.dynamo ?? new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = await createDynamoSessionStore({ client: dynamo, tableName: config.tableName, retentionDays: config.retentionDays, nowMs });
  // The queue URL names the queue; requests go to the configured endpoint (which in AWS is the
  // same host, and locally is the emulator whatever host its queue URLs carry).
  const scheduler = await createSqsScheduler(options.sqs ?? new SQSClient({ useQueueUrlAsEndpoint: false }), config.pollQueueUrl);
  const telnyx = new Telnyx({
    apiKey: config.telnyx.apiKey,
    ...(config.telnyx.baseUrl ? { baseURL: config.telnyx.baseUrl } : {}),
    timeout: 4000,
    maxRetries: 2,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const symbl = config.symbl
    ? createSymblClient({
        baseUrl: config.symbl.baseUrl,
        credentials: { appId: config.symbl.appId, appSecret: config.symbl.appSecret },
        nowMs,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    : undefined;
  const executor = createCommandExecutor({
    telnyx,
    telnyxSettings: { connectionId: config.telnyx.connectionId, fromNumber: config.telnyx.conferenceNumber, voice: config.telnyx.voice },
    analyzer: symbl
      ? {
          client: symbl,
          dialInNumber: config.telnyx.conferenceNumber,
          summaryEmails: config.symbl?.summaryEmails ?? [],
          sessionNamePrefix: config.telnyx.conferenceNamePrefix,
        }
      : undefined,
    scheduler,
    log,
  });
  const loop = createCallLoop({ sessions: store, claims: store, executor, transition: createCallFlow(callFlowSettings(config)), log, nowMs });
  return { store, symbl, executor, loop, nowMs };
}

function webhookOf(config: Config, options: RuntimeOptions, shared: Shared): WebhookApp {
  if (config.sentimentSource === 'telnyx' && !options.scorer) throw new Error('The telnyx sentiment source needs a scorer');
  return createWebhookApp({
    loop: shared.loop,
    lookups: shared.store,
    digits: shared.store,
    log: options.log,
    nowMs: shared.nowMs,
    publicKey: config.telnyx.verifySignatures ? importTelnyxPublicKey(config.telnyx.publicKey) : undefined,
    routing: routingSettings(config, config.sentimentSource === 'telnyx' && options.scorer !== undefined),
    scorer: options.scorer,
  });
}

function pollerOf(options: RuntimeOptions, shared: Shared): { poller: PollerApp; source: SentimentSource | undefined } {
  const source = shared.symbl ? createSymblSource(shared.symbl) : undefined;
  return { poller: createPollerApp({ loop: shared.loop, sessions: shared.store, source, log: options.log }), source };
}

/** The webhook function's use case, with what it needs and nothing else. */
export async function createWebhookRuntime(config: Config, options: RuntimeOptions): Promise<WebhookApp> {
  return webhookOf(config, options, await createShared(config, options));
}

/** The poller function's use case, with what it needs and nothing else. */
export async function createPollerRuntime(config: Config, options: RuntimeOptions): Promise<PollerApp> {
  return pollerOf(options, await createShared(config, options)).poller;
}

/** Both use cases over one set of clients: for local tooling and tests that drive a whole call in one process. */
export interface Runtime {
  readonly store: SessionStore;
  readonly loop: CallLoop;
  readonly executor: CommandExecutor;
  readonly webhook: WebhookApp;
  readonly poller: PollerApp;
  readonly source: SentimentSource | undefined;
}

export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const shared = await createShared(config, options);
  const { poller, source } = pollerOf(options, shared);
  return { store: shared.store, loop: shared.loop, executor: shared.executor, webhook: webhookOf(config, options, shared), poller, source };
}
