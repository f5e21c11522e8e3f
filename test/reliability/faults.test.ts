/**
 * Fault injection through the simulators and DynamoDB Local: every Telnyx command kind the
 * product uses failing (5xx, 429, timeouts) once or until the executor gives up for now, Telnyx
 * refusing a dial, a window of 503s, operators' far ends that are voicemails, decline, or leave,
 * Symbl failing and slow, a conditional-write conflict, a crash after the write and a lost write
 * response on every session write of a call. Each case names its expected outcome; the check is
 * that the call still ends as it should, with every effect once and no command lost, plus the
 * evidence that the fault was met.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { prompts } from '../../lib/core/prompts.js';
import { createAfinnScorer } from '../../lib/sentiment/afinn-scorer.js';
import type { CommandErrorKind, DialBehavior } from '../../local/sim/index.js';
import { numbers, type Harness, type HarnessOptions } from '../../local/harness.js';
import { operatorWhoTakesTheCall } from '../../local/scenarios.js';
import { localWorld } from '../support/lifecycle.js';
import { atScale, recordFigures, scale } from './support/figures.js';
import { faultyDynamo, writePoints, type WriteFault, type WritePoint } from './support/write-faults.js';
import { commandsNotRetried, telnyxFaults, wholeCall, wholeCallProblems, type OperatorExpectation, type WholeCallOptions } from './support/whole-call.js';

const world = localWorld();
const totals = { cases: 0, faults: 0, violations: 0 };
const byKind: Record<string, number> = {};
const started = Date.now();
afterAll(() => {
  recordFigures({ test: 'faults', faults: totals.faults, violations: totals.violations, durationMs: Date.now() - started, details: { ...totals, byKind } });
});

interface Delivery {
  readonly id: string;
  readonly type: string;
  readonly status: number;
}

/** A harness whose webhook answers are kept, for evidence of failed and redelivered events. */
async function harness(options: Omit<HarnessOptions, 'aws'> = {}): Promise<{ h: Harness; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const h = await world.harness({
    ...options,
    faults: { timeoutHoldMs: 30, ...options.faults },
    aroundDelivery: async (deliver, rawBody) => {
      const response = await deliver();
      const { data } = JSON.parse(rawBody) as { data: { id: string; event_type: string } };
      deliveries.push({ id: data.id, type: data.event_type, status: response.status });
      return response;
    },
  });
  return { h, deliveries };
}

/** Counts the case, then asserts it: a failing case still shows up in the figures. */
function verdict(problems: string[], faults: number, expected: string, kind: string): void {
  totals.cases++;
  totals.faults += faults;
  byKind[kind] = (byKind[kind] ?? 0) + faults;
  if (problems.length > 0) totals.violations++;
  expect(problems, `expected: ${expected}`).toEqual([]);
}

const failedThenDelivered = (deliveries: Delivery[]) =>
  deliveries.some((d) => d.status >= 500 && deliveries.some((later) => later.id === d.id && later.status < 300));
const failedWebhooks = (deliveries: Delivery[]) => deliveries.filter((d) => d.status >= 300);
const logged = (h: Harness, pattern: RegExp) => h.log.lines.some((l) => pattern.test(`${l.message} ${JSON.stringify(l.extra)}`));

/**
 * The evidence of a retry through the queue: a command of the kind that failed for now ran later
 * with the same command_id, at least this long after its first failure (real ms: the queue's delay
 * of a second is not scaled; the executor's own second try follows within a quarter of one). Every
 * command that failed for now ran again (`wholeCallProblems` checks), and took effect once.
 */
