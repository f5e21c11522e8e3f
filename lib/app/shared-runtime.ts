import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import Telnyx from 'telnyx';
import type { Config } from '../config.js';
import { createCallFlow } from '../core/call-flow.js';
import type { CallFlowSettings } from '../core/model.js';
import type { Log } from '../log.js';
import { noMetrics, type Metrics } from '../metrics/metrics.js';
import { createSqsReturns, createSqsScheduler, type MessageReturns } from '../scheduler/poll-queue.js';
import type { SentimentScorer } from '../sentiment/scorer.js';
import { createDynamoSessionStore, type SessionStore } from '../store/session-store.js';
import { createTimelineWriter } from '../store/timeline-store.js';
import { createSymblClient, type SymblClient } from '../symbl/symbl-client.js';
import { timeouts } from '../timeouts.js';
import { createCallLoop, type CallLoop, type CommandExecutor } from './call-loop.js';
import { createCommandExecutor } from './command-executor.js';

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
    ...(config.shadowPolicy ? { shadowPolicy: config.shadowPolicy } : {}),
    operatorScreening: config.operators.screening,
    detectMachines: config.operators.machineDetection !== 'disabled',
    operatorAcceptTimeoutSeconds: config.operators.acceptTimeoutSeconds,
    sessionCheckSeconds: config.sessionCheckSeconds,
  };
}

export interface RuntimeOptions {
  readonly log: Log;
  /** Where counts go; nowhere when not given. */
  readonly metrics?: Metrics;
  readonly nowMs?: () => number;
  /** Needed when the source is Telnyx transcription. */
  readonly scorer?: SentimentScorer;
  /** Overrides for tests and local runs; AWS clients otherwise use the SDK's own endpoint settings. */
  readonly dynamo?: DynamoDBClient;
  readonly sqs?: SQSClient;
  readonly fetch?: typeof fetch;
  /** Overrides the inline command budget (a simulation on a scaled clock, say). */
  readonly commandBudgetMs?: number;
}

/** What both entry points share: the store, the Symbl client, the executor and the call loop. */
export interface Shared {
  readonly store: SessionStore;
  readonly symbl: SymblClient | undefined;
  readonly executor: CommandExecutor;
  readonly loop: CallLoop;
  readonly nowMs: () => number;
  readonly settings: CallFlowSettings;
  /** Puts a failed queue message back soon (the poller's batches). */
  readonly returns: MessageReturns;
}

/**
 * Builds the clients and the call loop. The AWS SDK (the Lambda runtime's own) is imported here,
 * on the first event, not at start-up.
 */
export async function createShared(config: Config, options: RuntimeOptions): Promise<Shared> {
  const nowMs = options.nowMs ?? Date.now;
  const { log } = options;
  if (!config.pollQueueUrl) throw new Error('POLL_QUEUE_URL is required');
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { SQSClient }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('@aws-sdk/client-sqs'),
  ]);
  const dynamo = DynamoDBDocumentClient.from(options.dynamo ?? new DynamoDBClient({ maxAttempts: timeouts.dynamoTries, requestHandler: { requestTimeout: timeouts.dynamoRequestMs } }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = await createDynamoSessionStore({ client: dynamo, tableName: config.tableName, retentionDays: config.retentionDays, nowMs });
  const timeline = await createTimelineWriter({ client: dynamo, tableName: config.tableName, retentionDays: config.retentionDays, nowMs });
  // The queue URL names the queue; requests go to the configured endpoint (which in AWS is the
  // same host, and locally is the emulator whatever host its queue URLs carry).
  const sqs = options.sqs ?? new SQSClient({ useQueueUrlAsEndpoint: false, maxAttempts: timeouts.sqsTries, requestHandler: { requestTimeout: timeouts.sqsRequestMs } });
  const scheduler = await createSqsScheduler(sqs, config.pollQueueUrl);
  const returns = await createSqsReturns(sqs, config.pollQueueUrl);
  const telnyx = new Telnyx({
    apiKey: config.telnyx.apiKey,
    ...(config.telnyx.baseUrl ? { baseURL: config.telnyx.baseUrl } : {}),
    // One request at a time: the executor makes its own bounded tries (see lib/timeouts.ts).
    timeout: timeouts.telnyxRequestMs,
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const symbl = config.symbl
    ? createSymblClient({
        baseUrl: config.symbl.baseUrl,
        credentials: { appId: config.symbl.appId, appSecret: config.symbl.appSecret },
        nowMs,
        timeoutMs: timeouts.symblRequestMs,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    : undefined;
  const executor = createCommandExecutor({
    telnyx,
    telnyxSettings: {
      connectionId: config.telnyx.connectionId,
      fromNumber: config.telnyx.conferenceNumber,
      voice: config.telnyx.voice,
      machineDetection: config.operators.machineDetection === 'premium' ? 'premium' : 'detect',
    },
    analyzer: symbl
      ? {
          client: symbl,
          dialInNumber: config.telnyx.conferenceNumber,
          summaryEmails: config.symbl?.summaryEmails ?? [],
          sessionNamePrefix: config.telnyx.conferenceNamePrefix,
        }
      : undefined,
    scheduler,
    callers: store,
    log,
  });
  const settings = callFlowSettings(config);
  const loop = createCallLoop({
    sessions: store,
    claims: store,
    timeline,
    executor,
    transition: createCallFlow(settings),
    log,
    metrics: options.metrics ?? noMetrics,
    nowMs,
    commandBudgetMs: options.commandBudgetMs ?? timeouts.commandBudgetMs,
  });
  return { store, symbl, executor, loop, nowMs, settings, returns };
}
