/**
 * One delivery schedule of one call: the world model generates events as the product's commands
 * and the far ends cause them; the schedule decides which generated event is delivered when,
 * how often, and alongside what, and when what the model waits for happens (an operator's phone
 * rings out, a prompt ends, the menu times out); then the invariants are checked.
 *
 * A schedule replays exactly from its params and its run number: the world's ids are seeded
 * from both, its clock is logical (a step is 25 ms), and the product runs on that clock.
 *
 * The delivery model (what Telnyx can actually produce):
 * - an event exists only once its cause happened: `call.answered` after our `answer`, a
 *   conference's events after our `conferences.create`, an operator's after our `dial`, the
 *   analyzer's leg after our Symbl start, a customer's keypress after the call was answered;
 * - once generated, an event may be delivered at any later step, in any order relative to the
 *   others (per-leg order included), any number of times, and several deliveries (the same
 *   event too) may run concurrently;
 * - a delivery answered with a non-2xx status stays pending and is delivered again later
 *   (Telnyx retries), so a handler failure is always followed by a redelivery; with
 *   `delivery: 'telnyx'`, only as often as Telnyx would (once, plus a leg's retry policy);
 * - people (a customer pressing or hanging up, an operator answering, Symbl keying its code)
 *   act between steps: a human is slower than one handler run;
 * - poll and timer messages behave like SQS: at least once, any order, redelivered when the
 *   handler throws.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash, type KeyObject } from 'node:crypto';
import { prompts } from '../../../lib/core/prompts.js';
import { parseQueueMessage } from '../../../lib/scheduler/poll-queue.js';
import { seededRandom } from '../../../local/sim/runtime.js';
import { createWorld, logicalClock, type World, type WorldEvent, type WorldLeg } from './world.js';
import { createWorldRuntime, worldNumbers, worldUrls } from './world-runtime.js';

export type Trigger = 'none' | 'dtmf' | 'utterance' | 'request';

export interface ScheduleParams {
  readonly seed: number;
  readonly trigger: Trigger;
  /** 'late': the customer hangs up once everything else has settled; 'early': at a random step. */
  readonly hangup: 'late' | 'early';
  readonly operators: 'first-answers' | 'first-no-answer' | 'none-answer';
  /** Deliveries and actions per step, run concurrently. */
  readonly maxBatch: number;
  /** Chance that a slot re-delivers an event already acknowledged, or doubles one in the same step. */
  readonly duplicateRate: number;
  /** Chance that a command's requests fail (503) enough to fail the handler, or once only. */
  readonly failRate: number;
  /** Chance per step that a running menu gather times out. */
  readonly menuTimeoutRate: number;
  /** Chance that a body arrives base64-encoded (API Gateway does this for some content types). */
  readonly base64Rate: number;
  /** After every operator failed and the apology, the customer presses 1 again (a second round). */
  readonly secondRound: boolean;
  /**
   * Runs each step's deliveries and messages one after another, in slot order, instead of
   * concurrently: concurrent ones race in DynamoDB Local, which decides the winner; a sequential
   * schedule replays exactly.
   */
  readonly sequential?: boolean;
  /**
   * 'redeliver' (the default): a failed delivery stays pending until it succeeds. 'telnyx': as
   * Telnyx delivers, once plus the leg's `webhook_retries_policies`, then given up.
   */
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
  /** Events the 'telnyx' delivery mode gave up on. */
  readonly givenUp: number;
  readonly faultsInjected: number;
  readonly steps: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const maxSteps = 600;
const maxAttemptsPerEvent = 30;
/** The world's clock moves this much per step. */
const stepMs = 25;

interface Action {
  readonly name: string;
  /** Must happen before the schedule may settle. */
  readonly required: boolean;
  readonly weight: number;
  readonly run: () => void;
}

type Slot = { kind: 'event'; event: WorldEvent; duplicate: boolean } | { kind: 'message'; index: number };

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