function retriedThroughTheQueue(h: Harness, kind: string): string[] {
  const failed = [...new Set(h.telnyx.requests.filter((r) => r.kind === kind && r.outcome === 'fault').map((r) => r.commandId))];
  if (failed.length === 0) return [`${kind}: nothing failed`];
  const queued = failed.filter((commandId) => {
    const sent = h.telnyx.requests.filter((r) => r.commandId === commandId);
    const firstFault = sent.find((r) => r.outcome === 'fault')!;
    return sent.some((r) => r.outcome !== 'fault' && r.at - firstFault.at >= 800);
  });
  const twice = failed.filter((commandId) => h.telnyx.requests.filter((r) => r.commandId === commandId && r.outcome === 'executed').length > 1);
  return [
    ...(queued.length === 0 ? [`${kind}: no command that failed for now was sent again a second later, through the queue`] : []),
    ...twice.map((commandId) => `${kind} ${String(commandId)} took effect more than once`),
  ];
}

/** Retries through the queue the poller dropped as no longer mattering. */
const retriesDropped = (h: Harness) => h.log.lines.filter((l) => l.message === 'poll message handled' && l.extra.some((e) => e.kind === 'retry' && e.outcome === 'stale')).length;

// ---------------------------------------------------------------------------------------------
// Telnyx

/** Every Telnyx command kind a Symbl-source call uses (the simulator's names). */
const commandKinds = ['answer', 'gather', 'conference_create', 'conference_join', 'gather_using_speak', 'gather_stop', 'speak', 'dial', 'conference_end', 'hangup'] as const;
const errorKinds: readonly CommandErrorKind[] = ['500', '503', '429', 'timeout'];
/** Kinds no single webhook runs two of: each group can fail until the executor gives up in one call. */
const disjointGroups = [
  ['answer', 'conference_join', 'gather_stop', 'conference_end'],
  ['conference_create', 'gather', 'speak', 'hangup'],
  ['gather_using_speak', 'dial'],
] as const;

const retried = (error: CommandErrorKind) =>
  error === 'timeout'
    ? 'the command takes effect but its answer is lost; the executor sends it again at once with the same command_id, which Telnyx ignores; no webhook fails'
    : `the executor tries again at once after the ${error} and the command runs once; no webhook fails`;
const queued = (error: CommandErrorKind, kind?: string) =>
  kind === 'dial' && error === 'timeout'
    ? 'the dial takes effect but its answers are lost: the executor gives up for now, the webhook answers 200, the leg is bound from its own webhooks, and the retry through the queue is dropped (or, coming first, finds the leg by its command_id)'
    : `the executor gives up for now after two ${error === 'timeout' ? 'timeouts' : error + 's'}, the webhook answers 200, and the command is retried through the queue a second later and runs once with the same command_id`;

async function telnyxCase(failures: readonly { kind: string; error: CommandErrorKind; count: number }[], expected: string): Promise<void> {
  // The simulator scales Telnyx's 30 s deadline for a first command with its clock (1.5 s), but the
  // executor's backoff (a quarter second) and the retry through the queue (a second) are real
  // time, as is a loaded machine's DynamoDB Local: a failing answer needs a slower clock.
  const answerFails = failures.some((f) => f.kind === 'answer');
  const { h, deliveries } = await harness(answerFails ? { timeScale: 0.25 } : {});
  for (const f of failures) h.telnyx.failNext(f.kind, f.error, f.count);
  const call = await wholeCall(h);
  const problems = wholeCallProblems(h, call);
  if (failures.some((f) => f.kind === 'dial' && f.error === 'timeout' && f.count >= 2)) {
    // The queued retry of a dial whose leg was placed anyway: dropped a second later, or run if it came first.
    await h.telnyx.waitFor(() => retriesDropped(h) > 0 || telnyxFaults(h).filter((r) => r.kind === 'dial').length > 2, 5000).catch(() => undefined);
  }
  const injected = telnyxFaults(h);
  for (const f of failures) {
    const hit = injected.filter((r) => r.kind === f.kind && r.fault === f.error).length;
    // A dial whose answers were lost placed its leg: bound from the leg's own webhooks, its retry is dropped unless it comes first.
    const placedAnyway = f.kind === 'dial' && f.error === 'timeout' && f.count >= 2 && hit === 2 && retriesDropped(h) > 0;
    if (hit !== f.count && !placedAnyway) problems.push(`${f.kind}: ${hit} of ${f.count} injected ${f.error} faults were met`);
    if (f.count >= 2 && !placedAnyway) problems.push(...retriedThroughTheQueue(h, f.kind));
  }
  // Telnyx failing never fails a webhook any more: nothing is left to Telnyx's redelivery.
  if (failedWebhooks(deliveries).length > 0) problems.push(`webhooks failed: ${JSON.stringify(failedWebhooks(deliveries))}`);
  verdict(problems, injected.length, expected, `telnyx ${failures[0]?.error ?? ''}`);
}

