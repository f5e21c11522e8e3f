import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Session } from '../lib/core/model.js';
import { createDynamoSessionStore, type SessionStore } from '../lib/store/session-store.js';
import type { SimCall } from './sim/index.js';
import { startSymblSimulator, startTelnyxSimulator, type FaultPlan, type SymblSimulator, type TelnyxSimulator } from './sim/index.js';
import { productEnvironment, simulatedSymblApp, testNumbers } from './environment.js';
import { operatorWhoTakesTheCall } from './scenarios.js';
import { freePort, localAwsSettings } from './servers.js';
import { startLocalStack, type LocalStack } from './stack.js';


export interface SimulatedStackOptions {
  readonly source: 'symbl' | 'telnyx';
  /** Multiplies the simulators' durations (rings, speech, timeouts). */
  readonly timeScale?: number;
  readonly faults?: Partial<FaultPlan>;
  readonly env?: Readonly<Record<string, string>>;
  readonly pollerConcurrency?: number;
  /** Webhook port; a free one by default. */
  readonly port?: number;
}

export interface SimulatedStack {
  readonly stack: LocalStack;
  readonly telnyx: TelnyxSimulator;
  readonly symbl: SymblSimulator;
  readonly env: Readonly<Record<string, string>>;
  readonly store: SessionStore;
  /** The stored session of a customer's call. */
  sessionOf(customer: SimCall): Promise<Session | undefined>;
  stop(): Promise<void>;
}

/**
 * The whole product on this machine with no accounts: the local stack (DynamoDB Local, the
 * SQS emulator, the real webhook and poller handlers) talking to the Telnyx and Symbl
 * simulators, which deliver signed webhooks to it over HTTP.
 */
export async function startSimulatedStack(options: SimulatedStackOptions): Promise<SimulatedStack> {
  const port = options.port ?? (await freePort());
  const timeScale = options.timeScale ?? 1;
  const telnyx = await startTelnyxSimulator({
    deliver: { url: `http://127.0.0.1:${port}/webhook` },
    timeScale,
    seed: 42,
    connectionId: 'sim-connection',
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const symbl = await startSymblSimulator({ telnyx, ...simulatedSymblApp, symblNumber: testNumbers.symbl, timeScale, seed: 43 });
  for (const operator of testNumbers.operators) telnyx.setDialBehavior(operator, operatorWhoTakesTheCall);
  const env = productEnvironment({
    source: options.source,
    telnyx,
    symblBaseUrl: symbl.baseUrl,
    conferenceName: 'demo',
    overrides: { ANALYZER_JOIN_TIMEOUT_SECONDS: '3', POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN', ...options.env },
  });
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ env, port, ...(options.pollerConcurrency ? { pollerConcurrency: options.pollerConcurrency } : {}) });
  } catch (error) {
    await Promise.allSettled([telnyx.stop(), symbl.stop()]);
    throw error;
  }
  const dynamo = new DynamoDBClient({ ...localAwsSettings, endpoint: stack.dynamoEndpoint });
  const store = await createDynamoSessionStore({
    client: DynamoDBDocumentClient.from(dynamo),
    tableName: stack.tableName,
    retentionDays: 1,
    nowMs: Date.now,
  });
  return {
    stack,
    telnyx,
    symbl,
    env,
    store,
    async sessionOf(customer) {
      const link = await store.findByLeg(customer.callControlId);
      return link?.sessionId ? (await store.get(link.sessionId))?.session : undefined;
    },
    async stop() {
      dynamo.destroy();
      await stack.stop();
      await Promise.allSettled([telnyx.stop(), symbl.stop()]);
    },
  };
}
