/**
 * One delivery schedule of one call: the world model generates events as the product's commands
 * and the far ends cause them; the schedule decides which generated event is delivered when,
 * how often, and alongside what, and when what the model waits for happens (an operator's phone
 * rings out or is answered, machine detection ends, a screened operator presses a key or
 * leaves, a prompt ends, the menu times out); then the invariants are checked.
 *
 * A schedule replays exactly from its params and its run number: the world's ids are seeded
 * from both, its clock is logical (a step is 25 ms; when nothing can happen before a queue
 * message or a redelivery is due, the clock jumps to it), and the product runs on that clock.
 *
 * The delivery model (what Telnyx and SQS can actually produce):
 * - an event exists only once its cause happened: `call.answered` after our `answer`, a
 *   conference's events after our `conferences.create`, an operator's after our `dial`, the
 *   analyzer's leg after our Symbl start, a customer's keypress after the call was answered;
 * - once generated, an event may be delivered at any later step, in any order relative to the
 *   others (per-leg order included), and several deliveries may run concurrently;
 * - `delivery: 'redeliver'`: a delivery answered with a non-2xx status stays pending and is
 *   delivered again later, and any event may be delivered again at any time, or doubled in one
 *   step (the "Telnyx retries when you are slow" half of its documentation);
 * - `delivery: 'telnyx'`: as Telnyx draws it: the primary, then once to the failover, then given
 *   up, unless the leg's `webhook_retries_policies` covers the event type (its retries come
 *   first, after their delays). An answer Telnyx did not see in time fails the attempt too (the
 *   product handled it: a redelivery is a duplicate, a give-up loses nothing). Storage trouble
 *   never hits an event's last attempt: an event lost for good after its write would strand any
 *   design that keeps its state in one table;
 * - people (a customer pressing or hanging up, an operator answering, Symbl keying its code)
 *   act between steps: a human is slower than one handler run;
 * - queue messages of every kind (poll cycles, timers, command retries, looks at legs) behave
 *   like SQS: no earlier than their delay, in any order, redelivered when the handler throws,
 *   and at least once: now and then again after it was handled (within a minute).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, type KeyObject } from 'node:crypto';
import type { AttemptOutcome, OperatorScreening, Session, StampedCommand, Wakeup } from '../../../lib/core/model.js';
import { prompts } from '../../../lib/core/prompts.js';
import { parseQueueMessage } from '../../../lib/scheduler/poll-queue.js';
import { seededRandom } from '../../../local/sim/runtime.js';
import type { FaultyDynamo, WriteFault } from './write-faults.js';
import { createWorld, logicalClock, type FaultError, type OperatorBehavior, type World, type WorldEvent, type WorldLeg, type WorldRequest } from './world.js';
import { createWorldRuntime, worldNumbers, worldUrls } from './world-runtime.js';

export type Trigger = 'none' | 'dtmf' | 'utterance' | 'request';

export interface ScheduleParams {
  readonly seed: number;
  readonly trigger: Trigger;
  /** 'late': the customer hangs up once everything else has settled; 'early': at a random step. */
  readonly hangup: 'late' | 'early';
  /**
   * What the far end of each operator number does, per escalation round: the first list for the
   * first round, the second for a round the customer asks for after that one ended.
   */
  readonly operators: readonly (readonly OperatorBehavior[])[];
  /** `OPERATOR_SCREENING` (default `either`). */
  readonly screening?: OperatorScreening;
  /** Deliveries and actions per step, run concurrently. */
  readonly maxBatch: number;
  /**
   * 'redeliver': chance that a slot re-delivers an acknowledged event, or doubles one; 'telnyx':
   * that an answer is not seen in time. In both, a quarter of it: that a handled queue message comes again.
   */
  readonly duplicateRate: number;
  /** Chance that a command's requests fail for now (5xx, 429, timeouts), once or enough to go through the queue. */
  readonly failRate: number;
  /** Chance per step that a running menu gather times out. */
  readonly menuTimeoutRate: number;
  /** Chance that a body arrives base64-encoded (API Gateway does this for some content types). */
  readonly base64Rate: number;
  /** After a round ended (every operator failed, or the one connected left), the customer presses 1 again. */
  readonly secondRound: boolean;
  /** Telnyx answers 503 to these command kinds for a while, on the world's clock, from this long after the call starts. */
  readonly outage?: { readonly kinds: readonly string[]; readonly fromMs: number; readonly forMs: number };
  /** The first dial requests fail with 503, the first of them after placing the leg (a lost response). */
  readonly lostDialResponses?: number;
  /** Faults on the session's writes: a concurrent writer first, a crash between the write and the commands, a lost write response. */
  readonly writeFaults?: { readonly conflictRate: number; readonly crashRate: number; readonly lostResponseRate: number };
  /**
   * Runs each step's deliveries and messages one after another, in slot order, instead of
   * concurrently: concurrent ones race in DynamoDB Local, which decides the winner; a sequential
   * schedule replays exactly.
   */
  readonly sequential?: boolean;
  /** How failed deliveries are retried (see the module comment). Default 'redeliver'. */
  readonly delivery?: 'redeliver' | 'telnyx';
}

export interface ScheduleContext {
  /**
   * Which schedule this is on its table: with the seed it seeds the world's ids, so schedules
   * sharing a table never share a leg (a replay needs both).
   */
  readonly run: number;
  /** Where the world's logical clock starts (near the wall clock: DynamoDB Local expires items on it). */
  readonly startMs: number;
  readonly dynamo: DynamoDBClient;
  /** The injector behind `dynamo`, when the schedule may fault its session writes (schedules may share it side by side). */
  readonly writeFaults?: FaultyDynamo;
  readonly tableName: string;
  readonly privateKey: KeyObject;
  readonly publicKeyBase64: string;
}

export interface ScheduleReport {
  /** The world the schedule ran against (its events, requests, legs). */
  readonly world: World;
  readonly violations: string[];
  readonly trace: string[];
  readonly deliveries: number;
  readonly duplicates: number;
  readonly failedDeliveries: number;
  /** Deliveries that went to the failover ('telnyx' mode). */
  readonly failovers: number;
  /** Events the 'telnyx' delivery mode gave up on (after the failover too). */
  readonly givenUp: number;
  /** Every delivery attempt, in order: which event, which attempt, when (world clock), where, and the answer. */
  readonly deliveryLog: readonly { readonly eventId: string; readonly attempt: number; readonly atMs: number; readonly target: 'primary' | 'failover'; readonly status: number }[];
  /** Commands retried through the queue (retry messages handled). */
  readonly retries: number;
  /** Faults injected, by kind. */
  readonly faults: Record<string, number>;
  readonly faultsInjected: number;
  readonly steps: number;
}

