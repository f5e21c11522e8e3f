import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KeyObject } from 'node:crypto';
import type { Runtime } from '../../../lib/app/runtime.js';
import type { WebhookResponse } from '../../../lib/app/webhook-gate.js';
import type { Log } from '../../../lib/log.js';
import { parseQueueMessage, type QueueMessage } from '../../../lib/scheduler/poll-queue.js';
import type { SessionRecord } from '../../../lib/core/model.js';
import { createWorld, type DialRef, type OperatorBehavior, type QueuedMessage, type World, type WorldClock, type WorldEvent, type WorldLeg } from './world.js';
import { seededRandom } from '../../../local/sim/runtime.js';
import { createWorldRuntime, worldNumbers, worldUrls } from './world-runtime.js';

export interface ScriptedCallOptions {
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly privateKey: KeyObject;
  readonly publicKeyBase64: string;
  readonly log?: Log;
  readonly env?: Record<string, string>;
  /** What each operator dial's far end does (default: takes the call). */
  readonly operators?: (dial: DialRef) => OperatorBehavior;
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
   * the far ends do their part (the analyzer calls in and keys its code, operators' phones do
   * what their behaviour says), and handles queue messages once due (moving the clock on to
   * the next one when nothing else is left), until nothing is left to do. Poll cycles and the
   * backstop's checks run only as many times as `polls` and `checks` say (their chains never
   * end on their own). Events `hold` picks stay pending (for a test to deliver later).
   */
  settle(options?: { polls?: number; checks?: number; maxRounds?: number; hold?: (event: WorldEvent) => boolean }): Promise<void>;
  pending(): WorldEvent[];
  /** Queue messages not handled yet, optionally of one kind. */
  queued(kind?: QueueMessage['kind']): QueuedMessage[];
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
    ...(options.operators ? { operators: options.operators } : {}),
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
  const kindOf = (message: QueuedMessage) => parseQueueMessage(message.body)?.kind;

  /** The far ends act on whatever the model waits for from them. */
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
      if (leg.role !== 'operator' || leg.state === 'hangup' || !leg.dial) continue;
      for (const timer of world.timers(leg)) {
        const acts = timer.kind === 'ring' || timer.kind === 'machine-detection' || timer.kind === 'far-end-press' || (timer.kind === 'far-end-hangup' && leg.conferenceId !== undefined);
        if (!acts) continue;
        world.fire(timer);
        acted = true;
      }
      // Someone who never presses lets the briefing run out.
      const listens = leg.dial.behavior === 'listens' || leg.dial.behavior === 'silent' || leg.dial.behavior === 'voicemail';
      if (listens && world.hasGatherTimers(leg)) {
        world.gatherTimesOut(leg);
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
    queued: (kind) => world.queue.filter((m) => !m.done && (kind === undefined || kindOf(m) === kind)),
    async settle({ polls = 0, checks = 0, maxRounds = 200, hold = () => false } = {}) {
      let pollsLeft = polls;
      let checksLeft = checks;
      const counts = (message: QueuedMessage) => {
        const kind = kindOf(message);
        return kind === 'poll' ? pollsLeft > 0 : kind === 'check' ? checksLeft > 0 : true;
      };
      for (let round = 0; round < maxRounds; round++) {
        world.advance(roundMs);
        let progressed = farEnds();
        for (const event of pending().filter((e) => !hold(e))) {
          await deliver(event);
          progressed = true;
        }
        for (const message of world.queue.filter((m) => !m.done && m.dueAtMs <= world.nowMs() && counts(m))) {
          const kind = kindOf(message);
          if (kind === 'poll') pollsLeft--;
          if (kind === 'check') checksLeft--;
          await handle(message);
          progressed = true;
        }
        if (progressed) continue;
        // Nothing to do now: on to the next message that is due, when the clock can move.
        const due = world.queue.filter((m) => !m.done && counts(m)).map((m) => m.dueAtMs);
        if (due.length === 0) return;
        const next = Math.min(...due);
        world.advance(next - world.nowMs());
        if (world.nowMs() < next) return;
      }
    },
    async session() {
      const link = await runtime.store.findByLeg(customer.id);
      return link?.sessionId ? runtime.store.get(link.sessionId) : undefined;
    },
  };
}