describe('Telnyx command faults on every command kind', () => {
  // 503 and 429 fail every kind of their group until the executor gives up below; at CI size, 500 and timeouts fail each kind once.
  for (const error of atScale<readonly CommandErrorKind[]>(['500', 'timeout'], errorKinds)) {
    it(`every kind fails once with ${error}: ${retried(error)}`, async () => {
      await telnyxCase(commandKinds.map((kind) => ({ kind, error, count: 1 })), retried(error));
    }, 120_000);
  }

  disjointGroups.forEach((group, i) => {
    const error = (['503', '500', '429'] as const)[i]!;
    it(`${group.join(', ')} each fail three times with ${error}: ${queued(error)}`, async () => {
      await telnyxCase(group.map((kind) => ({ kind, error, count: 3 })), queued(error));
    }, 60_000);
  });

  if (scale === 'full') {
    for (const kind of commandKinds) {
      for (const error of errorKinds) {
        it(`${kind} fails three times with ${error}: ${queued(error, kind)}`, async () => {
          await telnyxCase([{ kind, error, count: 3 }], queued(error, kind));
        }, 60_000);
      }
    }
  }

  it('with call-level prompts refused in the conference, the prompts go through the conference, and conference_speak failing three times with 503 is retried through the queue', async () => {
    const { h, deliveries } = await harness();
    h.telnyx.model.setCallPromptsInConference('refused');
    h.telnyx.failNext('conference_speak', '503', 3);
    const call = await wholeCall(h);
    const problems = [...wholeCallProblems(h, call), ...retriedThroughTheQueue(h, 'conference_speak')];
    if (call.live?.promptPath !== 'conference') problems.push(`prompts went by ${String(call.live?.promptPath)}`);
    if (failedWebhooks(deliveries).length > 0) problems.push(`webhooks failed: ${JSON.stringify(failedWebhooks(deliveries))}`);
    verdict(problems, telnyxFaults(h).length, queued('503'), 'telnyx 503');
  }, 60_000);

  for (const error of atScale(['503'] as CommandErrorKind[], errorKinds)) {
    it(`transcription_start (Telnyx source) fails three times with ${error}: ${queued(error)}; the customer's words still escalate`, async () => {
      const { h, deliveries } = await harness({ source: 'telnyx', scorer: createAfinnScorer() });
      h.telnyx.failNext('transcription_start', error, 3);
      const customer = h.call();
      await h.telnyx.waitFor(() => customer.heard.includes(prompts.menu), 20_000);
      await h.telnyx.waitFor(() => customer.transcribing, 20_000);
      customer.say('I want to talk to a real person right now');
      await h.telnyx.waitFor(() => h.telnyx.dials()[0], 20_000);
      await h.telnyx.waitFor(() => commandsNotRetried(h).length === 0, 20_000).catch(() => undefined);
      await h.settle();
      const problems: string[] = [...retriedThroughTheQueue(h, 'transcription_start')];
      if (failedWebhooks(deliveries).length > 0) problems.push(`webhooks failed: ${JSON.stringify(failedWebhooks(deliveries))}`);
      // A timed-out request took effect without being recorded as executed; what counts is one command_id.
      const starts = h.telnyx.requests.filter((r) => r.kind === 'transcription_start');
      const ids = new Set(starts.map((r) => r.commandId));
      if (ids.size !== 1) problems.push(`transcription_start sent with ${ids.size} command_ids`);
      if (starts.filter((r) => r.outcome === 'executed').length > 1) problems.push('transcription started twice');
      if (!customer.transcribing) problems.push('transcription is not on');
      if (h.telnyx.dials().length !== 1) problems.push(`${h.telnyx.dials().length} dials`);
      verdict(problems, telnyxFaults(h).length, queued(error), `telnyx ${error}`);
    }, 60_000);
  }
});

