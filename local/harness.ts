import { createPollBatchHandler } from '../functions/poller/batch.js';
import { createRuntime, type Runtime } from '../lib/app/runtime.js';
import { loadConfig, type Config } from '../lib/config.js';
import type { Log } from '../lib/log.js';
import type { Metrics } from '../lib/metrics/metrics.js';
import type { SentimentScorer } from '../lib/sentiment/scorer.js';
import type { SessionRecord } from '../lib/core/model.js';
import { productEnvironment, simulatedSymblApp, testNumbers } from './environment.js';
import { startQueueDriver } from './queue-driver.js';
import { operatorWhoTakesTheCall } from './scenarios.js';
import { settle, startSymblSimulator, startTelnyxSimulator, type FaultPlan, type SimCall, type SymblSimulator, type TelnyxSimulator } from './sim/index.js';
import type { LocalAws } from './local-aws.js';

/** The numbers the harness's calls use: the product's test numbers. */
export const numbers = testNumbers;

/** A log that keeps every line, for assertions on what was logged. */
export function memoryLog(): Log & { lines: { level: string; message: string; extra: Record<string, unknown>[] }[] } {
  const lines: { level: string; message: string; extra: Record<string, unknown>[] }[] = [];
  const at = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => void lines.push({ level, message, extra });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface HarnessOptions {
  readonly aws: LocalAws;
  readonly source?: 'symbl' | 'telnyx';
  readonly env?: Record<string, string>;
  readonly timeScale?: number;
  readonly faults?: Partial<FaultPlan>;
  readonly scorer?: SentimentScorer;
  readonly log?: Log;
  /** Where the product's counts go (nowhere unless given). */
  readonly metrics?: Metrics;
  readonly withPoller?: boolean;
  /** Clients to use instead of the local ones (instrumented ones, say). */
  readonly dynamo?: import('@aws-sdk/client-dynamodb').DynamoDBClient;
  readonly sqs?: import('@aws-sdk/client-sqs').SQSClient;
  /** Wraps each webhook delivery (to time it, say). */
  readonly aroundDelivery?: (deliver: () => Promise<{ status: number }>, rawBody: string) => Promise<{ status: number }>;
}

export interface Harness {
  readonly telnyx: TelnyxSimulator;
  readonly symbl: SymblSimulator;
  readonly runtime: Runtime;
  readonly config: Config;
  readonly log: ReturnType<typeof memoryLog>;
  /** A customer calls our number. */
  call(from?: string): SimCall;
  /** The stored session of a customer's call. */
  sessionOf(call: SimCall): Promise<SessionRecord | undefined>;
  /** Waits until the simulators have nothing in flight. */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let callerSeq = 100;

/**
 * The product wired in-process against DynamoDB Local, the SQS emulator and the Telnyx and
 * Symbl simulators: the real SDK talks HTTP to the simulator, and the simulator's signed
 * webhooks go through the real webhook use case.
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const log = memoryLog();
  const timeScale = options.timeScale ?? 0.05;
  const tableName = await options.aws.newTable();
  // The simulator starts first (the config needs its key and URL); webhooks wait for the runtime.
  const ready: { runtime?: Runtime } = {};
  const telnyx = await startTelnyxSimulator({
    deliver: async (rawBody, headers) => {
      const runtime = ready.runtime;
      if (!runtime) return { status: 503 };
      const deliver = async () => ({ status: (await runtime.webhook({ body: rawBody, isBase64Encoded: false, headers })).status });
      return options.aroundDelivery ? options.aroundDelivery(deliver, rawBody) : deliver();
    },
    timeScale,
    seed: 7,
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const symbl = await startSymblSimulator({ telnyx, ...simulatedSymblApp, symblNumber: numbers.symbl, timeScale, seed: 11 });
  for (const operator of numbers.operators) telnyx.setDialBehavior(operator, operatorWhoTakesTheCall);
  const source = options.source ?? 'symbl';
  const config = loadConfig(
    productEnvironment({
      source,
      telnyx,
      symblBaseUrl: symbl.baseUrl,
      tableName,
      queueUrl: options.aws.queue.queueUrl,
      ...(options.env ? { overrides: options.env } : {}),
    }),
  );
  const runtime = await createRuntime(config, {
    log: options.log ?? log,
    dynamo: options.dynamo ?? options.aws.dynamo,
    sqs: options.sqs ?? options.aws.sqs,
    ...(options.scorer ? { scorer: options.scorer } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  ready.runtime = runtime;
  const app = runtime;
  const driver =
    options.withPoller === false
      ? undefined
      : startQueueDriver({
          client: options.aws.sqs,
          queueUrl: options.aws.queue.queueUrl,
          handler: createPollBatchHandler(async () => app, options.log ?? log),
        });
  return {
    telnyx,
    symbl,
    runtime,
    config,
    log,
    call(from = `+1555010${String(callerSeq++).padStart(4, '0')}`) {
      return telnyx.placeInboundCall({ from, to: numbers.conference });
    },
    async sessionOf(call) {
      const link = await app.store.findByLeg(call.callControlId);
      return link?.sessionId ? app.store.get(link.sessionId) : undefined;
    },
    settle: (timeoutMs = 30_000) => settle([telnyx, symbl], timeoutMs),
    async stop() {
      await driver?.stop();
      await Promise.allSettled([telnyx.stop(), symbl.stop()]);
    },
  };
}
