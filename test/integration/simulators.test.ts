import { createPublicKey, randomUUID, verify } from 'node:crypto';
import Telnyx from 'telnyx';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSymblSimulator, type SymblSimulator } from '../../local/sim/symbl-simulator.js';
import { startTelnyxSimulator, type TelnyxSimulator, type TelnyxWebhookEvent } from '../../local/sim/telnyx-simulator.js';

const ourNumber = '+15550100000';
const symblNumber = '+15550199999';
const timeScale = 0.02;
const voice = 'AWS.Polly.Joanna-Neural';

interface Received {
  readonly raw: string;
  readonly headers: Record<string, string>;
  readonly attempt: number;
  readonly event: TelnyxWebhookEvent;
}

/** A webhook sink that keeps everything in memory, and lookups over it. */
function collector() {
  const received: Received[] = [];
  const sink = async (raw: string, headers: Record<string, string>): Promise<{ status: number }> => {
    const parsed = JSON.parse(raw) as { data: TelnyxWebhookEvent; meta: { attempt: number } };
    received.push({ raw, headers, attempt: parsed.meta.attempt, event: parsed.data });
    return { status: 200 };
  };
  const of = (callControlId: string, type?: string): TelnyxWebhookEvent[] =>
    received.map((r) => r.event).filter((e) => e.payload.call_control_id === callControlId && (type === undefined || e.event_type === type));
  return { received, sink, of };
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

describe('Telnyx simulator through the real SDK', () => {
  const hooks = collector();
  let sim: TelnyxSimulator;
  let client: Telnyx;

  const waitEvent = (callControlId: string, type: string, count = 1): Promise<TelnyxWebhookEvent> =>
    sim.waitFor(() => hooks.of(callControlId, type)[count - 1], 3000);

  async function answeredCall(): Promise<string> {
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    await client.calls.actions.answer(call.callControlId, { command_id: randomUUID() });
    await waitEvent(call.callControlId, 'call.answered');
    return call.callControlId;
  }

  beforeAll(async () => {
    sim = await startTelnyxSimulator({ deliver: hooks.sink, timeScale, seed: 42 });
    client = new Telnyx({ apiKey: 'test', baseURL: sim.baseUrl, maxRetries: 0 });
  });
  afterAll(async () => {
    await sim.stop();
  });
  afterEach(() => {
    sim.setFaults({ duplicateRate: 0, commandErrorRate: 0, failCommands: undefined });
    expect(sim.errors).toEqual([]);
  });

  it('answer emits call.answered carrying the client_state it was given', async () => {
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    const initiated = await waitEvent(call.callControlId, 'call.initiated');
    expect(initiated.payload).toMatchObject({ direction: 'incoming', state: 'parked', from: '+15550001111', to: ourNumber, client_state: null });

    const clientState = b64({ role: 'customer', session: 's1' });
    const response = await client.calls.actions.answer(call.callControlId, { client_state: clientState, command_id: randomUUID() });

    expect(response.data?.result).toBe('ok');
    const answered = await waitEvent(call.callControlId, 'call.answered');
    expect(answered.payload.client_state).toBe(clientState);
    expect(call.state).toBe('answered');
    expect(sim.requests.at(-1)).toMatchObject({ method: 'POST', path: `/v2/calls/${call.callControlId}/actions/answer`, kind: 'answer', status: 200 });
  });

  it('conferences.create emits conference.created and the owner joining with the conference client_state', async () => {
    const id = await answeredCall();
    const clientState = b64({ role: 'customer' });

    const created = await client.conferences.create({ call_control_id: id, name: `conf-${randomUUID()}`, client_state: clientState, command_id: randomUUID() });

    const conferenceId = created.data?.id as string;
    expect(created.data).toMatchObject({ record_type: 'conference', status: 'in_progress' });
    const createdEvent = await waitEvent(id, 'conference.created');
    expect(createdEvent.payload).toMatchObject({ conference_id: conferenceId, call_control_id: id, client_state: clientState });
    expect(createdEvent.occurred_at).toBeUndefined();
    expect(typeof createdEvent.payload.occurred_at).toBe('string');
    const joined = await waitEvent(id, 'conference.participant.joined');
    expect(joined.payload).toMatchObject({ conference_id: conferenceId, call_control_id: id, client_state: clientState });
    expect(sim.conferences.get(conferenceId)?.participants.has(id)).toBe(true);
  });

  it('rejects conferences.create on an unanswered leg with 422', async () => {
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    await expect(client.conferences.create({ call_control_id: call.callControlId, name: 'x' })).rejects.toBeInstanceOf(Telnyx.UnprocessableEntityError);
  });

  it('dial with conference_config joins the conference on answer, without the participant client_state', async () => {
    const id = await answeredCall();
    const conference = await client.conferences.create({ call_control_id: id, name: `conf-${randomUUID()}`, client_state: b64({ owner: true }) });
    const conferenceId = conference.data?.id as string;
    sim.setDialBehavior('+15550300001', { answerAfterMs: 500 });

    const dialed = await client.calls.dial({
      connection_id: 'app-1',
      from: ourNumber,
      to: '+15550300001',
      client_state: b64({ role: 'operator' }),
      command_id: randomUUID(),
      conference_config: { id: conferenceId, early_media: false },
    });

    const operatorId = dialed.data?.call_control_id as string;
    expect(dialed.data).toMatchObject({ record_type: 'call', is_alive: false });
    expect((await waitEvent(operatorId, 'call.initiated')).payload).toMatchObject({ direction: 'outgoing', state: 'bridging' });
    const joined = await waitEvent(operatorId, 'conference.participant.joined');
    const types = hooks.of(operatorId).map((e) => e.event_type);
    expect(types.indexOf('call.answered')).toBeLessThan(types.indexOf('conference.participant.joined'));
    expect(joined.payload).toMatchObject({ conference_id: conferenceId, call_control_id: operatorId });
    expect(joined.payload).not.toHaveProperty('client_state');
    expect((await waitEvent(operatorId, 'call.answered')).payload.client_state).toBe(b64({ role: 'operator' }));
    expect(sim.dials().filter((d) => d.callControlId === operatorId)).toHaveLength(1);
  });

  it('a dial nobody answers ends in call.hangup with cause timeout', async () => {
    sim.setDialBehavior('+15550300002', { noAnswer: true });

    const dialed = await client.calls.dial({ connection_id: 'app-1', from: ourNumber, to: '+15550300002', timeout_secs: 5 });

    const hangup = await waitEvent(dialed.data?.call_control_id as string, 'call.hangup');
    expect(hangup.payload).toMatchObject({ hangup_cause: 'timeout', state: 'hangup' });
    expect(hooks.of(dialed.data?.call_control_id as string, 'call.answered')).toHaveLength(0);
  });

  it('a command on a hung-up leg is a 422 UnprocessableEntityError with code 90018', async () => {
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    call.hangup();
    await waitEvent(call.callControlId, 'call.hangup');

    const error = await client.calls.actions.answer(call.callControlId, {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Telnyx.UnprocessableEntityError);
    expect((error as InstanceType<typeof Telnyx.APIError>).status).toBe(422);
    expect(JSON.stringify((error as InstanceType<typeof Telnyx.APIError>).error)).toContain('90018');
    await expect(client.calls.actions.speak('v3:no-such-leg', { payload: 'hi', voice })).rejects.toBeInstanceOf(Telnyx.UnprocessableEntityError);
  });

  it('ignores a repeated command_id on the same leg, and a repeated dial command_id on any leg', async () => {
    const id = await answeredCall();
    const commandId = randomUUID();

    await client.calls.actions.speak(id, { payload: 'Hello there', voice, command_id: commandId });
    const again = await client.calls.actions.speak(id, { payload: 'Hello there', voice, command_id: commandId });

    expect(again.data?.result).toBe('ok');
    await sim.idle();
    expect(sim.calls.get(id)?.heard).toEqual(['Hello there']);
    expect(hooks.of(id, 'call.speak.started')).toHaveLength(1);
    expect(hooks.of(id, 'call.speak.ended')[0]?.payload.status).toBe('completed');
    expect(sim.commandsFor(id).filter((c) => c.kind === 'speak')).toHaveLength(1);

    const dialId = randomUUID();
    const body = { connection_id: 'app-1', from: ourNumber, to: '+15550300003', command_id: dialId };
    const first = await client.calls.dial(body);
    const second = await client.calls.dial(body);
    expect(second.data?.call_control_id).toBe(first.data?.call_control_id);
    expect(sim.dials().filter((d) => d.commandId === dialId)).toHaveLength(1);
  });

  it('gather_using_speak and a pressed 1 give dtmf.received and gather.ended valid', async () => {
    const id = await answeredCall();
    await client.calls.actions.gatherUsingSpeak(id, { payload: 'Press 1 for an agent, 2 to continue.', voice, valid_digits: '12', maximum_digits: 1, terminating_digit: '', command_id: randomUUID() });
    await waitEvent(id, 'call.speak.started');

    await sim.calls.get(id)?.press('1');

    expect((await waitEvent(id, 'call.dtmf.received')).payload.digit).toBe('1');
    expect((await waitEvent(id, 'call.gather.ended')).payload).toMatchObject({ digits: '1', status: 'valid' });
    expect(sim.calls.get(id)?.heard).toEqual(['Press 1 for an agent, 2 to continue.']);
  });

  it('gather ends invalid on a digit outside valid_digits, and timeout when nothing is pressed', async () => {
    const id = await answeredCall();
    await client.calls.actions.gatherUsingSpeak(id, { payload: 'Menu', voice, valid_digits: '12', maximum_digits: 1, maximum_tries: 1, terminating_digit: '' });
    await sim.calls.get(id)?.press('7');
    expect((await waitEvent(id, 'call.gather.ended')).payload).toMatchObject({ digits: '7', status: 'invalid' });

    await client.calls.actions.gather(id, { maximum_digits: 4, timeout_millis: 2000, gather_id: 'g-1' });
    expect((await waitEvent(id, 'call.gather.ended', 2)).payload).toMatchObject({ digits: '', status: 'timeout', gather_id: 'g-1' });
  });

  it('signs every webhook with Ed25519 over `${timestamp}|${body}`, verifiable by node:crypto and the SDK', async () => {
    await answeredCall();
    const last = hooks.received.at(-1) as Received;
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(sim.publicKeyBase64, 'base64').toString('base64url') }, format: 'jwk' });
    const timestamp = last.headers['telnyx-timestamp'] as string;
    const signature = Buffer.from(last.headers['telnyx-signature-ed25519'] as string, 'base64');

    expect(Buffer.from(sim.publicKeyBase64, 'base64')).toHaveLength(32);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(verify(null, Buffer.from(`${timestamp}|${last.raw}`), key, signature)).toBe(true);
    expect(verify(null, Buffer.from(`${timestamp}|${last.raw} `), key, signature)).toBe(false);
    const verifier = new Telnyx({ apiKey: 'test', publicKey: sim.publicKeyBase64, baseURL: sim.baseUrl });
    const unwrapped = (await verifier.webhooks.unwrap(last.raw, { headers: last.headers })) as { data?: { id?: string } };
    expect(unwrapped.data?.id).toBe(last.event.id);
    const stale = sim.sign(last.raw, Math.floor(Date.now() / 1000) - 400);
    await expect(verifier.webhooks.unwrap(last.raw, { headers: stale })).rejects.toThrow();
    await expect(verifier.webhooks.unwrap(last.raw, { headers: sim.sign(last.raw) })).resolves.toBeTruthy();
  });

  it('duplicateRate 1 delivers every event twice with the same id', async () => {
    sim.setFaults({ duplicateRate: 1 });
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    await client.calls.actions.answer(call.callControlId, {});
    await sim.idle();

    const ids = hooks.received.filter((r) => r.event.payload.call_control_id === call.callControlId).map((r) => r.event.id);
    const uniques = new Set(ids);
    expect(uniques.size).toBe(2); // call.initiated, call.answered
    for (const id of uniques) expect(ids.filter((x) => x === id)).toHaveLength(2);
    expect(sim.webhooks.filter((w) => w.duplicate && w.callControlId === call.callControlId)).toHaveLength(2);
  });

  it("a 503 on 'answer' changes nothing, and the same request then succeeds", async () => {
    sim.setFaults({ commandErrorRate: 1, commandErrorKinds: ['503'], failCommands: new Set(['answer']) });
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    const body = { client_state: b64({ n: 1 }), command_id: randomUUID() };

    const error = await client.calls.actions.answer(call.callControlId, body).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Telnyx.InternalServerError);
    expect((error as InstanceType<typeof Telnyx.APIError>).status).toBe(503);
    await sim.idle();
    expect(call.state).toBe('parked');
    expect(call.clientState).toBeNull();
    expect(hooks.of(call.callControlId, 'call.answered')).toHaveLength(0);

    sim.setFaults({ commandErrorRate: 0 });
    await client.calls.actions.answer(call.callControlId, body);
    expect((await waitEvent(call.callControlId, 'call.answered')).payload.client_state).toBe(body.client_state);
  });

  it('a timed-out command took effect once; the SDK retry with the same command_id is a no-op', async () => {
    const retrying = new Telnyx({ apiKey: 'test', baseURL: sim.baseUrl, maxRetries: 1, timeout: 300 });
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    sim.failNext('answer', 'timeout');

    const response = await retrying.calls.actions.answer(call.callControlId, { command_id: randomUUID() });

    expect(response.data?.result).toBe('ok');
    const log = sim.requests.filter((r) => r.callControlId === call.callControlId && r.kind === 'answer');
    expect(log.map((r) => r.outcome)).toEqual(['fault', 'duplicate']);
    await sim.idle();
    expect(hooks.of(call.callControlId, 'call.answered')).toHaveLength(1);
  });

  it('emits call.transcription only while transcription is on for the leg', async () => {
    const id = await answeredCall();
    const call = sim.calls.get(id);
    call?.say('nobody is listening');
    await client.calls.actions.startTranscription(id, { transcription_engine: 'Telnyx', transcription_tracks: 'inbound' });

    call?.say('this is taking forever');

    const event = await waitEvent(id, 'call.transcription');
    expect(event.payload.transcription_data).toEqual({ transcript: 'this is taking forever', confidence: 0.9, is_final: true, transcription_track: 'inbound' });
    await client.calls.actions.stopTranscription(id, {});
    call?.say('after stop');
    await sim.idle();
    expect(hooks.of(id, 'call.transcription')).toHaveLength(1);
  });

  it('ending a conference makes everyone leave but keeps the legs up; the last one leaving ends it too', async () => {
    const a = await answeredCall();
    const b = await answeredCall();
    const conference = await client.conferences.create({ call_control_id: a, name: `conf-${randomUUID()}` });
    const conferenceId = conference.data?.id as string;
    await client.conferences.actions.join(conferenceId, { call_control_id: b, mute: true });
    await client.conferences.actions.speak(conferenceId, { payload: 'Connecting you now', voice, call_control_ids: [a] });

    await client.conferences.actions.endConference(conferenceId, { command_id: randomUUID() });

    const ended = await sim.waitFor(() => hooks.received.find((r) => r.event.event_type === 'conference.ended' && r.event.payload.conference_id === conferenceId)?.event);
    expect(ended.payload.reason).toBe('ended_via_api');
    expect(hooks.of(a, 'conference.participant.left')).toHaveLength(1);
    expect(hooks.of(b, 'conference.participant.left')).toHaveLength(1);
    expect([sim.calls.get(a)?.state, sim.calls.get(b)?.state]).toEqual(['answered', 'answered']);
    expect(sim.calls.get(a)?.heard).toEqual(['Connecting you now']);
    expect(sim.calls.get(b)?.heard).toEqual([]);
    await expect(client.conferences.actions.join(conferenceId, { call_control_id: a })).rejects.toBeInstanceOf(Telnyx.NotFoundError);

    const second = await client.conferences.create({ call_control_id: a, name: `conf-${randomUUID()}` });
    sim.calls.get(a)?.hangup();
    const allLeft = await sim.waitFor(() => hooks.received.find((r) => r.event.event_type === 'conference.ended' && r.event.payload.conference_id === second.data?.id)?.event);
    expect(allLeft.payload.reason).toBe('all_left');
  });

  it('hangs up an inbound leg that gets no command within the first-command timeout', async () => {
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    const hangup = await waitEvent(call.callControlId, 'call.hangup');
    expect(hangup.payload.hangup_cause).toBe('timeout');
  });

  it('answers 401 without a bearer token', async () => {
    const response = await fetch(`${sim.baseUrl}/calls`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(401);
  });
});