// ---------------------------------------------------------------------------------------------
// Operators' far ends, refused dials, and a Telnyx outage

const voicemail: DialBehavior = { answerAfterMs: 200, kind: 'voicemail' };
const decliner: DialBehavior = { answerAfterMs: 200, pressAfterPrompt: { digits: '2', whenPromptIncludes: 'Press 1 to take the call' } };

interface OperatorCase {
  readonly name: string;
  readonly expected: string;
  readonly full?: boolean;
  /** The far end of each operator number (unset: a person who takes the call). */
  readonly first?: DialBehavior;
  readonly second?: DialBehavior;
  readonly before?: (h: Harness, customer: () => string | undefined) => void;
  readonly ends?: WholeCallOptions['ends'];
  readonly operators: OperatorExpectation;
  readonly faults: (h: Harness) => number;
  readonly check?: (h: Harness) => string[];
}

const refusals = (h: Harness, status: number) => h.telnyx.dialOutcomes().filter((d) => d.result === 'refused' && d.status === status).length;

const operatorCases: OperatorCase[] = [
  ...([403, 422] as const).map(
    (status): OperatorCase => ({
      name: `Telnyx refuses the first number's dial with ${status} and its error body (no leg, no webhook)`,
      expected: 'the attempt ends as refused, the customer hears we are still trying, and the second number takes the call',
      full: status === 422,
      first: { refused: status },
      operators: { taker: 1, legs: 1, outcomes: ['refused', 'answered'], ends: 'connected' },
      faults: (h) => refusals(h, status),
      check: (h) => (logged(h, /telnyx command refused/) ? [] : ['no "telnyx command refused" log line']),
    }),
  ),
  {
    name: 'a voicemail answers the first number',
    expected: 'machine detection says machine: the leg is released, never joined, and the second number takes the call',
    first: voicemail,
    operators: { taker: 1, legs: 2, outcomes: ['voicemail', 'answered'], ends: 'connected' },
    faults: (h) => h.telnyx.events.filter((e) => e.event_type === 'call.machine.detection.ended' && e.payload.result === 'machine').length,
  },
  {
    name: 'the first operator presses 2',
    expected: 'the attempt ends as declined, the leg is released, and the second number takes the call',
    full: true,
    first: decliner,
    operators: { taker: 1, legs: 2, outcomes: ['declined', 'answered'], ends: 'connected' },
    faults: (h) => h.telnyx.events.filter((e) => e.event_type === 'call.dtmf.received' && e.payload.digit === '2').length,
  },
  {
    name: 'every number is a voicemail or refused',
    expected: 'the round fails: the customer hears the apology and the menu again',
    first: voicemail,
    second: { refused: 403 },
    ends: 'failed',
    operators: { taker: undefined, legs: 1, outcomes: ['voicemail', 'refused'], ends: 'failed' },
    faults: (h) => refusals(h, 403) + 1,
  },
  {
    name: 'the operator takes the call, then hangs up',
    expected: 'the customer hears the operator has left and gets the menu again',
    // Long enough after answering (a second at the harness's clock) to have joined the customer first.
    first: { ...operatorWhoTakesTheCall, hangupAfterMs: 20_000 },
    ends: 'left',
    operators: { taker: 0, legs: 1, outcomes: ['left'], ends: 'left' },
    faults: (h) => h.telnyx.events.filter((e) => e.event_type === 'call.hangup' && e.payload.to === numbers.operators[0]).length,
  },
  {
    name: "Telnyx answers 503 to this call's dial, speak and gather_stop for three seconds from the moment the customer presses 1",
    expected: 'every command the window refused is retried through the queue and runs once with its command_id: the first number takes the call',
    before: (h, customer) => {
      h.telnyx.onEvent((event) => {
        if (event.event_type !== 'call.dtmf.received' || event.payload.call_control_id !== customer()) return;
        h.telnyx.outage({ kinds: ['dial', 'speak', 'gather_stop'], fromMs: Date.now(), untilMs: Date.now() + 3000 });
      });
    },
    operators: { taker: 0, legs: 1, outcomes: ['answered'], ends: 'connected' },
    faults: (h) => h.telnyx.requests.filter((r) => r.outcome === 'fault' && r.fault === '503').length,
    check: (h) => retriedThroughTheQueue(h, 'dial'),
  },
  {
    name: "the first dial's answer is lost twice (it was placed)",
    expected: 'the leg is bound from its own tagged webhooks, the retry through the queue is dropped as no longer needed, and the operator is dialed, briefed and joined once',
    before: (h) => h.telnyx.failNext('dial', 'timeout', 2),
    operators: { taker: 0, legs: 1, outcomes: ['answered'], ends: 'connected' },
    faults: (h) => h.telnyx.requests.filter((r) => r.kind === 'dial' && r.fault === 'timeout').length,
  },
];