/**
 * How the random command faults fail. A timeout (no answer at all) costs the executor a real
 * backoff of 250 ms (no Retry-After to read), so it is the rarest.
 */
const faultErrors: readonly FaultError[] = ['503', '503', '503', '500', '500', '429', '429', 'timeout'];

/**
 * Whether a session write may crash, for the delivery or message being handled. One instance for
 * every schedule: each `run` scopes its value to its own async work, so schedules side by side
 * keep theirs apart, and Node checks every live instance on each promise it creates, so one per
 * schedule (never disabled) made each schedule slower than the last (a full-size run of 1,000
 * passed its 40-minute timeout).
 */
const mayCrash = new AsyncLocalStorage<boolean>();
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const maxSteps = 2000;
const maxAttemptsPerEvent = 30;
/**
 * Telnyx redelivers an event within a minute of its first attempt (a leg's retry policies sum to
 * at most 60 s, the failover follows at once): its command_id window covers what a redelivery
 * repeats. A duplicate comes within this of the first delivery, strictly: the model forgets a
 * command_id when its 60 s are up (`nowMs - atMs < window`), so a duplicate at exactly 60 s would
 * fall outside the window this stands for.
 */
const redeliveryHorizonMs = 60_000;
/** The world's clock moves this much per step. */
const stepMs = 25;

interface Action {
  readonly name: string;
  /** Must happen before the schedule may settle (or its clock jump). */
  readonly required: boolean;
  readonly weight: number;
  readonly run: () => void;
}

type Slot = { kind: 'event'; event: WorldEvent; duplicate: boolean } | { kind: 'message'; index: number; duplicate: boolean };

const short = (id: string) => id.slice(0, 12);

/** A key picked with probability proportional to its weight; undefined when all weigh nothing. */
function weighted<K extends string>(rng: () => number, weights: Record<K, number>): K | undefined {
  const entries = Object.entries(weights) as [K, number][];
  let roll = rng() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [key, weight] of entries) {
    if (weight <= 0) continue;
    roll -= weight;
    if (roll < 0) return key;
  }
  return entries.filter(([, w]) => w > 0).at(-1)?.[0];
}

/** The seed of a schedule's ids. */
export function worldSeed(seed: number, run: number): number {
  return createHash('sha256').update(`${seed}/${run}`).digest().readInt32BE(0);
}

// ------------------------------------------------------------------------------------------------
// What each operator behaviour must come to

/** Whether this far end becomes the customer's operator under the screening setting. */
export function connects(behavior: OperatorBehavior, screening: OperatorScreening): boolean {
  if (behavior === 'takes-call' || behavior === 'leaves') return true;
  return behavior === 'listens' && (screening === 'either' || screening === 'human');
}

/** The outcomes an attempt with this far end may end with. */
export function expectedOutcomes(behavior: OperatorBehavior, screening: OperatorScreening): readonly AttemptOutcome[] {
  if (connects(behavior, screening)) return [behavior === 'leaves' ? 'left' : 'answered'];
  switch (behavior) {
    case 'declines':
      return ['declined'];
    case 'voicemail':
      // Where a keypress is needed, a briefing that ran out unanswered fails it before detection does.
      return screening === 'keypress' || screening === 'both' ? ['voicemail', 'no-answer'] : ['voicemail'];
    case 'busy':
      return ['busy'];
    case 'refused-403':
    case 'refused-422':
      return ['refused'];
    default:
      return ['no-answer'];
  }
}

/** The attempts a round dials: up to the first far end that takes the call, else all of them. */
export function attemptsDialed(round: readonly OperatorBehavior[], screening: OperatorScreening): number {
  const taken = round.findIndex((b) => connects(b, screening));
  return taken >= 0 ? taken + 1 : round.length;
}

/** Whether the round ends with its operator still there (not failed, not left). */
const roundHolds = (round: readonly OperatorBehavior[], screening: OperatorScreening) => {
  const taken = round.findIndex((b) => connects(b, screening));
  return taken >= 0 && round[taken] !== 'leaves';
};

