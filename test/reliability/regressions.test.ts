/**
 * One case per violation the delivery-schedule property found, replayed deterministically
 * through the real runtime against DynamoDB Local and the world model. Where the product's
 * mechanism changed (a command failing for now is retried through the queue, not by Telnyx
 * redelivering a 5xx; operators are screened on a leg of their own), the case meets the same
 * loss under the new mechanism, and a redelivery is forced the way it still happens: a crash
 * between the session's write and its commands.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { prompts } from '../../lib/core/prompts.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newSession } from '../../lib/core/call-flow.js';
import { createDynamoSessionStore } from '../../lib/store/session-store.js';
import { decodeClientState } from '../../lib/telnyx/client-state.js';
import { generateWebhookKeyPair } from '../../local/sim/webhook-signer.js';
import { localDynamo } from './support/local-dynamo.js';
import { startScriptedCall, type ScriptedCall, type ScriptedCallOptions } from './support/scripted-call.js';
import { logicalClock, type WorldRequest } from './support/world.js';
import { worldNumbers } from './support/world-runtime.js';
import { faultyDynamo, writePoints, type FaultyDynamo, type WritePoint } from './support/write-faults.js';

const local = localDynamo();
let tableName: string;
const key = generateWebhookKeyPair();

beforeAll(async () => {
  tableName = await local.newTable('regressions');
});

const call = (options: Partial<ScriptedCallOptions> = {}) =>
  startScriptedCall({ dynamo: local.client, tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64, clock: logicalClock(Date.now()), ...options });

/** A call whose session writes can be faulted; `stop` the client after. */
async function faultyCall(options: Partial<ScriptedCallOptions> = {}): Promise<{ c: ScriptedCall; dynamo: FaultyDynamo }> {
  const dynamo = faultyDynamo(local.endpoint);
  return { c: await call({ dynamo: dynamo.client, ...options }), dynamo };
}

const analyzerLeg = (c: ScriptedCall) => [...c.world.legs.values()].find((l) => l.role === 'analyzer');
const operatorLegs = (c: ScriptedCall) => [...c.world.legs.values()].filter((l) => l.dial !== undefined);
const conferenceOf = (c: ScriptedCall) => [...c.world.conferences.values()][0];
const symblStarts = (c: ScriptedCall) => c.world.requests.filter((r) => r.service === 'symbl' && r.kind === 'start');
const point = (name: string) => writePoints.find((p) => p.name === name)!;
const bodyOf = (response: { body: string }) => JSON.parse(response.body) as unknown;
/** Requests of one command kind, and how many of them took effect, by command_id. */
const byCommand = (c: ScriptedCall, kind: string, pick: (r: WorldRequest) => boolean = () => true) => {
  const requests = c.world.requests.filter((r) => r.kind === kind && pick(r));
  return { requests, ids: new Set(requests.map((r) => r.commandId)), executed: requests.filter((r) => r.outcome === 'executed').length };
};
/** The retry messages of a command kind the poller handled. */
const retriesOf = (c: ScriptedCall, kind: string) => c.world.queue.filter((m) => m.done && m.body.includes('"kind":"retry"') && m.body.includes(`"kind":"${kind}"`));

const refused: WritePoint = {
  name: 'the first operator attempt refused',
  matches: (w) => w.before?.escalation?.attempts[0]?.status === 'ringing' && w.after.escalation?.attempts[0]?.outcome === 'refused',
};