describe('Symbl simulator', () => {
  const hooks = collector();
  let telnyx: TelnyxSimulator;
  let symbl: SymblSimulator;
  let client: Telnyx;
  const credentials = { type: 'application', appId: 'app-id', appSecret: 'app-secret' };

  async function token(): Promise<string> {
    const response = await fetch(`${symbl.baseUrl}/oauth2/token:generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
    const body = (await response.json()) as { accessToken: string };
    return body.accessToken;
  }
  async function call(path: string, accessToken: string | undefined, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${symbl.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: response.status, body: await response.json() };
  }
  const messages = async (accessToken: string, conversationId: string): Promise<{ text: string; sentiment: { polarity: { score: number }; suggested: string } }[]> =>
    ((await call(`/v1/conversations/${conversationId}/messages?sentiment=true`, accessToken)).body as { messages: never[] }).messages;

  beforeAll(async () => {
    telnyx = await startTelnyxSimulator({ deliver: hooks.sink, timeScale, seed: 3 });
    symbl = await startSymblSimulator({ telnyx, appId: credentials.appId, appSecret: credentials.appSecret, symblNumber, timeScale, seed: 3 });
    client = new Telnyx({ apiKey: 'test', baseURL: telnyx.baseUrl, maxRetries: 0 });
  });
  afterAll(async () => {
    await symbl.stop();
    await telnyx.stop();
  });

  it('issues a token for the right credentials only, the same one while it is valid', async () => {
    const before = symbl.tokenRequests;
    const first = await token();
    const second = await token();
    const wrong = await call('/oauth2/token:generate', undefined, { method: 'POST', body: { ...credentials, appSecret: 'nope' } });

    expect(first).toBe(second);
    expect(wrong.status).toBe(401);
    expect(symbl.tokenRequests - before).toBe(3);
  });

  it('answers 401 without a token, with an expired token, and then works with a fresh one', async () => {
    expect((await call('/v1/conversations/1/messages', undefined)).status).toBe(401);
    expect((await call('/v1/endpoint:connect', undefined, { method: 'POST', body: { operation: 'start' } })).status).toBe(401);
    const stale = await token();
    symbl.expireTokens();
    expect((await call('/v1/conversations/1/messages', stale)).status).toBe(401);
    const fresh = await token();
    expect(fresh).not.toBe(stale);
    expect((await call('/v1/conversations/1/messages', fresh)).status).toBe(404);
  });

  it('start makes the Symbl leg call in and key its DTMF; messages follow the script once it is in the conference', async () => {
    const accessToken = await token();
    symbl.onConversation(() => [
      { atMs: 0, text: 'Hi, I have a problem with my bill', score: 0.1 },
      { atMs: 3000, text: 'This is absolutely unacceptable', score: -0.9 },
    ]);
    const customer = telnyx.placeInboundCall({ from: '+15550001111', to: ourNumber });
    await client.calls.actions.answer(customer.callControlId, {});
    const conference = await client.conferences.create({ call_control_id: customer.callControlId, name: `conf-${randomUUID()}` });
    const conferenceId = conference.data?.id as string;

    const started = await call('/v1/endpoint:connect', accessToken, {
      method: 'POST',
      body: {
        operation: 'start',
        endpoint: { type: 'pstn', phoneNumber: ourNumber.slice(1), dtmf: ',,1234567890#' },
        actions: [{ invokeOn: 'stop', name: 'sendSummaryEmail', parameters: { emails: ['ops@example.com'] } }],
      },
    });

    expect(started.status).toBe(201);
    const { connectionId, conversationId } = started.body as { connectionId: string; conversationId: string };
    expect(started.body).toMatchObject({ connectionId: expect.any(String), conversationId: expect.stringMatching(/^\d+$/), eventUrl: expect.any(String), resultWebSocketUrl: expect.any(String) });

    const initiated = await telnyx.waitFor(() => hooks.received.find((r) => r.event.event_type === 'call.initiated' && r.event.payload.from === symblNumber)?.event);
    expect(initiated.payload).toMatchObject({ direction: 'incoming', to: ourNumber });
    const symblLeg = initiated.payload.call_control_id as string;
    await client.calls.actions.answer(symblLeg, {});
    await client.calls.actions.gather(symblLeg, { minimum_digits: 10, maximum_digits: 11, terminating_digit: '#', valid_digits: '0123456789#' });

    const gathered = await telnyx.waitFor(() => hooks.of(symblLeg, 'call.gather.ended')[0]);
    expect(gathered.payload).toMatchObject({ digits: '1234567890', status: 'valid' });
    expect(hooks.of(symblLeg, 'call.dtmf.received').map((e) => e.payload.digit).join('')).toBe('1234567890#');
    expect(await messages(accessToken, conversationId)).toEqual([]);

    await client.conferences.actions.join(conferenceId, { call_control_id: symblLeg, mute: true });
    const early = await telnyx.waitFor(() => symbl.messagesOf(conversationId).find((m) => m.score === 0.1));
    expect(symbl.availableAt(early.id)).toBe(early.availableAt);
    const now = await messages(accessToken, conversationId);
    expect(now.map((m) => m.text)).toEqual(['Hi, I have a problem with my bill']);
    expect(now[0]?.sentiment).toEqual({ polarity: { score: 0.1 }, suggested: 'neutral' });

    await client.calls.actions.speak(customer.callControlId, { payload: 'Please hold', voice });
    customer.say('I want a human', { score: -0.5 });
    const late = symbl.messagesOf(conversationId).find((m) => m.score === -0.9);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (late?.availableAt ?? 0) - Date.now() + 5)));
    const all = await messages(accessToken, conversationId);
    expect(all.map((m) => [m.text, m.sentiment.polarity.score])).toEqual([
      ['Hi, I have a problem with my bill', 0.1],
      ['Please hold', 0],
      ['I want a human', -0.5],
      ['This is absolutely unacceptable', -0.9],
    ]);
    expect(all[3]?.sentiment.suggested).toBe('negative');

    const stopped = await call('/v1/endpoint:connect', accessToken, { method: 'POST', body: { operation: 'stop', connectionId } });
    expect(stopped).toEqual({ status: 200, body: { connectionId, conversationId } });
    await telnyx.waitFor(() => hooks.of(symblLeg, 'call.hangup')[0]);
    expect(symbl.connections.get(connectionId)).toMatchObject({ status: 'stopped', summaryEmailsSent: ['ops@example.com'] });
  });

  it('fails the next requests on demand, then recovers', async () => {
    const accessToken = await token();
    const conversationId = (
      (await call('/v1/endpoint:connect', accessToken, { method: 'POST', body: { operation: 'start', endpoint: { type: 'pstn', phoneNumber: '15550100000', dtmf: '' } } })).body as {
        conversationId: string;
      }
    ).conversationId;
    symbl.failNext('messages', 503, 1);
    symbl.failNext('token', 429, 1);

    expect((await call(`/v1/conversations/${conversationId}/messages?sentiment=true`, accessToken)).status).toBe(503);
    expect((await call(`/v1/conversations/${conversationId}/messages?sentiment=true`, accessToken)).status).toBe(200);
    expect((await call('/oauth2/token:generate', undefined, { method: 'POST', body: credentials })).status).toBe(429);
    symbl.release(conversationId, 'released by hand', 0.6);
    expect((await messages(accessToken, conversationId)).map((m) => m.sentiment.suggested)).toEqual(['positive']);
    expect((await call('/v1/endpoint:connect', accessToken, { method: 'POST', body: { operation: 'start', endpoint: { type: 'pstn', phoneNumber: '+15550100000' } } })).status).toBe(400);
  });
});

describe('Telnyx simulator delivery', () => {
  it('retries a failed delivery with the same event id and a higher attempt', async () => {
    const seen = new Map<string, number>();
    const bodies: { id: string; attempt: number }[] = [];
    const sim = await startTelnyxSimulator({
      timeScale,
      deliver: async (raw) => {
        const { data, meta } = JSON.parse(raw) as { data: { id: string }; meta: { attempt: number } };
        bodies.push({ id: data.id, attempt: meta.attempt });
        const n = (seen.get(data.id) ?? 0) + 1;
        seen.set(data.id, n);
        if (n === 1) return { status: 500 };
        if (n === 2) throw new Error('connection reset');
        return { status: 204 };
      },
    });
    try {
      sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
      await sim.idle();
      expect(bodies.map((b) => b.attempt)).toEqual([1, 2, 3]);
      expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
      expect(sim.webhooks.map((w) => w.status)).toEqual([500, 0, 204]);
    } finally {
      await sim.stop();
    }
  });

  it('reorders deliveries when asked, still delivering every event, and posts signed JSON to a URL sink', async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const sim = await startTelnyxSimulator({ deliver: { url: `http://127.0.0.1:${port}/webhook` }, timeScale, seed: 9, faults: { reorderRate: 1, maxDelayMs: 40 } });
    const client = new Telnyx({ apiKey: 'test', baseURL: sim.baseUrl, maxRetries: 0 });
    try {
      const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
      await client.calls.actions.answer(call.callControlId, {});
      await client.calls.actions.speak(call.callControlId, { payload: 'Hi', voice });
      await sim.idle();

      expect(received).toHaveLength(call.events.length);
      expect(new Set(received.map((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id))).toEqual(new Set(call.events.map((e) => e.id)));
      expect(sim.webhooks.every((w) => w.delayed)).toBe(true);
      expect(received[0]?.headers['telnyx-signature-ed25519']).toEqual(expect.any(String));
      expect(received[0]?.headers['content-type']).toBe('application/json');
    } finally {
      await sim.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Telnyx simulator: refused dials, outages, screening and delivery like Telnyx', () => {
  const hooks = collector();
  let sim: TelnyxSimulator;
  let client: Telnyx;

  beforeAll(async () => {
    sim = await startTelnyxSimulator({ deliver: hooks.sink, timeScale, seed: 5, callPromptsInConference: 'refused' });
    client = new Telnyx({ apiKey: 'test', baseURL: sim.baseUrl, maxRetries: 0 });
  });
  afterAll(async () => {
    await sim.stop();
  });
  afterEach(() => {
    expect(sim.errors).toEqual([]);
  });

  async function answeredCall(): Promise<string> {
    const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
    await client.calls.actions.answer(call.callControlId, {});
    return call.callControlId;
  }

  it('a refused dial is a PermissionDeniedError with a Telnyx error body, and no leg or webhook follows', async () => {
    sim.setDialBehavior('+15550400001', { refused: 403 });
    const delivered = hooks.received.length;

    const error = await client.calls.dial({ connection_id: 'app-1', from: ourNumber, to: '+15550400001', command_id: randomUUID() }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Telnyx.PermissionDeniedError);
    expect(JSON.stringify((error as InstanceType<typeof Telnyx.APIError>).error)).toContain('10010');
    await sim.idle();
    expect(hooks.received.length).toBe(delivered);
    expect(sim.dials().filter((d) => d.to === '+15550400001')).toEqual([]);
    expect(sim.dialOutcomes().filter((d) => d.to === '+15550400001').map((d) => d.result)).toEqual(['refused']);
  });

  it("an outage on 'dial' answers 503 to every try of the SDK inside its window, and the dial works after it", async () => {
    const retrying = new Telnyx({ apiKey: 'test', baseURL: sim.baseUrl, maxRetries: 2 });
    const now = sim.model.nowMs();
    const endOutage = sim.outage({ kinds: ['dial'], fromMs: now, untilMs: now + 60_000 });
    const body = { connection_id: 'app-1', from: ourNumber, to: '+15550400002', command_id: randomUUID() };

    const error = await retrying.calls.dial(body).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Telnyx.InternalServerError);
    const tries = sim.requests.filter((r) => r.kind === 'dial' && r.commandId === body.command_id);
    expect(tries.map((r) => [r.status, r.outcome, r.fault])).toEqual([
      [503, 'fault', '503'],
      [503, 'fault', '503'],
      [503, 'fault', '503'],
    ]);
    expect(sim.dials().filter((d) => d.commandId === body.command_id)).toEqual([]);
    expect((await client.calls.actions.answer(sim.placeInboundCall({ from: '+15550001111', to: ourNumber }).callControlId, {})).data?.result).toBe('ok');
    endOutage();
    expect((await retrying.calls.dial(body)).data?.call_control_id).toEqual(expect.any(String));
    expect(sim.dials().filter((d) => d.commandId === body.command_id)).toHaveLength(1);
  });

  it('a voicemail answering a dial with answering_machine_detection is reported as a machine, then its beep', async () => {
    sim.setDialBehavior('+15550400003', { answerAfterMs: 300, kind: 'voicemail' });

    const dialed = await client.calls.dial({ connection_id: 'app-1', from: ourNumber, to: '+15550400003', answering_machine_detection: 'detect_beep', command_id: randomUUID() });

    const id = dialed.data?.call_control_id as string;
    const greeting = await sim.waitFor(() => hooks.of(id, 'call.machine.greeting.ended')[0], 3000);
    expect(hooks.of(id, 'call.machine.detection.ended')[0]?.payload.result).toBe('machine');
    expect(greeting.payload.result).toBe('beep_detected');
  });

  it('refuses call-level speak on a conference participant (as configured), and gather_using_audio gathers that participant’s keys', async () => {
    const a = await answeredCall();
    const b = await answeredCall();
    const conference = await client.conferences.create({ call_control_id: a, name: `conf-${randomUUID()}` });
    const conferenceId = conference.data?.id as string;
    await client.conferences.actions.join(conferenceId, { call_control_id: b });

    await expect(client.calls.actions.speak(b, { payload: 'Press 1', voice })).rejects.toBeInstanceOf(Telnyx.UnprocessableEntityError);
    await client.conferences.actions.gatherDtmfAudio(conferenceId, { call_control_id: b, audio_url: 'https://example.test/press-1.mp3', maximum_digits: 1, valid_digits: '12' });
    await sim.calls.get(b)?.press('1');

    expect((await sim.waitFor(() => hooks.of(b, 'call.gather.ended')[0])).payload).toMatchObject({ digits: '1', status: 'valid' });
    expect(hooks.of(b, 'call.dtmf.received').map((e) => e.payload.digit)).toEqual(['1']);
    expect(sim.calls.get(b)?.heard).toEqual(['https://example.test/press-1.mp3']);
  });
});

describe("Telnyx simulator delivery in the 'telnyx' mode", () => {
  it('tries the primary once and the failover once, then gives up; a retry policy set on answer adds its retries', async () => {
    const attempts: { id: string; type: string; attempt: number; to: string }[] = [];
    const failing = (to: string) => async (raw: string) => {
      const { data, meta } = JSON.parse(raw) as { data: { id: string; event_type: string }; meta: { attempt: number } };
      attempts.push({ id: data.id, type: data.event_type, attempt: meta.attempt, to });
      return { status: 500 };
    };
    const sim = await startTelnyxSimulator({ timeScale, delivery: 'telnyx', deliver: failing('primary'), failover: failing('failover') });
    const client = new Telnyx({ apiKey: 'test', baseURL: sim.baseUrl, maxRetries: 0 });
    try {
      const call = sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
      await client.calls.actions.answer(call.callControlId, { webhook_retries_policies: { 'call.answered': { retries_ms: [100, 200] } } });
      await sim.idle();

      const of = (type: string) => attempts.filter((a) => a.type === type).map((a) => `${a.attempt} ${a.to}`);
      expect(of('call.initiated')).toEqual(['1 primary', '2 failover']);
      expect(of('call.answered')).toEqual(['1 primary', '2 primary', '3 primary', '4 failover']);
      expect(sim.webhooks.filter((w) => w.event_type === 'call.answered').map((w) => w.target)).toEqual(['primary', 'primary', 'primary', 'failover']);
      await expect(client.calls.actions.answer(call.callControlId, { webhook_retries_policies: { 'call.hangup': { retries_ms: [60_001] } } })).rejects.toBeInstanceOf(
        Telnyx.UnprocessableEntityError,
      );
    } finally {
      await sim.stop();
    }
  });

  it('without a failover URL an event that fails once is given up', async () => {
    let deliveries = 0;
    const sim = await startTelnyxSimulator({ timeScale, delivery: 'telnyx', deliver: async () => ((deliveries += 1), { status: 503 }) });
    try {
      sim.placeInboundCall({ from: '+15550001111', to: ourNumber });
      await sim.idle();
      expect(deliveries).toBe(1);
      expect(sim.webhooks.map((w) => [w.attempt, w.status, w.target])).toEqual([[1, 503, 'primary']]);
    } finally {
      await sim.stop();
    }
  });
});