export async function runSchedule(context: ScheduleContext, params: ScheduleParams): Promise<ScheduleReport> {
  const rng = seededRandom(params.seed);
  const writeRng = seededRandom(params.seed ^ 0x2545f491);
  const screening = params.screening ?? 'either';
  const telnyxDelivery = params.delivery === 'telnyx';
  const numbers = worldNumbers.operators.length;
  const roundOf = (round: number): readonly OperatorBehavior[] => {
    const listed = params.operators[Math.min(round, params.operators.length - 1)] ?? [];
    return Array.from({ length: numbers }, (_, i) => listed[i] ?? 'no-answer');
  };
  const world = createWorld({
    seed: worldSeed(params.seed, context.run),
    rng,
    clock: logicalClock(context.startMs),
    privateKey: context.privateKey,
    telnyxBaseUrl: worldUrls.telnyx,
    symblBaseUrl: worldUrls.symbl,
    symblNumber: worldNumbers.symbl,
    conferenceNumber: worldNumbers.conference,
    faults:
      params.failRate > 0
        ? { failRate: params.failRate, lostResponseShare: 0.5, failuresInARow: (r) => [1, 1, 2, 2, 3, 4][Math.floor(r() * 6)]!, errors: faultErrors }
        : undefined,
    operators: (dial) => roundOf(dial.round)[dial.attempt] ?? 'no-answer',
  });
  if (params.outage) {
    const fromMs = context.startMs + params.outage.fromMs;
    world.outage({ kinds: [...params.outage.kinds], fromMs, untilMs: fromMs + params.outage.forMs });
  }
  if (params.lostDialResponses) world.failNext('dial', params.lostDialResponses, { apply: true });

  // Session writes: faults decided per write from the schedule's seed; a crash only where a redelivery follows.
  const writeFaults = params.writeFaults;
  const firedWriteFaults: WriteFault[] = [];
  const decision = (): WriteFault | undefined => {
    if (!writeFaults) return undefined;
    const roll = writeRng();
    const fault =
      roll < writeFaults.conflictRate
        ? 'conflict'
        : roll < writeFaults.conflictRate + writeFaults.lostResponseRate
          ? 'lost-response'
          : roll < writeFaults.conflictRate + writeFaults.lostResponseRate + writeFaults.crashRate && mayCrash.getStore() !== false
            ? 'crash'
            : undefined;
    if (fault) firedWriteFaults.push(fault);
    return fault;
  };
  const faulted = <T>(run: () => Promise<T>): Promise<T> => (context.writeFaults && writeFaults ? context.writeFaults.within(decision, run) : run());

  const runtime = await createWorldRuntime({ world, publicKeyBase64: context.publicKeyBase64, tableName: context.tableName, dynamo: context.dynamo, env: { OPERATOR_SCREENING: screening } });
  const trace: string[] = [];
  const violations: string[] = [];
  const acked = new Set<string>();
  const givenUp = new Set<string>();
  const attempts = new Map<string, number>();
  /** 'telnyx' mode: the next attempt of a failed delivery, not before (the policy's delay). */
  const notBefore = new Map<string, number>();
  /** Poll messages that moved the chain on, by the position they moved it from. */
  const chainAdvances = new Map<number, Set<string>>();
  /** When each event was first delivered: Telnyx redelivers within its horizon of that. */
  const firstDelivered = new Map<string, number>();
  /** Commands whose retry was dropped because they had stopped mattering (checked when it happened). */
  const stopped = new Set<string>();
  const messageKinds: Record<string, number> = {};
  const deliveryLog: ScheduleReport['deliveryLog'][number][] = [];
  let deliveries = 0;
  let duplicates = 0;
  let failedDeliveries = 0;
  let failovers = 0;
  let retries = 0;
  let queueDuplicates = 0;
  /** When each queue message was first handled: SQS may deliver it again for a while after. */
  const handledAt = new Map<string, number>();
  let steps = 0;

  const customer = world.customerCalls(`+1555${String(Math.floor(rng() * 1e7)).padStart(7, '0')}`);
  let triggered = false;
  let retried = false;
  let hungUpEarly = false;
  let menuTimeouts = 0;
  let calmLines = 0;
  /** Poll cycles the schedule still delivers before it may settle (the chain never ends on its own). */
  let pollBudget = 3;
  /** Backstop checks delivered while the call is live (the chain never ends on its own either). */
  let checkBudget = rng() < 0.3 ? 1 : 0;

  const legName = (id: unknown) => {
    const leg = typeof id === 'string' ? world.legs.get(id) : undefined;
    return leg ? `${leg.role}${leg.dial ? `(${leg.dial.round}.${leg.dial.attempt} ${leg.dial.behavior})` : ''}` : String(id).slice(0, 8);
  };
  const describe = (event: WorldEvent) => {
    const p = event.payload;
    const detail = p.digit ? ` ${String(p.digit)}` : p.status ? ` ${String(p.status)}` : p.result ? ` ${String(p.result)}` : '';
    return `${event.event_type}[${legName(p.call_control_id)}${detail}] ${short(event.id)}`;
  };

  /** Delivers once; returns the trace line. */
  async function deliver(event: WorldEvent, duplicate: boolean): Promise<string> {
    const attempt = (attempts.get(event.id) ?? 0) + 1;
    attempts.set(event.id, attempt);
    const plan = telnyxDelivery ? world.deliveryPlan(event) : undefined;
    const target = plan?.[attempt - 1]?.target ?? 'primary';
    if (target === 'failover') failovers++;
    const lastAttempt = plan !== undefined && attempt >= plan.length;
    const atMs = world.nowMs();
    if (!firstDelivered.has(event.id)) firstDelivered.set(event.id, atMs);
    const rawBody = JSON.stringify({ data: event, meta: { attempt, delivered_to: `https://example.test/${target === 'failover' ? 'failover' : 'webhook'}` } });
    const base64 = rng() < params.base64Rate;
    const response = await mayCrash.run(!lastAttempt, () =>
      runtime.webhook({ body: base64 ? Buffer.from(rawBody).toString('base64') : rawBody, isBase64Encoded: base64, headers: world.sign(rawBody) }),
    );
    deliveries++;
    deliveryLog.push({ eventId: event.id, attempt, atMs, target, status: response.status });
    if (duplicate) duplicates++;
    const ok = response.status >= 200 && response.status < 300;
    // 'telnyx' mode: an answer Telnyx did not see in time fails the attempt though the product handled it.
    const unseen = ok && plan !== undefined && rng() < params.duplicateRate / 2;
    if (ok && !unseen) acked.add(event.id);
    else if (!ok && response.status < 500) violations.push(`a genuine ${event.event_type} was refused with ${response.status}: ${response.body}`);
    else {
      if (!ok) failedDeliveries++;
      if (plan !== undefined) {
        if (lastAttempt) givenUp.add(event.id);
        else notBefore.set(event.id, world.nowMs() + plan[attempt]!.delayMs);
      }
    }
    if (!ok && attempt > maxAttemptsPerEvent) violations.push(`${event.event_type} ${event.id} still failing after ${attempt} deliveries`);
    const to = target === 'failover' ? ' to the failover' : '';
    return `deliver ${describe(event)} #${attempt}${duplicate ? ' dup' : ''}${to} → ${response.status} ${response.body}${unseen ? ' (answer not seen)' : ''}${givenUp.has(event.id) ? ' (given up)' : ''}`;
  }

  /**
   * A retry the product dropped as stale: it must have stopped mattering (the call ended, the
   * attempt moved on), or the command already got through (another retry of it, or this message
   * delivered again after it ran).
   */
  async function checkDroppedRetry(retry: Extract<Wakeup, { kind: 'retry' }>): Promise<void> {
    const session = retry.sessionId === undefined ? undefined : (await runtime.store.get(retry.sessionId))?.session;
    const command = retry.command;
    if (gotThrough(world, command)) stopped.add(command.commandId);
    else if (session !== undefined && (session.status === 'ended' || stoppedMattering(command, session))) stopped.add(command.commandId);
    else violations.push(`the retry of ${command.kind} ${command.commandId} was dropped while it still mattered (session ${session?.status ?? 'missing'})`);
  }

  /** Handles one queue message (again, when `duplicate`: SQS delivers at least once); returns the trace line. */
  async function handleMessage(index: number, duplicate: boolean): Promise<string> {
    const message = world.queue[index]!;
    const parsed = parseQueueMessage(message.body);
    message.deliveries++;
    if (duplicate) queueDuplicates++;
    handledAt.set(message.messageId, handledAt.get(message.messageId) ?? world.nowMs());
    if (!parsed) {
      violations.push(`the product queued a message it cannot read: ${message.body}`);
      message.done = true;
      return `queue unreadable ${short(message.messageId)}`;
    }
    const what = parsed.kind === 'poll' ? `poll seq ${parsed.seq}` : parsed.kind === 'retry' ? `retry ${parsed.command.kind} #${parsed.attempt}` : parsed.kind;
    try {
      const outcome = await mayCrash.run(true, () => runtime.poller(parsed, message.messageId));
      if (!message.done) messageKinds[parsed.kind] = (messageKinds[parsed.kind] ?? 0) + 1;
      message.done = true;
      if (parsed.kind === 'poll' && outcome !== 'stale' && outcome !== 'no-session') {
        // The message at the chain's position (or the one that moved it, come back): one per position, or the chain forked.
        const movers = chainAdvances.get(parsed.seq) ?? new Set<string>();
        if (!movers.has(message.messageId)) pollBudget--;
        chainAdvances.set(parsed.seq, movers.add(message.messageId));
      }
      if (parsed.kind === 'check') checkBudget--;
      if (parsed.kind === 'retry') {
        if (!duplicate) retries++;
        if (outcome === 'stale') await checkDroppedRetry(parsed);
      }
      return `queue ${what} ${short(message.messageId)}${duplicate ? ' dup' : ''} → ${outcome}`;
    } catch (error) {
      return `queue ${what} ${short(message.messageId)} threw ${String(error)}`;
    }
  }

  const analyzerInConference = () =>
    [...world.conferences.values()].some((c) => c.status === 'in_progress' && [...c.participants.keys()].some((id) => world.legs.get(id)?.role === 'analyzer'));
  /** The customer has heard a round end (every operator failed, or the connected one left). */
  const roundEnded = () => customer.heard.includes(prompts.noOperator) || customer.heard.includes(prompts.operatorLeft);

  /** What an operator's far end can do next, from the model's pending timers on its leg. */
  function operatorActions(leg: WorldLeg, list: Action[]): void {
    const dial = leg.dial;
    if (!dial) return;
    const who = `operator ${dial.round}.${dial.attempt} (${dial.behavior})`;
    let gatherOffered = false;
    for (const timer of world.timers(leg)) {
      switch (timer.kind) {
        case 'ring': {
          const does = timer.farEnd === 'answer' ? 'answers' : timer.farEnd === 'busy' ? 'is busy' : 'rings out';
          list.push({ name: `${who} ${does}`, required: true, weight: 1, run: () => world.fire(timer) });
          break;
        }
        case 'machine-detection':
          list.push({ name: `machine detection on ${who} ends`, required: true, weight: 1, run: () => world.fire(timer) });
          break;
        case 'machine-greeting':
          list.push({ name: `the greeting on ${who} ends`, required: false, weight: 0.2, run: () => world.fire(timer) });
          break;
        case 'far-end-press':
          list.push({ name: `${who} presses a key`, required: true, weight: 1, run: () => world.fire(timer) });
          break;
        case 'far-end-hangup':
          // An operator who leaves does so once connected.
          if (leg.conferenceId !== undefined) list.push({ name: `${who} leaves`, required: true, weight: 0.5, run: () => world.fire(timer) });
          break;
        case 'gather-prompt':
        case 'gather-timeout':
        case 'gather-initial-timeout':
        case 'gather-inter-digit': {
          if (gatherOffered) break;
          gatherOffered = true;
          // A person who presses does so while the briefing plays; one who only listens lets it run out.
          const presses = dial.behavior === 'takes-call' || dial.behavior === 'declines' || dial.behavior === 'leaves';
          if (presses) break;
          const required = dial.behavior === 'listens';
          // A silent one mostly waits for the accept timer.
          const weight = dial.behavior === 'silent' ? 0.05 : required ? 1 : 0.3;
          list.push({ name: `the briefing runs out on ${who}`, required, weight, run: () => world.gatherTimesOut(leg) });
          break;
        }
        default:
          break;
      }
    }
  }

  function actions(phase: 'live' | 'ending'): Action[] {
    const list: Action[] = [];
    for (const connection of world.connections.values()) {
      if (connection.status === 'dialing' && !connection.leg) {
        list.push({ name: 'analyzer dials in', required: true, weight: 1, run: () => void world.analyzerDialsIn(connection) });
      }
    }
    const legs = world.legs;
    for (const leg of legs.values()) {
      if (leg.role === 'analyzer' && leg.state === 'answered' && !leg.farEndDone) {
        list.push({ name: 'analyzer keys its code', required: true, weight: 1, run: () => world.analyzerKeysCode(leg) });
      }
      if (leg.role === 'operator' && leg.state !== 'hangup') operatorActions(leg, list);
    }
    for (const timer of world.timers()) {
      if (timer.kind !== 'speak' && timer.kind !== 'conference-speak') continue;
      const on = timer.callControlId ? legName(timer.callControlId) : 'the conference';
      list.push({ name: `the prompt to ${on} ends`, required: false, weight: 0.2, run: () => world.fire(timer) });
    }
    if (phase === 'ending' || customer.state !== 'answered') return list;
    if (!triggered) {
      if (params.trigger === 'dtmf') {
        list.push({ name: 'customer presses 1', required: true, weight: 0.5, run: () => void ((triggered = true), world.press(customer, '1')) });
      } else if (params.trigger !== 'none' && analyzerInConference()) {
        const [text, score] = params.trigger === 'request' ? ['can I talk to a real person please', -0.1] : ['this is absolutely unacceptable, I am furious', -0.92];
        list.push({
          name: `customer says "${text}"`,
          required: true,
          weight: 0.5,
          run: () => {
            triggered = true;
            pollBudget = Math.max(pollBudget, 3);
            world.say(text, score);
          },
        });
      }
    }
    if (params.secondRound && triggered && !retried && roundEnded()) {
      list.push({ name: 'customer presses 1 again', required: true, weight: 0.5, run: () => void ((retried = true), world.press(customer, '1')) });
    }
    if (calmLines < 2 && analyzerInConference()) {
      list.push({ name: 'customer says something calm', required: false, weight: 0.2, run: () => void ((calmLines += 1), world.say('I am calling about my bill', 0.1)) });
    }
    if (customer.gather?.purpose === 'menu' && menuTimeouts < 4) {
      list.push({ name: 'menu times out', required: false, weight: params.menuTimeoutRate, run: () => void ((menuTimeouts += 1), world.gatherTimesOut(customer)) });
    }
    if (params.hangup === 'early') {
      list.push({ name: 'customer hangs up (early)', required: false, weight: 0.08, run: () => void ((hungUpEarly = true), world.hangup(customer)) });
    }
    return list;
  }

  const waitingEvents = () => world.events.filter((e) => !acked.has(e.id) && !givenUp.has(e.id));
  const pendingEvents = () => waitingEvents().filter((e) => (notBefore.get(e.id) ?? 0) <= world.nowMs());
  /** Whether a message must be handled before the phase may settle (the poll and check chains only within their budgets while live). */
  const counts = (message: (typeof world.queue)[number], phase: 'live' | 'ending') => {
    if (phase === 'ending') return true;
    const kind = parseQueueMessage(message.body)?.kind;
    return kind === 'poll' ? pollBudget > 0 : kind === 'check' ? checkBudget > 0 : true;
  };
  const waitingMessages = (phase: 'live' | 'ending') => world.queue.map((m, index) => ({ m, index })).filter(({ m }) => !m.done && counts(m, phase));
  const pendingMessages = (phase: 'live' | 'ending') => waitingMessages(phase).filter(({ m }) => m.dueAtMs <= world.nowMs());

  function pick<T>(items: readonly T[]): T {
    return items[Math.floor(rng() * items.length)]!;
  }

  /** When nothing can happen now: the clock moves to the next message or redelivery that is due; false when there is none. */
  function jump(phase: 'live' | 'ending'): boolean {
    const due = [...waitingMessages(phase).map(({ m }) => m.dueAtMs), ...waitingEvents().map((e) => notBefore.get(e.id) ?? 0)];
    if (due.length === 0) return false;
    const next = Math.min(...due);
    trace.push(`… ${((next - world.nowMs()) / 1000).toFixed(3)} s later`);
    world.advance(next - world.nowMs());
    return true;
  }

  /** Runs steps until nothing is pending and no one has anything left to do. */
  async function settle(phase: 'live' | 'ending'): Promise<void> {
    for (; steps < maxSteps; steps++) {
      world.advance(stepMs);
      const available = actions(phase);
      if (pendingEvents().length === 0 && pendingMessages(phase).length === 0 && !available.some((a) => a.required)) {
        const optional = available.reduce((sum, a) => sum + a.weight, 0);
        if (optional > 0 && rng() < 0.5) {
          let r = rng() * optional;
          const action = available.find((a) => (r -= a.weight) < 0) ?? available[available.length - 1]!;
          trace.push(`act ${action.name}`);
          action.run();
          continue;
        }
        if (jump(phase)) continue;
        return;
      }
      const slots: Slot[] = [];
      const size = 1 + Math.floor(rng() * params.maxBatch);
      for (let i = 0; i < size; i++) {
        const now = actions(phase);
        // Telnyx sends one attempt at a time: in its mode an event is not taken twice in a step.
        const events = pendingEvents().filter((e) => !telnyxDelivery || !slots.some((slot) => slot.kind === 'event' && slot.event.id === e.id));
        const ready = pendingMessages(phase);
        const ackedEvents = telnyxDelivery ? [] : world.events.filter((e) => acked.has(e.id) && world.nowMs() - (firstDelivered.get(e.id) ?? 0) < redeliveryHorizonMs);
        const handled = world.queue.map((m, index) => ({ m, index })).filter(({ m }) => m.done && world.nowMs() - (handledAt.get(m.messageId) ?? 0) < redeliveryHorizonMs);
        const weights = {
          event: events.length > 0 ? 3 : 0,
          duplicate: ackedEvents.length > 0 ? params.duplicateRate * 2 : 0,
          action: now.reduce((sum, a) => sum + a.weight, 0),
          message: ready.length > 0 ? 0.7 : 0,
          messageAgain: handled.length > 0 ? params.duplicateRate / 4 : 0,
        };
        const choice = weighted(rng, weights);
        if (choice === undefined) break;
        if (choice === 'event') {
          // Mostly the oldest pending first (Telnyx's usual order), otherwise any of them.
          const event = rng() < 0.5 ? events[0]! : pick(events);
          slots.push({ kind: 'event', event, duplicate: false });
          if (!telnyxDelivery && rng() < params.duplicateRate / 2) slots.push({ kind: 'event', event, duplicate: true });
        } else if (choice === 'duplicate') {
          slots.push({ kind: 'event', event: pick(ackedEvents), duplicate: true });
        } else if (choice === 'action') {
          let r = rng() * weights.action;
          const action = now.find((a) => (r -= a.weight) < 0) ?? now[now.length - 1]!;
          trace.push(`act ${action.name}`);
          action.run();
        } else if (choice === 'message') {
          slots.push({ kind: 'message', index: pick(ready).index, duplicate: false });
        } else {
          slots.push({ kind: 'message', index: pick(handled).index, duplicate: true });
        }
      }
      const run = (slot: Slot) => (slot.kind === 'event' ? deliver(slot.event, slot.duplicate) : handleMessage(slot.index, slot.duplicate));
      if (params.sequential) for (const slot of slots) trace.push(await run(slot));
      // Lines go in slot order, whichever finished first.
      else trace.push(...(await Promise.all(slots.map(run))));
    }
    violations.push(`the ${phase} phase did not settle within ${maxSteps} steps`);
  }

  const session = async () => {
    const link = await runtime.store.findByLeg(customer.id);
    return link?.sessionId ? runtime.store.get(link.sessionId) : undefined;
  };

  const rounds = () => (!triggered || params.trigger === 'none' ? [] : retried ? [roundOf(0), roundOf(1)] : [roundOf(0)]);
  try {
    await faulted(() => settle('live'));
    if (!hungUpEarly && violations.length === 0) {
      checkLive(world, params, screening, customer, rounds(), (await session())?.session, stopped, violations);
    }
    if (!hungUpEarly) {
      trace.push('act customer hangs up');
      world.hangup(customer);
    }
    await faulted(() => settle('ending'));
    const record = await session();
    checkEnded(world, params, screening, customer, record?.session, chainAdvances, stopped, hungUpEarly, violations);
    await checkItems(context, world, record?.session.id, violations);
  } catch (error) {
    violations.push(`the schedule threw: ${error instanceof Error ? error.stack : String(error)}`);
  }
  const faults: Record<string, number> = {};
  const count = (kind: string) => void (faults[kind] = (faults[kind] ?? 0) + 1);
  for (const r of world.requests) {
    if (!r.faulted) continue;
    count(r.fault === 'outage' ? 'telnyx-503-window' : `telnyx-${r.fault as FaultError}`);
    // It took effect, and only its answer was lost.
    if (r.outcome === 'executed') count(r.kind === 'dial' ? 'dial-lost-response' : 'telnyx-lost-response');
  }
  for (const r of world.dialRequests()) if (r.status === 403 || r.status === 422) count(`dial-refused-${r.status}`);
  for (const fault of firedWriteFaults) count(`write-${fault}`);
  for (const leg of world.legs.values()) if (leg.dial && leg.dial.behavior !== 'takes-call' && leg.dial.behavior !== 'no-answer') count(`operator-${leg.dial.behavior}`);
  for (const [kind, n] of Object.entries(messageKinds)) faults[`queue-${kind}`] = n;
  if (queueDuplicates > 0) faults['queue-duplicate'] = queueDuplicates;
  // Lost responses are counted among their requests' faults already; far ends and queue kinds are not faults.
  const faultsInjected = Object.entries(faults)
    .filter(([kind]) => !kind.startsWith('queue-') && !kind.startsWith('operator-') && kind !== 'dial-lost-response' && kind !== 'telnyx-lost-response')
    .reduce((sum, [, n]) => sum + n, 0);
  return { world, violations, trace, deliveries, deliveryLog, duplicates, failedDeliveries, failovers, givenUp: givenUp.size, retries, faults, faultsInjected, steps };
}