export async function runSchedule(context: ScheduleContext, params: ScheduleParams): Promise<ScheduleReport> {
  const rng = seededRandom(params.seed);
  const world = createWorld({
    seed: worldSeed(params.seed, context.run),
    rng,
    clock: logicalClock(context.startMs),
    privateKey: context.privateKey,
    telnyxBaseUrl: worldUrls.telnyx,
    symblBaseUrl: worldUrls.symbl,
    symblNumber: worldNumbers.symbl,
    conferenceNumber: worldNumbers.conference,
    faults: params.failRate > 0 ? { failRate: params.failRate, lostResponseShare: 0.5, failuresInARow: (r) => (r() < 0.6 ? 3 : 1) } : undefined,
  });
  const runtime = await createWorldRuntime({ world, publicKeyBase64: context.publicKeyBase64, tableName: context.tableName, dynamo: context.dynamo });
  // The operators' phones: answered, or ringing out, when the schedule fires their ring timers.
  const [firstOperator, secondOperator] = worldNumbers.operators;
  if (params.operators !== 'first-answers') world.model.setDialBehavior(firstOperator, { noAnswer: true });
  if (params.operators === 'none-answer') world.model.setDialBehavior(secondOperator, { noAnswer: true });
  const trace: string[] = [];
  const violations: string[] = [];
  const acked = new Set<string>();
  const givenUp = new Set<string>();
  const attempts = new Map<string, number>();
  const chainAdvances = new Map<number, number>();
  let deliveries = 0;
  let duplicates = 0;
  let failedDeliveries = 0;
  let steps = 0;

  const customer = world.customerCalls(`+1555${String(Math.floor(rng() * 1e7)).padStart(7, '0')}`);
  let triggered = false;
  let retried = false;
  let hungUpEarly = false;
  let menuTimeouts = 0;
  let calmLines = 0;
  /** Poll cycles the schedule still delivers before it may settle (the chain never ends on its own). */
  let pollBudget = 3;

  const legName = (id: unknown) => {
    const leg = typeof id === 'string' ? world.legs.get(id) : undefined;
    return leg ? `${leg.role}${leg.role === 'operator' ? `(${leg.to.slice(-1)})` : ''}` : String(id).slice(0, 8);
  };
  const describe = (event: WorldEvent) => {
    const p = event.payload;
    const detail = p.digit ? ` ${String(p.digit)}` : p.status ? ` ${String(p.status)}` : '';
    return `${event.event_type}[${legName(p.call_control_id)}${detail}] ${short(event.id)}`;
  };

  /** Delivers once; returns the trace line. */
  async function deliver(event: WorldEvent, duplicate: boolean): Promise<string> {
    const attempt = (attempts.get(event.id) ?? 0) + 1;
    attempts.set(event.id, attempt);
    const rawBody = JSON.stringify({ data: event, meta: { attempt, delivered_to: 'https://example.test/webhook' } });
    const base64 = rng() < params.base64Rate;
    const response = await runtime.webhook({
      body: base64 ? Buffer.from(rawBody).toString('base64') : rawBody,
      isBase64Encoded: base64,
      headers: world.sign(rawBody),
    });
    deliveries++;
    if (duplicate) duplicates++;
    if (response.status >= 200 && response.status < 300) acked.add(event.id);
    else if (response.status < 500) violations.push(`a genuine ${event.event_type} was refused with ${response.status}: ${response.body}`);
    else {
      failedDeliveries++;
      if (params.delivery === 'telnyx' && !duplicate && attempt >= world.deliveryPlan(event, 'telnyx').length) givenUp.add(event.id);
    }
    if (attempt > maxAttemptsPerEvent) violations.push(`${event.event_type} ${event.id} still failing after ${attempt} deliveries`);
    return `deliver ${describe(event)} #${attempt}${duplicate ? ' dup' : ''} → ${response.status} ${response.body}${givenUp.has(event.id) ? ' (given up)' : ''}`;
  }

  /** Handles one queue message; returns the trace line. */
  async function handleMessage(index: number): Promise<string> {
    const message = world.queue[index]!;
    const parsed = parseQueueMessage(message.body);
    message.deliveries++;
    if (!parsed) {
      violations.push(`the product queued a message it cannot read: ${message.body}`);
      message.done = true;
      return `queue unreadable ${short(message.messageId)}`;
    }
    try {
      const outcome = await runtime.poller(parsed, message.messageId);
      message.done = true;
      if (parsed.kind === 'poll' && outcome === 'applied') {
        chainAdvances.set(parsed.seq, (chainAdvances.get(parsed.seq) ?? 0) + 1);
        pollBudget--;
      }
      return `queue ${parsed.kind}${parsed.kind === 'poll' ? ` seq ${parsed.seq}` : ''} ${short(message.messageId)} → ${outcome}`;
    } catch (error) {
      return `queue ${parsed.kind} ${short(message.messageId)} threw ${String(error)}`;
    }
  }

  const analyzerInConference = () =>
    [...world.conferences.values()].some((c) => c.status === 'in_progress' && [...c.participants.keys()].some((id) => world.legs.get(id)?.role === 'analyzer'));

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
    }
    for (const timer of world.timers()) {
      const leg = timer.callControlId === undefined ? undefined : legs.get(timer.callControlId);
      if (timer.kind === 'ring' && leg?.role === 'operator') {
        const name = `operator ${leg.to.slice(-1)} ${timer.farEnd === 'answer' ? 'answers' : 'does not answer'}`;
        list.push({ name, required: true, weight: 1, run: () => world.fire(timer) });
      } else if (timer.kind === 'speak' || timer.kind === 'conference-speak') {
        const on = leg ? legName(leg.id) : 'the conference';
        list.push({ name: `the prompt to ${on} ends`, required: false, weight: 0.2, run: () => world.fire(timer) });
      }
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
    if (params.secondRound && triggered && !retried && customer.heard.includes(prompts.noOperator)) {
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

  const pendingEvents = () => world.events.filter((e) => !acked.has(e.id) && !givenUp.has(e.id));
  const pendingMessages = (phase: 'live' | 'ending') =>
    world.queue.map((m, index) => ({ m, index })).filter(({ m }) => !m.done && (phase === 'ending' || parseQueueMessage(m.body)?.kind !== 'poll' || pollBudget > 0));

  function pick<T>(items: readonly T[]): T {
    return items[Math.floor(rng() * items.length)]!;
  }

  /** Runs steps until nothing is pending and no one has anything left to do. */
  async function settle(phase: 'live' | 'ending'): Promise<void> {
    for (; steps < maxSteps; steps++) {
      world.advance(stepMs);
      const available = actions(phase);
      const pending = pendingEvents();
      const messages = pendingMessages(phase);
      if (pending.length === 0 && messages.length === 0 && !available.some((a) => a.required)) return;
      const slots: Slot[] = [];
      const size = 1 + Math.floor(rng() * params.maxBatch);
      for (let i = 0; i < size; i++) {
        const now = actions(phase);
        // Telnyx sends one attempt at a time: in its mode an event is not taken twice in a step.
        const events = pendingEvents().filter((e) => params.delivery !== 'telnyx' || !slots.some((slot) => slot.kind === 'event' && slot.event.id === e.id));
        const ready = pendingMessages(phase);
        const ackedEvents = world.events.filter((e) => acked.has(e.id));
        const weights = {
          event: events.length > 0 ? 3 : 0,
          duplicate: ackedEvents.length > 0 ? params.duplicateRate * 2 : 0,
          action: now.reduce((sum, a) => sum + a.weight, 0),
          message: ready.length > 0 ? 0.7 : 0,
        };
        const choice = weighted(rng, weights);
        if (choice === undefined) break;
        if (choice === 'event') {
          // Mostly the oldest pending first (Telnyx's usual order), otherwise any of them.
          const event = rng() < 0.5 ? events[0]! : pick(events);
          slots.push({ kind: 'event', event, duplicate: false });
          if (rng() < params.duplicateRate / 2) slots.push({ kind: 'event', event, duplicate: true });
        } else if (choice === 'duplicate') {
          slots.push({ kind: 'event', event: pick(ackedEvents), duplicate: true });
        } else if (choice === 'action') {
          let r = rng() * weights.action;
          const action = now.find((a) => (r -= a.weight) < 0) ?? now[now.length - 1]!;
          trace.push(`act ${action.name}`);
          action.run();
        } else {
          slots.push({ kind: 'message', index: pick(ready).index });
        }
      }
      const run = (slot: Slot) => (slot.kind === 'event' ? deliver(slot.event, slot.duplicate) : handleMessage(slot.index));
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

  try {
    await settle('live');
    if (!hungUpEarly && violations.length === 0) await checkLive(world, params, customer, triggered, retried, violations);
    if (!hungUpEarly) {
      trace.push('act customer hangs up');
      world.hangup(customer);
    }
    await settle('ending');
    const record = await session();
    checkEnded(world, params, customer, record?.session, chainAdvances, hungUpEarly, violations);
  } catch (error) {
    violations.push(`the schedule threw: ${error instanceof Error ? error.stack : String(error)}`);
  }
  const faultsInjected = world.requests.filter((r) => r.faulted).length;
  return { world, violations, trace, deliveries, duplicates, failedDeliveries, givenUp: givenUp.size, faultsInjected, steps };
}

/** While the call is live and everything has settled. */
async function checkLive(world: World, params: ScheduleParams, customer: WorldLeg, triggered: boolean, retried: boolean, violations: string[]): Promise<void> {
  const dials = world.dials();
  const fail = (message: string) => violations.push(`[live] ${message}`);
  const round: string[] = params.operators === 'first-answers' ? [worldNumbers.operators[0]] : [worldNumbers.operators[0], worldNumbers.operators[1]];
  const expected = !triggered || params.trigger === 'none' ? [] : retried ? [...round, ...round] : round;
  const dialed = dials.map((d) => String(d.body.to));
  if (JSON.stringify(dialed) !== JSON.stringify(expected)) fail(`operators dialed ${JSON.stringify(dialed)}, expected ${JSON.stringify(expected)}`);
  const conference = [...world.conferences.values()][0];
  if (world.conferences.size !== 1 || !conference) fail(`${world.conferences.size} conferences, expected 1`);
  else {
    if (!conference.participants.has(customer.id)) fail('the customer is not in the conference');
    const analyzer = [...world.legs.values()].find((l) => l.role === 'analyzer');
    if (!analyzer || conference.participants.get(analyzer.id)?.muted !== true) fail('the analyzer is not in the conference, muted');
    for (const leg of world.legs.values()) {
      if (leg.role !== 'operator' || leg.state !== 'answered') continue;
      if (!conference.participants.has(leg.id)) fail(`operator ${leg.to} answered but is not in the conference`);
      if (!leg.heard.some((t) => t.startsWith('Escalated call.'))) fail(`operator ${leg.to} joined without the briefing`);
    }
  }
  if (triggered && params.trigger !== 'none' && !customer.heard.includes(prompts.connecting)) fail('the customer was not told they are being connected');
  if (params.operators === 'none-answer' && triggered && !customer.heard.includes(prompts.noOperator)) fail('no apology after every operator failed');
  if (!customer.heard.includes(prompts.menu) && !(triggered && params.trigger === 'dtmf')) fail('the menu never played');
}

/** After the customer hung up and everything settled again. */
function checkEnded(
  world: World,
  params: ScheduleParams,
  customer: WorldLeg,
  session: import('../../../lib/core/model.js').Session | undefined,
  chainAdvances: Map<number, number>,
  hungUpEarly: boolean,
  violations: string[],
): void {
  const fail = (message: string) => violations.push(`[ended] ${message}`);
  if (!session) fail('no session for the call');
  else {
    if (session.status !== 'ended' || !session.customer.hungUp) fail(`session is ${session.status} after the customer hung up`);
    if (session.poll.active) fail('polling still active after the customer hung up');
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
  const starts = world.requests.filter((r) => r.service === 'symbl' && r.kind === 'start' && r.status < 300);
  if (starts.length > 1) fail(`Symbl started ${starts.length} times`);

  // The operator: never two dials for one attempt, never more than the plan allows.
  const dials = world.dials();
  const perAttempt = new Map<string, number>();
  for (const dial of dials) perAttempt.set(String(dial.body.client_state), (perAttempt.get(String(dial.body.client_state)) ?? 0) + 1);
  for (const [state, count] of perAttempt) if (count > 1) fail(`operator attempt ${Buffer.from(state, 'base64').toString()} dialed ${count} times`);
  const perRound = params.operators === 'first-answers' ? 1 : 2;
  const allowed = params.trigger === 'none' ? 0 : params.operators === 'none-answer' && params.secondRound ? 2 * perRound : perRound;
  if (dials.length > allowed) fail(`${dials.length} operator dials, at most ${allowed} allowed`);
  if (!hungUpEarly && params.trigger !== 'none' && dials.length < perRound) fail(`${dials.length} operator dials, expected at least ${perRound}`);

  // Command ids: on every Telnyx command, a redelivery repeats them exactly.
  const telnyx = world.requests.filter((r) => r.service === 'telnyx');
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
  // Commands that must happen once per call: one id each however often they were sent.
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

  for (const [seq, count] of chainAdvances) if (count > 1) fail(`poll chain advanced ${count} times at seq ${seq} (a forked chain)`);
}