describe("operators' far ends, refused dials and a Telnyx outage", () => {
  for (const c of operatorCases.filter((c) => scale === 'full' || !c.full)) {
    it(`${c.name}: ${c.expected}`, async () => {
      const { h, deliveries } = await harness();
      if (c.first) h.telnyx.setDialBehavior(numbers.operators[0], c.first);
      if (c.second) h.telnyx.setDialBehavior(numbers.operators[1], c.second);
      let customer: string | undefined;
      h.telnyx.onEvent((event) => void (customer ??= typeof event.payload.call_control_id === 'string' ? event.payload.call_control_id : undefined));
      c.before?.(h, () => customer);
      const call = await wholeCall(h, { ...(c.ends ? { ends: c.ends } : {}) });
      const problems = [...wholeCallProblems(h, call, { operators: c.operators }), ...(c.check?.(h) ?? [])];
      if (failedWebhooks(deliveries).length > 0) problems.push(`webhooks failed: ${JSON.stringify(failedWebhooks(deliveries))}`);
      const faults = c.faults(h);
      if (faults === 0) problems.push('the fault was never met');
      verdict(problems, faults, c.expected, 'operators and outages');
    }, 60_000);
  }
});

// ---------------------------------------------------------------------------------------------
// Symbl

interface SymblCase {
  readonly name: string;
  readonly expected: string;
  readonly full?: boolean;
  /** Whether the analyzer ends up joined (false: the call degrades to the keypad menu). */
  readonly analyzer: boolean;
  readonly before?: (h: Harness) => void;
  readonly inMenu?: (h: Harness) => Promise<void>;
  readonly beforeHangup?: (h: Harness) => void;
  readonly check?: (h: Harness) => string[];
  readonly faults: (h: Harness) => number;
}

const statusCount = (h: Harness, kind: string, status: number) => h.symbl.requests.filter((r) => r.kind === kind && r.status === status).length;
const messageRequests = (h: Harness) => h.symbl.requests.filter((r) => r.kind === 'messages').length;
const untilPolled = async (h: Harness, more: number) => {
  const target = messageRequests(h) + more;
  await h.symbl.waitFor(() => messageRequests(h) >= target, 15_000);
};

