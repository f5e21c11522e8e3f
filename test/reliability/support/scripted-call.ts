import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KeyObject } from 'node:crypto';
import type { Runtime } from '../../../lib/app/runtime.js';
import type { WebhookResponse } from '../../../lib/app/webhook-gate.js';
import type { Log } from '../../../lib/log.js';
import { parseQueueMessage } from '../../../lib/scheduler/poll-queue.js';
import type { SessionRecord } from '../../../lib/core/model.js';
import { createWorld, type QueuedMessage, type World, type WorldClock, type WorldEvent, type WorldLeg } from './world.js';
import { seededRandom } from '../../../local/sim/runtime.js';
import { createWorldRuntime, worldNumbers, worldUrls } from './world-runtime.js';

export interface ScriptedCallOptions {
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly privateKey: KeyObject;
  readonly publicKeyBase64: string;
  readonly log?: Log;
  readonly env?: Record<string, string>;
  /** What operators do when dialed (default: answer). */
  readonly operatorAnswers?: (leg: WorldLeg) => boolean;
  /** Seeds the world's ids; by default each call of a test file gets the next seed. */
  readonly seed?: number;
  /** The world's (and so the product's) clock: `logicalClock(start)`, or the wall clock. */
  readonly clock: WorldClock;
}

export interface ScriptedCall {
  readonly world: World;
  readonly runtime: Runtime;
  readonly customer: WorldLeg;
  /** Every webhook response so far, with its event. */
  readonly responses: { event: WorldEvent; status: number; body: string }[];
  deliver(event: WorldEvent): Promise<WebhookResponse>;
  /** Handles one queue message as the poller would (throws are caught and returned). */
  handle(message: QueuedMessage): Promise<string>;
  /**
   * Delivers pending events in the order they were generated (failed ones again later), lets
   * the far ends do their part (the analyzer calls in and keys its code, operators answer or
   * not), and handles timer messages, until nothing is left to do. Poll messages are handled
   * only when `polls` says how many cycles to run.
   */
  settle(options?: { polls?: number; maxRounds?: number }): Promise<void>;
  pending(): WorldEvent[];
  session(): Promise<SessionRecord | undefined>;
}

let nextSeed = 1;
/** The world's clock moves this much per round of `settle`. */
const roundMs = 25;

/** A call driven step by step through the real runtime against the world model, for regression cases. */
export async function startScriptedCall(options: ScriptedCallOptions): Promise<ScriptedCall> {
  const seed = options.seed ?? nextSeed++;
  const rng = seededRandom(seed);
  const world = createWorld({
    seed,
    rng,
    clock: options.clock,
    privateKey: options.privateKey,
    telnyxBaseUrl: worldUrls.telnyx,
    symblBaseUrl: worldUrls.symbl,
    symblNumber: worldNumbers.symbl,
    conferenceNumber: worldNumbers.conference,
  });
  const runtime = await createWorldRuntime({ world, ...options });
  const acked = new Set<string>();
  const responses: ScriptedCall['responses'] = [];
  const customer = world.customerCalls(`+1555${String(Math.floor(rng() * 1e7)).padStart(7, '0')}`);

  async function deliver(event: WorldEvent): Promise<WebhookResponse> {
    const rawBody = JSON.stringify({ data: event, meta: { attempt: 1, delivered_to: 'https://example.test/webhook' } });
    const response = await runtime.webhook({ body: rawBody, isBase64Encoded: false, headers: world.sign(rawBody) });
    responses.push({ event, status: response.status, body: response.body });
    if (response.status < 300) acked.add(event.id);
    return response;
  }

  async function handle(message: QueuedMessage): Promise<string> {
    const parsed = parseQueueMessage(message.body);
    if (!parsed) return 'unreadable';
    message.deliveries++;
    try {
      const outcome = await runtime.poller(parsed, message.messageId);
      message.done = true;
      return outcome;
    } catch (error) {
      return `threw ${String(error)}`;
    }
  }

  const pending = () => world.events.filter((e) => !acked.has(e.id));

  function farEnds(): boolean {
    let acted = false;
    for (const connection of world.connections.values()) {
      if (connection.status === 'dialing' && !connection.leg) {
        world.analyzerDialsIn(connection);
        acted = true;
      }
    }
    for (const leg of world.legs.values()) {
      if (leg.role === 'analyzer' && leg.state === 'answered' && !leg.farEndDone) {
        world.analyzerKeysCode(leg);
        acted = true;
      }
      if (leg.role === 'operator' && leg.state === 'bridging' && !leg.farEndDone) {
        if (options.operatorAnswers?.(leg) ?? true) world.operatorAnswers(leg);
        else world.operatorDoesNotAnswer(leg);
        acted = true;
      }
    }
    return acted;
  }

  return {
    world,
    runtime,
    customer,
    responses,
    deliver,
    handle,
    pending,
    async settle({ polls = 0, maxRounds = 40 } = {}) {
      let pollsLeft = polls;
      for (let round = 0; round < maxRounds; round++) {
        world.advance(roundMs);
        let progressed = farEnds();
        for (const event of pending()) {
          await deliver(event);
          progressed = true;
        }
        for (const message of world.queue.filter((m) => !m.done)) {
          const isPoll = parseQueueMessage(message.body)?.kind === 'poll';
          if (isPoll && pollsLeft <= 0) continue;
          if (isPoll) pollsLeft--;
          await handle(message);
          progressed = true;
        }
        if (!progressed) return;
      }
    },
    async session() {
      const link = await runtime.store.findByLeg(customer.id);
      return link?.sessionId ? runtime.store.get(link.sessionId) : undefined;
    },
  };
}