/** Whether a command's retry no longer matters for a reason other than the call's end: its attempt moved on, or its answer came. */
/** Whether the world answered a request of this command other than "failed for now": Telnyx's by its command_id, Symbl's stop by its connection. */
function gotThrough(world: World, command: StampedCommand): boolean {
  const answered = (r: WorldRequest) => !r.faulted && r.status !== 0 && r.status < 500 && r.status !== 429;
  if (command.kind === 'stopAnalyzer') {
    return world.requests.some((r) => r.service === 'symbl' && r.kind === 'stop' && r.body.connectionId === command.connectionId && answered(r));
  }
  return world.requests.some((r) => r.service === 'telnyx' && r.commandId === command.commandId && answered(r));
}

function stoppedMattering(command: StampedCommand, session: Session): boolean {
  const escalation = session.escalation;
  switch (command.kind) {
    case 'dialOperator': {
      const attempt = escalation?.round === command.operator.round ? escalation.attempts[command.operator.attempt] : undefined;
      return attempt === undefined || attempt.status !== 'ringing' || attempt.callControlId !== undefined;
    }
    case 'briefOperator':
      return !(escalation?.attempts ?? []).some((a) => a.callControlId === command.callControlId && a.status === 'screening');
    case 'startAnalyzer':
      return session.analyzer.status !== 'requested';
    default:
      return false;
  }
}