const degraded = 'the analyzer start fails, the session records why, and the call goes on as a keypad IVR: menu, DTMF 1, operator';
const symblCases: SymblCase[] = [
  ...([401, 429, 500, 503] as const).map(
    (status): SymblCase => ({
      name: `token request answers ${status} at start`,
      expected: degraded,
      full: status !== 401,
      analyzer: false,
      before: (h) => h.symbl.failNext('token', status, 1),
      faults: (h) => statusCount(h, 'token', status),
      check: (h) => (h.symbl.connections.size === 0 ? [] : ['Symbl was started anyway']),
    }),
  ),
  {
    name: 'start answers 401 (a stale token)',
    expected: 'the client fetches a new token once and the start goes through: the analyzer joins',
    analyzer: true,
    before: (h) => h.symbl.failNext('connect', 401, 1),
    faults: (h) => statusCount(h, 'connect', 401),
    check: (h) => (h.symbl.tokenRequests === 2 ? [] : [`${h.symbl.tokenRequests} token requests, expected 2`]),
  },
  ...([429, 500, 503] as const).map(
    (status): SymblCase => ({
      name: `start answers ${status}`,
      expected: degraded,
      full: status !== 503,
      analyzer: false,
      before: (h) => h.symbl.failNext('connect', status, 1),
      faults: (h) => statusCount(h, 'connect', status),
    }),
  ),
  {
    name: 'messages answer 401 mid-call (tokens expired)',
    expected: 'the poller fetches a new token once and polling goes on',
    // At CI size test/integration/poller.test.ts covers this one.
    full: true,
    analyzer: true,
    inMenu: async (h) => {
      await untilPolled(h, 1);
      h.symbl.expireTokens();
      await untilPolled(h, 2);
    },
    faults: (h) => statusCount(h, 'messages', 401),
    check: (h) => (h.symbl.tokenRequests === 2 ? [] : [`${h.symbl.tokenRequests} token requests, expected 2`]),
  },
  ...([[429], [500], [503], [429, 500, 503]] as const).map(
    (statuses): SymblCase => ({
      name: `messages answer ${statuses.join(', then ')} mid-call`,
      expected: 'those poll cycles are skipped, the one chain goes on, and polling recovers',
      full: statuses.length > 1 || statuses[0] !== 503,
      analyzer: true,
      inMenu: async (h) => {
        await untilPolled(h, 1);
        for (const status of statuses) h.symbl.failNext('messages', status, 1);
        await untilPolled(h, statuses.length + 1);
      },
      faults: (h) => statuses.reduce((n, status) => n + statusCount(h, 'messages', status), 0),
      check: (h) => (logged(h, /sentiment source unavailable/) ? [] : ['no "source unavailable" log line']),
    }),
  ),
  {
    name: 'every Symbl response 300 ms slow',
    expected: 'nothing times out: the analyzer joins and polling runs',
    analyzer: true,
    before: (h) => h.symbl.setLatency(300),
    inMenu: (h) => untilPolled(h, 1),
    faults: () => 1,
  },
  {
    name: 'the start answers after 4.5 s (past the client timeout)',
    expected: 'the start counts as failed (unreachable) and the call goes on as a keypad IVR',
    full: true,
    analyzer: false,
    before: (h) => h.symbl.setLatency(4500),
    inMenu: async (h) => h.symbl.setLatency(0),
    faults: () => 1,
    check: (h) => (logged(h, /analyzer failed to start/) ? [] : ['no "analyzer failed to start" log line']),
  },
  {
    name: 'the stop answers 500 when the customer hangs up',
    expected: 'the failure is logged, the session still ends, and our hangup of the analyzer leg ends Symbl anyway',
    analyzer: true,
    beforeHangup: (h) => h.symbl.failNext('connect', 500, 1),
    faults: (h) => statusCount(h, 'connect', 500),
    check: (h) => (logged(h, /analyzer stop failed/) ? [] : ['no "analyzer stop failed" log line']),
  },
];

