import { describe, expect, it } from 'vitest';
import { prompts } from '../../lib/core/prompts.js';
import type { SimCall } from '../../local/sim/index.js';
import { generateWebhookKeyPair, signedHeaders } from '../../local/sim/webhook-signer.js';
import { numbers, type Harness } from '../../local/harness.js';
import { localWorld } from '../support/lifecycle.js';

const world = localWorld();
let h: Harness | undefined;

async function untilMenu(harness: Harness, call: SimCall) {
  await harness.telnyx.waitFor(() => call.heard.includes(prompts.menu), 15_000);
}

describe('whole calls through the webhook, against DynamoDB Local and the Telnyx/Symbl simulators', () => {
  it('answers, conferences, joins the analyzer muted, plays the menu; DTMF 1 dials one operator, screens them on their own leg, then joins them to the same conference', async () => {
    h = await world.harness();
    const customer = h.call('+15550104242');
    await untilMenu(h, customer);

    const session = (await h.sessionOf(customer))!.session;
    const conference = h.telnyx.conferences.get(session.conference.id!)!;
    expect(conference.name).toBe(`ivr-${session.id}`);
    const symblLeg = [...h.symbl.connections.values()][0]!.call!;
    expect(conference.participants.get(symblLeg.callControlId)?.muted).toBe(true);
    expect(session.analyzer).toMatchObject({ status: 'joined', callControlId: symblLeg.callControlId });
    expect(h.symbl.requests.find((r) => r.kind === 'connect')?.body).toMatchObject({
      operation: 'start',
      endpoint: { type: 'pstn', phoneNumber: numbers.conference.slice(1), dtmf: `,,${session.id}#` },
    });
    // Answer came first: the first command on the customer's leg.
    expect(h.telnyx.commandsFor(customer.callControlId)[0]?.kind).toBe('answer');

    await customer.press('1');
    const dial = await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 10_000);
    expect(dial).toMatchObject({ to: numbers.operators[0], from: numbers.conference, connectionId: h.config.telnyx.connectionId, answeringMachineDetection: 'detect' });
    // On a leg of its own: nothing joins the customer before it is screened.
    expect(dial.conferenceConfig).toBeUndefined();
    const operator = h.telnyx.calls.get(dial.callControlId)!;
    await h.telnyx.waitFor(() => operator.heard.some((t) => t.startsWith('Escalated call.')), 10_000);
    expect(customer.heard).toContain(prompts.connecting);
    await h.telnyx.waitFor(() => conference.participants.has(operator.callControlId), 10_000);
    expect(operator.events.map((e) => e.event_type)).toContain('call.dtmf.received');
    expect(symblLeg.heard.some((t) => t.startsWith('Escalated call.'))).toBe(false);

    await h.settle();
    const escalated = (await h.sessionOf(customer))!.session;
    expect(escalated.escalation).toMatchObject({ status: 'connected', briefed: true, reason: { rule: 'dtmf' } });

    customer.hangup();
    await h.telnyx.waitFor(() => conference.status === 'completed', 10_000);
    await h.settle();
    const ended = (await h.sessionOf(customer))!.session;
    expect(ended).toMatchObject({ status: 'ended', customer: { hungUp: true } });
    expect(symblLeg.state).toBe('hangup');
    expect(operator.state).toBe('hangup');
    expect(h.symbl.requests.some((r) => r.kind === 'connect' && (r.body as { operation?: string }).operation === 'stop')).toBe(true);
    expect(h.telnyx.dials()).toHaveLength(1);
    expect(h.telnyx.errors).toEqual([]);
  });

  it('every Telnyx command carries a command_id, unique per command', async () => {
    h = await world.harness();
    const customer = h.call();
    await untilMenu(h, customer);
    await customer.press('1');
    await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 10_000);
    customer.hangup();
    await h.settle();
    const posts = h.telnyx.requests.filter((r) => r.method === 'POST' && r.outcome === 'executed');
    expect(posts.length).toBeGreaterThan(6);
    const ids = posts.map((r) => r.commandId);
    expect(ids.every((id) => typeof id === 'string' && id.length === 36)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every webhook delivered twice (some concurrently) changes nothing: one session, one conference, one operator dial', async () => {
    h = await world.harness({ faults: { duplicateRate: 1, maxDelayMs: 30 } });
    const customer = h.call();
    await untilMenu(h, customer);
    await customer.press('1');
    await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 10_000);
    await h.settle();
    const before = (await h.sessionOf(customer))!;
    expect(h.telnyx.webhooks.filter((w) => w.duplicate).length).toBeGreaterThan(10);
    expect(h.telnyx.dials()).toHaveLength(1);
    expect(h.telnyx.conferences.size).toBe(1);
    expect([...h.symbl.connections.values()]).toHaveLength(1);
    expect(h.log.lines.some((l) => l.message === 'duplicate event')).toBe(true);
    expect(before.session.escalation?.status).toBe('connected');
    customer.hangup();
    await h.settle();
    expect((await h.sessionOf(customer))!.session.status).toBe('ended');
    expect(h.telnyx.dials()).toHaveLength(1);
  });

  it('the same signed webhook replayed later leaves the session as it was', async () => {
    h = await world.harness();
    const customer = h.call();
    await untilMenu(h, customer);
    await h.settle();
    const before = (await h.sessionOf(customer))!;
    const answered = customer.events.find((e) => e.event_type === 'call.answered')!;
    const body = JSON.stringify({ data: answered, meta: { attempt: 2 } });
    const executedBefore = h.telnyx.requests.filter((r) => r.outcome === 'executed').length;
    // Re-sign as Telnyx does on redelivery: same event id, new timestamp.
    const response = await h.runtime.webhook({ body, isBase64Encoded: false, headers: signedBy(h, body) });
    await h.settle();
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ outcome: 'duplicate' });
    const after = (await h.sessionOf(customer))!;
    expect(after.session.version).toBe(before.session.version);
    // Replayed commands reuse their ids, so Telnyx executes nothing new.
    expect(h.telnyx.requests.filter((r) => r.outcome === 'executed').length).toBe(executedBefore);
  });

  it('two customers at once get separate conferences, and each analyzer joins its own', async () => {
    h = await world.harness();
    const first = h.call('+15550100001');
    const second = h.call('+15550100002');
    await Promise.all([untilMenu(h, first), untilMenu(h, second)]);
    await h.settle();
    const a = (await h.sessionOf(first))!.session;
    const b = (await h.sessionOf(second))!.session;
    expect(a.id).not.toBe(b.id);
    expect(a.conference.id).not.toBe(b.conference.id);
    for (const session of [a, b]) {
      const conference = h.telnyx.conferences.get(session.conference.id!)!;
      expect([...conference.participants.keys()].sort()).toEqual([session.customer.callControlId, session.analyzer.callControlId!].sort());
      const connection = [...h.symbl.connections.values()].find((c) => c.dtmf === `,,${session.id}#`)!;
      expect(connection.call?.callControlId).toBe(session.analyzer.callControlId);
    }
  });

  it('a Symbl outage at start degrades to the plain keypad menu after the join timeout', async () => {
    h = await world.harness();
    h.symbl.failNext('connect', 503, 5);
    const customer = h.call();
    await untilMenu(h, customer);
    const session = (await h.sessionOf(customer))!.session;
    expect(session.analyzer.status).toBe('failed');
    await customer.press('1');
    await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 10_000);
  });

  it('forged, unsigned and stale webhooks get 401 and change nothing; malformed ones 400; unknown types 200', async () => {
    h = await world.harness();
    const customer = h.call();
    await untilMenu(h, customer);
    await h.settle();
    const before = (await h.sessionOf(customer))!;
    const hangup = JSON.stringify({
      data: { record_type: 'event', event_type: 'call.hangup', id: 'forged-1', occurred_at: new Date().toISOString(), payload: { call_control_id: customer.callControlId, hangup_cause: 'normal_clearing' } },
    });
    const otherKey = generateWebhookKeyPair().privateKey;
    const forged = signedHeaders(otherKey, hangup, Math.floor(Date.now() / 1000));
    const stale = signedBy(h, hangup, Math.floor(Date.now() / 1000) - 400);
    for (const headers of [forged, {}, stale]) {
      const response = await h.runtime.webhook({ body: hangup, isBase64Encoded: false, headers });
      expect(response.status).toBe(401);
    }
    expect((await h.runtime.webhook({ body: '{"data":', isBase64Encoded: false, headers: signedBy(h, '{"data":') })).status).toBe(400);
    const unknown = JSON.stringify({ data: { record_type: 'event', event_type: 'call.bridged', id: 'u1', payload: {} } });
    const ignored = await h.runtime.webhook({ body: unknown, isBase64Encoded: false, headers: signedBy(h, unknown) });
    expect(ignored.status).toBe(200);
    expect(JSON.parse(ignored.body)).toEqual({ outcome: 'ignored' });
    const after = (await h.sessionOf(customer))!;
    expect(after.session).toEqual(before.session);
  });
});

/** Signs like the simulator does, with its key (it exposes only the public half, so ask it to). */
function signedBy(h: Harness, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return h.telnyx.sign(body, timestamp);
}