/** Telnyx commands that failed for now and never ran afterwards, nor stopped mattering. */
function lostCommands(world: World, stopped: ReadonlySet<string>): string[] {
  const last = new Map<string, WorldRequest>();
  for (const r of world.requests) if (r.service === 'telnyx' && r.commandId !== undefined) last.set(r.commandId, r);
  const lost: string[] = [];
  for (const [commandId, request] of last) {
    if (request.faulted && !stopped.has(commandId)) lost.push(`${request.kind} ${commandId} failed for now (${String(request.fault)}) and never ran again`);
  }
  return lost;
}

/** Telnyx prompts to the customer that went through (call-level, or spoken into the conference to them), with when. */
function promptsTo(world: World, customer: WorldLeg, text: string): WorldRequest[] {
  return world.requests.filter((r) => {
    if (r.service !== 'telnyx' || r.body.payload !== text || r.faulted) return false;
    if (r.kind === 'conference_speak') return Array.isArray(r.body.call_control_ids) && r.body.call_control_ids.includes(customer.id);
    return (r.kind === 'speak' || r.kind === 'gather_using_speak') && decodeURIComponent(r.path).includes(customer.id);
  });
}

/**
 * The customer was told `text` after `fromMs`, and offered the menu with it: by the requests that
 * went through, on the world's clock (a prompt retried through the queue may be heard after the
 * one asked for next).
 */