describe('Symbl faults: 401, 429, 5xx and slow responses', () => {
  for (const c of symblCases.filter((c) => scale === 'full' || !c.full)) {
    it(`${c.name}: ${c.expected}`, async () => {
      const { h } = await harness();
      c.before?.(h);
      const options: WholeCallOptions = {
        analyzer: c.analyzer,
        inMenu: async () => {
          await c.inMenu?.(h);
          c.beforeHangup?.(h);
        },
      };
      const call = await wholeCall(h, options);
      const problems = [...wholeCallProblems(h, call, { analyzer: c.analyzer }), ...(c.check?.(h) ?? [])];
      const faults = c.faults(h);
      if (faults === 0) problems.push('the fault was never met');
      verdict(problems, faults, c.expected, 'symbl');
    }, 60_000);
  }
});

// ---------------------------------------------------------------------------------------------
// DynamoDB

const writeExpectations: Record<WriteFault, string> = {
  conflict: 'the write loses to a concurrent writer; the product decides again on the stored session and the call ends as without it',
  crash: 'the state is written but nothing run; the redelivery replays the recorded commands and the call ends as without it',
  'lost-response': 'the write lands but its answer is lost; the retry fails its condition, the store knows its own write, and the call ends as without it',
};

const pollerPoint = writePoints.find((p) => p.name.startsWith('poll cycle'))!;

async function writeCase(armed: readonly { point: WritePoint; fault: WriteFault }[], expected: string): Promise<void> {
  const dynamo = faultyDynamo(world.aws.dynamoEndpoint);
  try {
    for (const a of armed) dynamo.arm(a.point, a.fault);
    const { h, deliveries } = await harness({ dynamo: dynamo.client });
    const polls = armed.some((a) => a.point === pollerPoint);
    // With the poller's write armed, two cycles must run (the chain outlives the fault) before the keypress.
    const call = await wholeCall(h, { inMenu: polls ? () => untilPolled(h, 3) : undefined });
    const problems = [...wholeCallProblems(h, call), ...dynamo.unfired().map((f) => `never injected: ${f}`)];
    const crashedWebhooks = armed.some((a) => a.fault === 'crash' && a.point !== pollerPoint);
    if (crashedWebhooks && !failedThenDelivered(deliveries)) problems.push('no webhook failed and was redelivered');
    const conflicts = dynamo.fired.filter((f) => f.fault === 'conflict' && !f.point.startsWith('session created'));
    if (conflicts.length > 0 && !logged(h, /version conflict/)) problems.push('no version conflict was logged');
    verdict(problems, dynamo.fired.length, expected, `write ${armed[0]?.fault ?? ''}`);
  } finally {
    dynamo.stop();
  }
}

describe('DynamoDB write faults on every session write of a call', () => {
  it(`a conflict on every write at once: ${writeExpectations.conflict}`, async () => {
    await writeCase(writePoints.map((point) => ({ point, fault: 'conflict' as const })), writeExpectations.conflict);
  }, 90_000);

  it(`a lost response on every write at once: ${writeExpectations['lost-response']}`, async () => {
    await writeCase(writePoints.map((point) => ({ point, fault: 'lost-response' as const })), writeExpectations['lost-response']);
  }, 90_000);

  for (const half of [0, 1]) {
    it(`a crash after every ${half === 0 ? 'even' : 'odd'}-numbered write: ${writeExpectations.crash}`, async () => {
      const points = writePoints.filter((_, i) => i % 2 === half);
      await writeCase(points.map((point) => ({ point, fault: 'crash' as const })), writeExpectations.crash);
    }, 90_000);
  }

  if (scale === 'full') {
    for (const fault of ['conflict', 'crash', 'lost-response'] as const) {
      for (const point of writePoints) {
        it(`${fault} at "${point.name}": ${writeExpectations[fault]}`, async () => {
          await writeCase([{ point, fault }], writeExpectations[fault]);
        }, 60_000);
      }
    }
  }
});
