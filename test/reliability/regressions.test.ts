/**
 * One case per violation the delivery-schedule property found, replayed deterministically
 * through the real runtime against DynamoDB Local and the world model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { prompts } from '../../lib/core/prompts.js';
import { parseQueueMessage } from '../../lib/scheduler/poll-queue.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newSession } from '../../lib/core/call-flow.js';
import { createDynamoSessionStore } from '../../lib/store/session-store.js';
import { generateWebhookKeyPair } from '../../local/sim/webhook-signer.js';
import { localDynamo } from './support/local-dynamo.js';
import { startScriptedCall, type ScriptedCall } from './support/scripted-call.js';
import { logicalClock } from './support/world.js';
import { worldNumbers } from './support/world-runtime.js';

const local = localDynamo();
let tableName: string;
const key = generateWebhookKeyPair();

beforeAll(async () => {
  tableName = await local.newTable('regressions');
});

const call = () => startScriptedCall({ dynamo: local.client, tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64, clock: logicalClock(Date.now()) });
const analyzerLeg = (c: ScriptedCall) => [...c.world.legs.values()].find((l) => l.role === 'analyzer');
const conferenceOf = (c: ScriptedCall) => [...c.world.conferences.values()][0];
const symblStarts = (c: ScriptedCall) => c.world.requests.filter((r) => r.service === 'symbl' && r.kind === 'start' && r.status < 300);

describe('regressions found by the delivery-schedule property', () => {
  it('a DTMF 1 counts while the session thinks a menu plays that Telnyx never started (the key reaches no gather)', async () => {
    const c = await call();
    c.world.failNext('gather_using_speak', 1000);
    await c.settle();
    expect((await c.session())?.session.menu.status).toBe('playing');
    expect(c.customer.gather).toBeUndefined();

    c.world.press(c.customer, '1');
    await c.settle();

    expect(c.world.dials().map((d) => d.body.to)).toEqual([worldNumbers.operators[0]]);
    expect(c.customer.heard).toContain(prompts.connecting);
  });

  it('a DTMF 1 delivered before the call.answered it follows still escalates, dialing once the conference exists', async () => {
    const c = await call();
    await c.deliver(c.world.events[0]!);
    expect(c.customer.state).toBe('answered');
    c.world.press(c.customer, '1');
    const keypress = c.pending().find((e) => e.event_type === 'call.dtmf.received')!;

    expect(JSON.parse((await c.deliver(keypress)).body)).toEqual({ outcome: 'applied' });
    await c.settle();

    expect(c.world.dials().map((d) => d.body.to)).toEqual([worldNumbers.operators[0]]);
    expect(c.world.dials()[0]!.body.conference_config).toMatchObject({ id: conferenceOf(c)!.id });
    expect((await c.session())?.session.escalation).toMatchObject({ reason: { rule: 'dtmf' }, status: 'connected' });
  });

  it('the digit that identified the analyzer, redelivered after its join failed, replays the join', async () => {
    const c = await call();
    c.world.failNext('conference_join', 3);
    await c.settle();

    const identifying = c.responses.filter((r) => r.status === 503 && r.event.event_type.startsWith('call.'));
    expect(identifying).toHaveLength(1);
    expect(c.responses.filter((r) => r.event.id === identifying[0]!.event.id).map((r) => JSON.parse(r.body))).toEqual([
      { error: 'temporarily unavailable' },
      { outcome: 'analyzer-duplicate' },
    ]);
    expect(conferenceOf(c)?.participants.get(analyzerLeg(c)!.id)).toEqual({ muted: true });
    expect((await c.session())?.session.analyzer.status).toBe('joined');
  });

  it('a poll cycle that escalated, redelivered after its commands failed, replays them: the operator is dialed', async () => {
    const c = await call();
    await c.settle({ polls: 1 });
    expect(c.customer.gather?.purpose).toBe('menu');
    c.world.failNext('gather_stop', 3);
    c.world.say('this is absolutely unacceptable', -0.95);
    const message = c.world.queue.find((m) => !m.done && parseQueueMessage(m.body)?.kind === 'poll')!;

    expect(await c.handle(message)).toMatch(/^threw TransientError/);
    expect(c.world.dials()).toEqual([]);
    expect(await c.handle(message)).toBe('duplicate');
    await c.settle();

    expect(c.world.dials().map((d) => d.body.to)).toEqual([worldNumbers.operators[0]]);
    expect((await c.session())?.session.escalation).toMatchObject({ reason: { rule: 'utterance' }, status: 'connected' });
  });

  it('a first event whose answer failed is finished by its redelivery: the analyzer starts then, once, and its ids are kept', async () => {
    const c = await call();
    c.world.failNext('answer', 3);
    await c.settle();

    expect(c.responses[0]).toMatchObject({ status: 503 });
    expect(symblStarts(c)).toHaveLength(1);
    const session = (await c.session())!.session;
    const connection = [...c.world.connections.values()][0]!;
    expect(session.analyzer).toMatchObject({ status: 'joined', connectionId: connection.connectionId, conversationId: connection.conversationId });
    expect(conferenceOf(c)?.participants.get(analyzerLeg(c)!.id)).toEqual({ muted: true });
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

  it('an operator whose dial answer was lost, joining before any of its own webhooks arrive, is still briefed', async () => {
    const c = await call();
    await c.settle();
    c.world.failNext('dial', 3, true);
    c.world.press(c.customer, '1');
    for (const event of c.pending()) await c.deliver(event);
    const operator = [...c.world.legs.values()].find((l) => l.role === 'operator')!;
    expect((await c.session())?.session.escalation?.attempts[0]).toEqual({ to: worldNumbers.operators[0], status: 'ringing' });

    c.world.operatorAnswers(operator);
    const joined = c.pending().find((e) => e.event_type === 'conference.participant.joined' && e.payload.call_control_id === operator.id)!;
    expect(JSON.parse((await c.deliver(joined)).body)).toEqual({ outcome: 'applied' });
    await c.settle();

    expect(operator.heard.filter((t) => t.startsWith('Escalated call.'))).toHaveLength(1);
    expect(c.world.dials()).toHaveLength(1);
    expect((await c.session())?.session.escalation).toMatchObject({ status: 'connected', briefed: true, attempts: [{ callControlId: operator.id }] });
  });

  it('a late copy of a keypress from before every operator failed starts no new round; a new keypress does', async () => {
    const c = await startScriptedCall({ dynamo: local.client, tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64, clock: logicalClock(Date.now()), operatorAnswers: () => false });
    await c.settle();
    c.world.press(c.customer, '1');
    await c.settle();
    const oldGather = c.responses.find((r) => r.event.event_type === 'call.gather.ended' && r.event.payload.call_control_id === c.customer.id && r.event.payload.digits === '1')!;
    expect(JSON.parse(oldGather.body)).toEqual({ outcome: 'unchanged' });
    expect(c.world.dials()).toHaveLength(2);
    expect(c.customer.heard).toContain(prompts.noOperator);

    expect(JSON.parse((await c.deliver(oldGather.event)).body)).toEqual({ outcome: 'unchanged' });
    await c.settle();
    expect(c.world.dials()).toHaveLength(2);

    c.world.press(c.customer, '1');
    await c.settle();
    expect(c.world.dials()).toHaveLength(4);
    expect((await c.session())?.session.escalation?.round).toBe(1);
  });

  it('two writers storing the same event from the same version: one saves, the other gets a conflict (not a false "landed")', async () => {
    const store = await createDynamoSessionStore({ client: DynamoDBDocumentClient.from(local.client), tableName, retentionDays: 1, nowMs: () => 1_750_000_000_000 });
    const session = newSession({ id: '4000000001', customerCallControlId: 'v3:twin', fromMasked: '+1***00', conferenceNamePrefix: 'ivr', source: 'symbl' }, 1_750_000_000_000);
    await store.create({ session: { ...session, version: 1 }, seenEventIds: ['e1'], effects: [] }, []);
    const next = { session: { ...session, version: 2 }, seenEventIds: ['e1', 'e2'], effects: [] };

    const outcomes = await Promise.all([store.save(next, []), store.save(next, [])]);

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['conflict', 'saved']);
  });

  it('the same poll message handled twice at once advances the chain once', async () => {
    for (let i = 0; i < 8; i++) {
      const c = await call();
      await c.settle();
      const message = c.world.queue.find((m) => !m.done && parseQueueMessage(m.body)?.kind === 'poll')!;
      const outcomes = await Promise.all([c.handle(message), c.handle(message), c.handle(message)]);
      expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    }
  });
});