function toldThenMenu(world: World, customer: WorldLeg, text: string, fromMs: number): boolean {
  const told = promptsTo(world, customer, text).filter((r) => r.atMs >= fromMs);
  const asked = world.requests.find((r) => r.service === 'telnyx' && r.body.payload === text && r.atMs >= fromMs)?.atMs;
  const heard = customer.heard.includes(text) && customer.heard.includes(prompts.menu);
  return heard && told.length > 0 && asked !== undefined && promptsTo(world, customer, prompts.menu).some((r) => r.atMs >= asked);
}

/** Operator legs that were ever in a conference, by round. */
function joinedByRound(world: World): Map<number, WorldLeg[]> {
  const joined = new Map<number, WorldLeg[]>();
  const ever = new Set([...world.conferences.values()].flatMap((c) => c.everJoined));
  for (const leg of world.legs.values()) {
    if (!leg.dial || !ever.has(leg.id)) continue;
    joined.set(leg.dial.round, [...(joined.get(leg.dial.round) ?? []), leg]);
  }
  return joined;
}

/** Safety that holds at any moment: who may join, and how often. */
function checkJoins(world: World, screening: OperatorScreening, fail: (message: string) => void): void {
  for (const [round, legs] of joinedByRound(world)) {
    if (legs.length > 1) fail(`round ${round}: ${legs.length} operators joined the customer (${legs.map((l) => l.dial?.behavior).join(', ')})`);
    for (const leg of legs) {
      if (!connects(leg.dial!.behavior, screening)) fail(`round ${round}: an operator leg that ${leg.dial!.behavior === 'voicemail' ? 'is a voicemail' : `is ${leg.dial!.behavior}`} joined the customer`);
    }
  }
  for (const conference of world.conferences.values()) {
    const counted = new Map<string, number>();
    for (const id of conference.everJoined) counted.set(id, (counted.get(id) ?? 0) + 1);
    for (const [id, n] of counted) if (n > 1) fail(`${world.legs.get(id)?.role ?? id} joined the conference ${n} times`);
  }
}