describe('regressions found by the delivery-schedule property', () => {
  it('a DTMF 1 counts while the session thinks a menu plays that Telnyx never started (the key reaches no gather)', async () => {
    const c = await call();
    // The menu's gather fails for now on every try, through the queue, until it is given up.
    c.world.failNext('gather_using_speak', 1000, { affects: (r) => r.callControlId === c.customer.id });
    await c.settle();
    expect((await c.session())?.session.menu.status).toBe('playing');
    expect(c.customer.gather).toBeUndefined();
    expect(retriesOf(c, 'playMenu').length).toBeGreaterThan(0);

    c.world.press(c.customer, '1');
    await c.settle();

    expect(c.world.dials().map((d) => d.body.to)).toEqual([worldNumbers.operators[0]]);
    expect(c.customer.heard).toContain(prompts.connecting);
    expect((await c.session())?.session.escalation).toMatchObject({ status: 'connected' });
  });

  it('a DTMF 1 delivered before the call.answered it follows still escalates, dialing once the conference exists, and the operator joins that conference', async () => {
    const c = await call();
    await c.deliver(c.world.events[0]!);
    expect(c.customer.state).toBe('answered');
    c.world.press(c.customer, '1');
    const keypress = c.pending().find((e) => e.event_type === 'call.dtmf.received')!;

    expect(bodyOf(await c.deliver(keypress))).toEqual({ outcome: 'applied' });
    await c.settle();

    expect(c.world.dials().map((d) => d.body.to)).toEqual([worldNumbers.operators[0]]);
    const operator = operatorLegs(c)[0]!;
    const joins = byCommand(c, 'conference_join', (r) => r.body.call_control_id === operator.id);
    expect(joins.executed).toBe(1);
    expect(joins.requests[0]!.path).toContain(conferenceOf(c)!.id);
    expect(conferenceOf(c)?.participants.get(operator.id)).toEqual({ muted: false });
    expect((await c.session())?.session.escalation).toMatchObject({ reason: { rule: 'dtmf' }, status: 'connected' });
  });

  it('the digit that identified the analyzer, redelivered after a crash that followed its write, replays the join', async () => {
    const { c, dynamo } = await faultyCall();
    try {
      dynamo.arm(point('analyzer identified (with its leg, a transaction)'), 'crash');
      await c.settle();

      const identifying = c.responses.filter((r) => r.status >= 500);
      expect(identifying).toHaveLength(1);
      expect(c.responses.filter((r) => r.event.id === identifying[0]!.event.id).map(bodyOf)).toEqual([{ error: 'internal error' }, { outcome: 'analyzer-duplicate' }]);
      expect(conferenceOf(c)?.participants.get(analyzerLeg(c)!.id)).toEqual({ muted: true });
      expect((await c.session())?.session.analyzer.status).toBe('joined');
    } finally {
      dynamo.stop();
    }
  });

  it("an operator's join failing for now is retried through the queue: every webhook is answered 200, the join runs once with its command_id", async () => {
    const c = await call();
    await c.settle();
    const toOperator = (r: { body: Readonly<Record<string, unknown>> }) => operatorLegs(c).some((l) => l.id === r.body.call_control_id);
    c.world.failNext('conference_join', 3, { affects: toOperator });
    c.world.press(c.customer, '1');
    await c.settle();

    expect(c.responses.filter((r) => r.status >= 300)).toEqual([]);
    const joins = byCommand(c, 'conference_join', toOperator);
    expect(joins.requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect([joins.ids.size, joins.executed]).toEqual([1, 1]);
    expect(retriesOf(c, 'joinConference')).toHaveLength(1);
    expect((await c.session())?.session.escalation).toMatchObject({ status: 'connected', attempts: [{ outcome: 'answered' }] });
  });

  it('a retry message delivered again after its prompt got through, once Telnyx has forgotten the command_id (60 s), sends nothing: the customer hears the prompt once', async () => {
    const c = await call();
    await c.settle();
    const toCustomer = (r: { path: string }) => decodeURIComponent(r.path).includes(c.customer.id);
    c.world.failNext('speak', 3, { affects: (r) => r.callControlId === c.customer.id });
    c.world.press(c.customer, '1');
    await c.settle();
    const held = byCommand(c, 'speak', toCustomer);
    expect(held.executed).toBe(1);
    const [retry] = retriesOf(c, 'speak');
    expect(retry).toBeDefined();

    c.world.advance(61_000);
    expect(await c.handle(retry!)).toBe('stale');
    expect(byCommand(c, 'speak', toCustomer).executed).toBe(1);
    expect(c.customer.heard.filter((text) => text === prompts.connecting)).toHaveLength(1);
  });

  it('a poll cycle that escalated, redelivered after a crash that followed its write, replays its commands: the operator is dialed', async () => {
    const { c, dynamo } = await faultyCall();
    try {
      await c.settle({ polls: 1 });
      expect(c.customer.gather?.purpose).toBe('menu');
      dynamo.arm(point('escalation claimed'), 'crash');
      c.world.say('this is absolutely unacceptable', -0.95);
      const message = c.queued('poll')[0]!;

      expect(await c.handle(message)).toMatch(/^threw Error: injected crash/);
      expect(c.world.dialRequests()).toEqual([]);
      expect(await c.handle(message)).toBe('duplicate');
      await c.settle();

      expect(c.world.dials().map((d) => d.body.to)).toEqual([worldNumbers.operators[0]]);
      expect(c.customer.heard).toContain(prompts.connecting);
      expect((await c.session())?.session.escalation).toMatchObject({ reason: { rule: 'utterance' }, status: 'connected' });
    } finally {
      dynamo.stop();
    }
  });

  it('a poll cycle that escalated, whose menu stop failed for now, dials at once and retries the stop through the queue with its command_id', async () => {
    const c = await call();
    await c.settle({ polls: 1 });
    c.world.failNext('gather_stop', 3);
    c.world.say('this is absolutely unacceptable', -0.95);

    expect(await c.handle(c.queued('poll')[0]!)).toBe('applied');
    expect(c.world.dialRequests()).toHaveLength(1);
    await c.settle();

    const stops = byCommand(c, 'gather_stop', (r) => r.path.includes(c.customer.id));
    expect([stops.ids.size, stops.requests.at(-1)?.status]).toEqual([1, 200]);
    expect(retriesOf(c, 'stopGather')).toHaveLength(1);
    expect((await c.session())?.session.escalation).toMatchObject({ reason: { rule: 'utterance' }, status: 'connected' });
  });

  it('a first event that crashed after its write is finished by its redelivery: answered, the analyzer started then, once, and its ids kept', async () => {
    const { c, dynamo } = await faultyCall();
    try {
      dynamo.arm(point('session created (call.initiated)'), 'crash');
      await c.settle();

      expect(c.responses.slice(0, 2).map((r) => [r.event.id, r.status])).toEqual([
        [c.world.events[0]!.id, 500],
        [c.world.events[0]!.id, 200],
      ]);
      expect(symblStarts(c)).toHaveLength(1);
      const session = (await c.session())!.session;
      const connection = [...c.world.connections.values()][0]!;
      expect(session.analyzer).toMatchObject({ status: 'joined', connectionId: connection.connectionId, conversationId: connection.conversationId });
      expect(conferenceOf(c)?.participants.get(analyzerLeg(c)!.id)).toEqual({ muted: true });
    } finally {
      dynamo.stop();
    }
  });

  it('a first event whose answer failed for now is answered 200 and the answer retried through the queue with its command_id; the analyzer starts once', async () => {
    const c = await call();
    c.world.failNext('answer', 3, { affects: (r) => r.callControlId === c.customer.id });
    await c.settle();

    expect(c.responses[0]).toMatchObject({ status: 200 });
    const answers = byCommand(c, 'answer', (r) => r.path.includes(c.customer.id));
    expect(answers.requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect([answers.ids.size, answers.executed]).toEqual([1, 1]);
    expect(retriesOf(c, 'answer')).toHaveLength(1);
    expect(symblStarts(c)).toHaveLength(1);
    expect((await c.session())!.session.analyzer.status).toBe('joined');
  });

  it('concurrent copies of the first event start one analyzer, whichever copy gets there first, and keep its ids', async () => {
    for (let i = 0; i < 12; i++) {
      const c = await call();
      const first = c.world.events[0]!;
      await Promise.all([c.deliver(first), c.deliver(first), c.deliver(first), c.deliver(first)]);
      await c.settle();
      expect(symblStarts(c)).toHaveLength(1);
      const connection = [...c.world.connections.values()][0]!;
      expect((await c.session())!.session.analyzer).toMatchObject({ status: 'joined', conversationId: connection.conversationId });
    }
  });

  it('an operator whose dial answer was lost, answering before its call.initiated arrives, is bound from its tagged webhooks, briefed on its own leg, and joined once', async () => {
    const c = await call();
    await c.settle();
    // The dial is placed, its answer lost, and the second try fails too: the dial goes to the queue.
    c.world.failNext('dial', 2, { apply: true });
    const initiated = (e: { event_type: string; payload: Readonly<Record<string, unknown>> }) =>
      e.event_type === 'call.initiated' && operatorLegs(c).some((l) => l.id === e.payload.call_control_id);
    c.world.press(c.customer, '1');
    // The operator answers, is screened and joins while its call.initiated is still on the way.
    await c.settle({ hold: initiated });
    const operator = operatorLegs(c)[0]!;
    expect(c.pending().filter(initiated)).toHaveLength(1);
    expect((await c.session())?.session.escalation).toMatchObject({ status: 'connected', attempts: [{ callControlId: operator.id }] });

    for (const event of c.pending().filter(initiated)) await c.deliver(event);
    await c.settle();

    expect(operator.heard.filter((t) => t.startsWith('Escalated call.'))).toHaveLength(1);
    expect(c.world.dials()).toHaveLength(1);
    expect(byCommand(c, 'conference_join', (r) => r.body.call_control_id === operator.id).executed).toBe(1);
    expect(retriesOf(c, 'dialOperator')).toHaveLength(1);
    expect((await c.session())?.session.escalation).toMatchObject({ status: 'connected', briefed: true, attempts: [{ callControlId: operator.id, outcome: 'answered' }] });
  });

  it('a late copy of a keypress from before every operator failed starts no new round; a new keypress does', async () => {
    const c = await call({ operators: () => 'no-answer' });
    await c.settle();
    c.world.press(c.customer, '1');
    await c.settle();
    const oldGather = c.responses.find((r) => r.event.event_type === 'call.gather.ended' && r.event.payload.call_control_id === c.customer.id && r.event.payload.digits === '1')!;
    expect(bodyOf(oldGather)).toEqual({ outcome: 'unchanged' });
    expect(c.world.dials()).toHaveLength(2);
    expect(c.customer.heard).toContain(prompts.noOperator);

    expect(bodyOf(await c.deliver(oldGather.event))).toEqual({ outcome: 'unchanged' });
    await c.settle();
    expect(c.world.dials()).toHaveLength(2);

    c.world.press(c.customer, '1');
    await c.settle();
    expect(c.world.dials()).toHaveLength(4);
    expect((await c.session())?.session.escalation?.round).toBe(1);
  });

  it('a 1 whose round is refused at once asks for one round: the menu gather that ends with it starts no second one; a new 1 does', async () => {
    const c = await call({ operators: ({ round }) => (round === 0 ? 'refused-403' : 'takes-call') });
    await c.settle();
    c.world.press(c.customer, '1');
    await c.settle();

    const gathered = c.responses.find((r) => r.event.event_type === 'call.gather.ended' && r.event.payload.call_control_id === c.customer.id && r.event.payload.digits === '1')!;
    expect(bodyOf(gathered)).toEqual({ outcome: 'unchanged' });
    expect(c.world.dialRequests().map((d) => [d.ref.round, d.ref.attempt, d.status])).toEqual([
      [0, 0, 403],
      [0, 1, 403],
    ]);
    expect(c.customer.heard.filter((t) => t === prompts.noOperator)).toHaveLength(1);

    c.world.press(c.customer, '1');
    await c.settle();
    expect((await c.session())?.session.escalation).toMatchObject({ round: 1, status: 'connected' });
  });

  it('an operator who hangs up once asked into the conference, its participant.joined still on the way, has left: the customer hears it and gets the menu, no next number', async () => {
    const c = await call({ operators: () => 'leaves' });
    await c.settle();
    c.world.press(c.customer, '1');
    const joinedLate = (e: { event_type: string; payload: Readonly<Record<string, unknown>> }) =>
      e.event_type === 'conference.participant.joined' && operatorLegs(c).some((l) => l.id === e.payload.call_control_id);
    await c.settle({ hold: joinedLate });
    const operator = operatorLegs(c)[0]!;
    expect(operator.state).toBe('hangup');

    for (const event of c.pending().filter(joinedLate)) await c.deliver(event);
    await c.settle();

    const left = c.customer.heard.lastIndexOf(prompts.operatorLeft);
    expect(left).toBeGreaterThanOrEqual(0);
    expect(c.customer.heard.slice(left + 1)).toContain(prompts.menu);
    expect(c.customer.heard).not.toContain(prompts.stillTrying);
    expect(c.world.dialRequests()).toHaveLength(1);
    expect((await c.session())?.session.escalation).toMatchObject({ status: 'left', attempts: [{ outcome: 'left' }] });
  });

  it('a crash after the write of a refused dial: the redelivery still tries the next number', async () => {
    const { c, dynamo } = await faultyCall({ operators: ({ attempt }) => (attempt === 0 ? 'refused-403' : 'takes-call') });
    try {
      await c.settle();
      dynamo.arm(refused, 'crash');
      c.world.press(c.customer, '1');
      await c.settle();

      expect(c.responses.filter((r) => r.status >= 500)).toHaveLength(1);
      expect(c.world.dialRequests().map((d) => [d.ref.attempt, d.status])).toEqual(expect.arrayContaining([[0, 403], [1, 200]]));
      expect(c.customer.heard).toContain(prompts.stillTrying);
      expect((await c.session())?.session.escalation).toMatchObject({ status: 'connected', attempts: [{ outcome: 'refused' }, { outcome: 'answered' }] });
    } finally {
      dynamo.stop();
    }
  });

  it('a crash after the write of a refused dial, in its retry through the queue: the retry, redelivered, still tries the next number', async () => {
    const { c, dynamo } = await faultyCall({ operators: ({ attempt }) => (attempt === 0 ? 'refused-403' : 'takes-call') });
    try {
      await c.settle();
      dynamo.arm(refused, 'crash');
      // Both inline tries fail for now; the retry through the queue meets the refusal.
      c.world.failNext('dial', 2);
      c.world.press(c.customer, '1');
      await c.settle();

      const retry = retriesOf(c, 'dialOperator')[0]!;
      expect(retry.deliveries).toBe(2);
      expect(c.responses.filter((r) => r.status >= 300)).toEqual([]);
      expect(c.world.dialRequests().filter((d) => d.ref.attempt === 1).map((d) => d.status)).toEqual([200]);
      expect((await c.session())?.session.escalation).toMatchObject({ status: 'connected', attempts: [{ outcome: 'refused' }, { outcome: 'answered' }] });
    } finally {
      dynamo.stop();
    }
  });

  it('a dial Telnyx keeps failing for now is given up after its retries, as refused: the next number is tried', async () => {
    const c = await call();
    await c.settle();
    const firstNumber = (r: { body: Readonly<Record<string, unknown>> }) => decodeClientState(r.body.client_state as string)?.attempt === 0;
    c.world.failNext('dial', 100, { affects: firstNumber });
    const before = c.world.nowMs();
    c.world.press(c.customer, '1');
    await c.settle();

    const attempt = (await c.session())?.session.escalation?.attempts[0];
    expect(attempt).toMatchObject({ status: 'failed', outcome: 'refused' });
    expect(attempt?.endedCause).toMatch(/^the dial could not be placed/);
    expect(retriesOf(c, 'dialOperator')).toHaveLength(8);
    // About four minutes of retries on the world's clock, then the next number.
    expect(c.world.nowMs() - before).toBeGreaterThan(200_000);
    expect(c.customer.heard).toContain(prompts.stillTrying);
    expect((await c.session())?.session.escalation).toMatchObject({ status: 'connected', attempts: [{ outcome: 'refused' }, { outcome: 'answered' }] });
  });

  it('two writers storing the same event from the same version: one saves, the other gets a conflict (not a false "landed")', async () => {
    const store = await createDynamoSessionStore({ client: DynamoDBDocumentClient.from(local.client), tableName, retentionDays: 1, nowMs: () => 1_750_000_000_000 });
    const session = newSession({ id: '4000000001', customerCallControlId: 'v3:twin', fromMasked: '+1***00', conferenceNamePrefix: 'ivr', source: 'symbl' }, 1_750_000_000_000);
    await store.create({ session: { ...session, version: 1 }, seenEventIds: ['e1'], effects: [] }, []);
    const next = { session: { ...session, version: 2 }, seenEventIds: ['e1', 'e2'], effects: [] };

    const outcomes = await Promise.all([store.save(next, []), store.save(next, [])]);

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['conflict', 'saved']);
  });

  it('the same poll message handled three times at once moves the chain on once: one position, one message that moved it, one next message that counts', async () => {
    for (let i = 0; i < 8; i++) {
      const c = await call();
      await c.settle();
      const sessionId = (await c.session())!.session.id;
      const message = c.queued('poll')[0]!;
      const outcomes = await Promise.all([c.handle(message), c.handle(message), c.handle(message)]);
      expect(outcomes.filter((o) => o === 'stale')).toEqual([]);
      expect(await c.runtime.store.getPollCursor(sessionId)).toEqual({ seq: 1, advancedBy: message.messageId });

      // However many follow-ups the copies sent, only one moves the chain on from there.
      const next = c.queued('poll');
      expect(next.length).toBeGreaterThan(0);
      const after = await Promise.all(next.map((m) => c.handle(m)));
      expect(after.filter((o) => o !== 'stale')).toHaveLength(1);
      expect((await c.runtime.store.getPollCursor(sessionId))?.seq).toBe(2);
    }
  });
});