/** While the call is live and everything has settled. */
function checkLive(
  world: World,
  params: ScheduleParams,
  screening: OperatorScreening,
  customer: WorldLeg,
  rounds: readonly (readonly OperatorBehavior[])[],
  session: Session | undefined,
  stopped: ReadonlySet<string>,
  violations: string[],
): void {
  const fail = (message: string) => violations.push(`[live] ${message}`);
  const conference = [...world.conferences.values()][0];
  if (world.conferences.size !== 1 || !conference) fail(`${world.conferences.size} conferences, expected 1`);
  else {
    if (!conference.participants.has(customer.id)) fail('the customer is not in the conference');
    const analyzer = [...world.legs.values()].find((l) => l.role === 'analyzer');
    if (!analyzer || conference.participants.get(analyzer.id)?.muted !== true) fail('the analyzer is not in the conference, muted');
  }
  // The operators: each round dials its numbers in order up to the one who takes the call, and no further.
  const dialRequests = world.dialRequests();
  rounds.forEach((round, r) => {
    const dialed = [...new Set(dialRequests.filter((d) => d.ref.round === r).map((d) => d.ref.attempt))].sort();
    const expected = Array.from({ length: attemptsDialed(round, screening) }, (_, i) => i);
    if (JSON.stringify(dialed) !== JSON.stringify(expected)) fail(`round ${r} (${round.join(', ')}) dialed attempts ${JSON.stringify(dialed)}, expected ${JSON.stringify(expected)}`);
    const joined = joinedByRound(world).get(r) ?? [];
    const taker = round.findIndex((b) => connects(b, screening));
    if (taker >= 0 && (joined.length !== 1 || joined[0]!.dial!.attempt !== taker)) fail(`round ${r}: a person took the call at attempt ${taker}, but ${joined.length} operators joined`);
    const roundFrom = Math.min(...dialRequests.filter((d) => d.ref.round === r).map((d) => d.atMs));
    if (taker >= 0 && round[taker] === 'leaves' && !toldThenMenu(world, customer, prompts.operatorLeft, roundFrom)) fail(`round ${r}: the operator left, but the customer was not told and offered the menu`);
    if (taker < 0 && r === rounds.length - 1 && !toldThenMenu(world, customer, prompts.noOperator, roundFrom)) fail(`round ${r}: every operator failed, but the customer was not told and offered the menu`);
    if (expected.length > 1 && !customer.heard.includes(prompts.stillTrying)) fail(`round ${r} moved on to another number, but the customer was not told`);
  });
  if (rounds.length === 0 && dialRequests.length > 0) fail(`${dialRequests.length} dials, but the call never escalated`);
  for (const leg of world.legs.values()) {
    if (!leg.dial) continue;
    const briefings = leg.heard.filter((t) => t.startsWith('Escalated call.')).length;
    if (leg.state === 'answered' && leg.conferenceId !== undefined && briefings !== 1) fail(`operator ${leg.dial.round}.${leg.dial.attempt} joined having heard the briefing ${briefings} times`);
  }
  // The session's own account of the last round: every attempt ended, with the outcome its far end means.
  const lastRound = rounds.at(-1);
  if (lastRound && session) {
    const escalation = session.escalation;
    if (escalation?.round !== rounds.length - 1) fail(`the session is at round ${String(escalation?.round)}, expected ${rounds.length - 1}`);
    else {
      const dialed = attemptsDialed(lastRound, screening);
      if (escalation.attempts.length !== dialed) fail(`the session has ${escalation.attempts.length} attempts in its last round, expected ${dialed}`);
      escalation.attempts.forEach((attempt, i) => {
        const allowed = expectedOutcomes(lastRound[i]!, screening);
        const ended = attempt.status === 'failed' || attempt.status === 'connected';
        if (!ended || attempt.outcome === undefined || !allowed.includes(attempt.outcome)) {
          fail(`attempt ${i} (${lastRound[i]}) is ${attempt.status} with outcome ${String(attempt.outcome)}, expected ${allowed.join(' or ')}`);
        }
      });
      const status = roundHolds(lastRound, screening) ? 'connected' : lastRound.some((b) => connects(b, screening)) ? 'left' : 'failed';
      if (escalation.status !== status) fail(`the escalation is ${escalation.status}, expected ${status}`);
    }
  }
  if (rounds.length > 0 && !customer.heard.includes(prompts.connecting)) fail('the customer was not told they are being connected');
  const triggeredByKey = params.trigger === 'dtmf' && rounds.length > 0;
  if (!customer.heard.includes(prompts.menu) && !triggeredByKey) fail('the menu never played');
  checkJoins(world, screening, fail);
  for (const lost of lostCommands(world, stopped)) fail(`no command lost: ${lost}`);
}

/** After the customer hung up and everything settled again. */
function checkEnded(
  world: World,
  params: ScheduleParams,
  screening: OperatorScreening,
  customer: WorldLeg,
  session: Session | undefined,
  chainAdvances: ReadonlyMap<number, ReadonlySet<string>>,
  stopped: ReadonlySet<string>,
  hungUpEarly: boolean,
  violations: string[],
): void {
  const fail = (message: string) => violations.push(`[ended] ${message}`);
  if (!session) fail('no session for the call');
  else {
    if (session.status !== 'ended' || !session.customer.hungUp) fail(`session is ${session.status} after the customer hung up`);
    if (session.poll.active) fail('polling still active after the customer hung up');
    for (const attempt of session.escalation?.attempts ?? []) {
      // An attempt cut short by the customer's hangup keeps its status; its leg must be gone (below).
      if (attempt.status === 'failed' && attempt.outcome === undefined) fail(`an attempt to ${attempt.to} failed without an outcome`);
    }
  }
  for (const leg of world.legs.values()) {
    if (leg.state !== 'hangup') fail(`${leg.role} leg ${leg.to} still ${leg.state} after the customer left`);
  }
  for (const conference of world.conferences.values()) {
    if (conference.status === 'in_progress' && conference.participants.size > 0) {
      fail(`conference still has ${[...conference.participants.keys()].map((id) => world.legs.get(id)?.role).join(', ')} after the customer left`);
    }
  }
  for (const connection of world.connections.values()) {
    if (connection.status === 'dialing' || connection.status === 'connected') fail(`Symbl connection still ${connection.status} after the customer left`);
  }
  // One analyzer start per call, ever: Symbl has no idempotency key, so not even a failed one is repeated.
  const starts = world.requests.filter((r) => r.service === 'symbl' && r.kind === 'start');
  if (starts.length > 1) fail(`Symbl started ${starts.length} times`);

  // The operators: never two legs for one attempt, never more attempts than the plan allows.
  const dials = world.dials();
  const perAttempt = new Map<string, number>();
  for (const dial of dials) perAttempt.set(String(dial.body.client_state), (perAttempt.get(String(dial.body.client_state)) ?? 0) + 1);
  for (const [state, count] of perAttempt) if (count > 1) fail(`operator attempt ${Buffer.from(state, 'base64').toString()} dialed ${count} times`);
  const attemptsMade = new Set(world.dialRequests().map((d) => `${d.ref.round}.${d.ref.attempt}`));
  const maxRounds = params.trigger === 'none' ? 0 : params.secondRound ? 2 : 1;
  const allowed = Array.from({ length: maxRounds }, (_, r) => attemptsDialed(params.operators[Math.min(r, params.operators.length - 1)] ?? [], screening)).reduce((a, b) => a + b, 0);
  if (attemptsMade.size > allowed) fail(`${attemptsMade.size} operator attempts dialed, at most ${allowed} allowed`);
  for (const key of attemptsMade) if (Number(key.split('.')[0]) >= maxRounds) fail(`attempt ${key} dialed, beyond the rounds the customer asked for`);
  if (!hungUpEarly && params.trigger !== 'none' && attemptsMade.size === 0) fail('the call escalated, but no operator was dialed');
  checkJoins(world, screening, fail);
  for (const leg of world.legs.values()) {
    const briefings = leg.heard.filter((t) => t.startsWith('Escalated call.')).length;
    if (briefings > 1) fail(`${leg.role} ${leg.to} heard the briefing ${briefings} times`);
  }

  // Command ids: on every Telnyx command, a redelivery or retry repeats them exactly.
  const telnyx = world.requests.filter((r) => r.service === 'telnyx' && r.method !== 'GET');
  const byId = new Map<string, string>();
  for (const request of telnyx) {
    if (!request.commandId || !uuidPattern.test(request.commandId)) {
      fail(`${request.kind} without a UUID command_id: ${JSON.stringify(request.body)}`);
      continue;
    }
    const shape = `${request.method} ${request.path} ${JSON.stringify(request.body)}`;
    const earlier = byId.get(request.commandId);
    if (earlier === undefined) byId.set(request.commandId, shape);
    else if (earlier !== shape) fail(`command_id ${request.commandId} reused for a different command:\n  ${earlier}\n  ${shape}`);
  }
  // Nothing done twice: a command_id takes effect once, and one-shot commands have one id each.
  const executed = new Map<string, number>();
  for (const request of telnyx) if (request.outcome === 'executed' && request.commandId) executed.set(request.commandId, (executed.get(request.commandId) ?? 0) + 1);
  for (const [commandId, n] of executed) if (n > 1) fail(`command ${commandId} (${telnyx.find((r) => r.commandId === commandId)?.kind}) took effect ${n} times`);
  const once = new Map<string, Set<string>>();
  for (const request of telnyx) {
    const target =
      request.kind === 'answer' || request.kind === 'conference_create'
        ? `${request.kind} ${request.path} ${String(request.body.call_control_id ?? '')}`
        : request.kind === 'conference_end'
          ? `${request.kind} ${request.path}`
          : request.kind === 'dial'
            ? `dial ${String(request.body.client_state)}`
            : undefined;
    if (target === undefined || !request.commandId) continue;
    once.set(target, (once.get(target) ?? new Set()).add(request.commandId));
  }
  for (const [target, ids] of once) if (ids.size > 1) fail(`${target} sent with ${ids.size} different command_ids`);
  const customerAnswers = telnyx.filter((r) => r.kind === 'answer' && decodeURIComponent(r.path).includes(customer.id) && r.outcome === 'executed');
  if (customerAnswers.length !== 1) fail(`the customer's call was answered ${customerAnswers.length} times`);
  for (const lost of lostCommands(world, stopped)) fail(`no command lost: ${lost}`);

  // The chains end with the call: no poll cycle or backstop check is queued once the session ended.
  const endedAtMs = session?.endedAtMs;
  for (const message of world.queue) {
    const kind = parseQueueMessage(message.body)?.kind;
    if (endedAtMs !== undefined && (kind === 'poll' || kind === 'check') && message.sentAtMs > endedAtMs) fail(`a ${kind} message was queued ${message.sentAtMs - endedAtMs} ms after the session ended`);
  }
  for (const [seq, movers] of chainAdvances) if (movers.size > 1) fail(`${movers.size} poll messages moved the chain on from seq ${seq} (a forked chain)`);
}

/**
 * Every item the product wrote for the call expires: the session, its cursor, its analyzer
 * claim, and the look-ups of its legs and conference (what it may have written, read by key;
 * `tableItemsWithoutTtl` sweeps a whole table).
 */
async function checkItems(context: ScheduleContext, world: World, sessionId: string | undefined, violations: string[]): Promise<void> {
  const keys = [
    ...(sessionId !== undefined ? [`S#${sessionId}`, `P#${sessionId}`] : []),
    ...[...world.legs.keys()].map((id) => `L#${id}`),
    ...[...world.conferences.keys()].map((id) => `C#${id}`),
  ];
  const documents = DynamoDBDocumentClient.from(context.dynamo);
  const now = Math.floor(context.startMs / 1000);
  for (let i = 0; i < keys.length; i += 100) {
    const out = await documents.send(new BatchGetCommand({ RequestItems: { [context.tableName]: { Keys: keys.slice(i, i + 100).map((pk) => ({ pk })), ConsistentRead: true } } }));
    for (const item of out.Responses?.[context.tableName] ?? []) {
      if (typeof item.ttl !== 'number' || item.ttl <= now) violations.push(`[items] ${String(item.pk)} has no TTL in the future (${JSON.stringify(item.ttl)})`);
    }
  }
}

/** Items of a table that never expire (the sweep after many schedules: claims and anything else included). */
export async function tableItemsWithoutTtl(dynamo: DynamoDBClient, tableName: string): Promise<string[]> {
  const documents = DynamoDBDocumentClient.from(dynamo);
  const found: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: tableName, FilterExpression: 'attribute_not_exists(#ttl) OR NOT attribute_type(#ttl, :n)', ExpressionAttributeNames: { '#ttl': 'ttl' }, ExpressionAttributeValues: { ':n': 'N' }, ExclusiveStartKey: start }),
    );
    found.push(...(page.Items ?? []).map((item) => String(item.pk)));
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}
