import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createCallsRuntime } from '../../lib/app/calls-runtime.js';
import type { CallsApi } from '../../lib/app/calls-api.js';
import { prompts } from '../../lib/core/prompts.js';
import { createAfinnScorer } from '../../lib/sentiment/afinn-scorer.js';
import { numbers, type Harness } from '../../local/harness.js';
import type { SimCall } from '../../local/sim/index.js';
import { bodyAttribute, unpackRecord } from '../../lib/store/record-codec.js';
import { localWorld } from '../support/lifecycle.js';

const world = localWorld();

async function apiOf(h: Harness): Promise<CallsApi> {
  return createCallsRuntime({ tableName: h.config.tableName, policy: h.config.policy }, { log: h.log, dynamo: world.aws.dynamo });
}

const get = async (api: CallsApi, path: string, query: Record<string, string> = {}) => {
  const response = await api({ path, query });
  return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> & { calls?: Record<string, unknown>[] } };
};

async function listening(h: Harness, from: string): Promise<SimCall> {
  const customer = h.call(from);
  await h.telnyx.waitFor(() => customer.heard.includes(prompts.menu) && customer.transcribing, 15_000);
  return customer;
}

describe('the call record API against DynamoDB Local', () => {
  it('lists live and ended calls newest first, pages with a cursor, and shows one call whole, masked and redacted', async () => {
    const h = await world.harness({ source: 'telnyx', scorer: createAfinnScorer() });
    const api = await apiOf(h);
    const calm = await listening(h, '+15550101001');
    calm.say('hi my card is 4111 1111 1111 1111 and my mail is pat@example.com');
    await h.settle();
    calm.hangup();
    await h.settle();
    const angry = await listening(h, '+15550101002');
    angry.say('this is absolutely terrible, I am furious');
    await h.telnyx.waitFor(() => h.telnyx.dials().length === 1, 10_000);
    await h.settle();
    angry.hangup();
    await h.settle();
    const live = await listening(h, '+15550101003');

    const liveList = await get(api, '/calls', { status: 'live' });
    expect(liveList.status).toBe(200);
    expect(liveList.body.calls!.map((c) => c.callerMasked)).toEqual(['+1********03']);
    const ended = await get(api, '/calls', { status: 'ended' });
    expect(ended.body.calls!.map((c) => c.callerMasked)).toEqual(['+1********02', '+1********01']);
    expect(ended.body.calls![0]).toMatchObject({ status: 'ended', state: 'ended', escalation: { rule: 'utterance', status: 'connected' } });
    expect(ended.body.calls![0]!.lastScore).toBeLessThanOrEqual(-0.7);

    const first = await get(api, '/calls', { status: 'ended', limit: '1' });
    expect(first.body.calls).toHaveLength(1);
    expect(typeof first.body.cursor).toBe('string');
    const second = await get(api, '/calls', { status: 'ended', limit: '1', cursor: first.body.cursor as string });
    expect(second.body.calls!.map((c) => c.callerMasked)).toEqual(['+1********01']);

    const session = (await h.sessionOf(angry))!.session;
    const detail = await get(api, `/calls/${session.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      sessionId: session.id,
      status: 'ended',
      callerMasked: '+1********02',
      escalation: { reason: { rule: 'utterance' }, attempts: [{ to: '+1********01', status: 'connected', outcome: 'answered' }], status: 'connected' },
      thresholds: { utterance: -0.7, window: -0.45, negative: -0.3 },
    });
    expect(detail.body.utterances).toEqual([expect.objectContaining({ text: 'this is absolutely terrible, I am furious' })]);
    const timeline = (detail.body.timeline as { kind: string; text: string }[]).map((e) => e.kind);
    expect(timeline).toEqual(expect.arrayContaining(['call', 'menu', 'escalation', 'operator', 'end']));

    // Nothing the API answers carries a full number; nothing stored carries the card or the mail.
    const everything = JSON.stringify([liveList.body, ended.body, detail.body, (await get(api, `/calls/${(await h.sessionOf(calm))!.session.id}`)).body]);
    for (const number of [numbers.conference, ...numbers.operators, '+15550101001', '+15550101002', '+15550101003']) expect(everything).not.toContain(number.slice(2));
    // Session items' bodies are compressed: read them as the store does.
    const scanned = (await world.aws.documents.send(new ScanCommand({ TableName: h.config.tableName }))).Items ?? [];
    const items = JSON.stringify(scanned.map((item) => (item[bodyAttribute] ? { ...item, [bodyAttribute]: unpackRecord(item) } : item)));
    expect(items).not.toContain('4111');
    expect(items).not.toContain('pat@example.com');
    expect(items).toContain('[card number]');
    expect(items).toContain('[email]');
    live.hangup();
  });

  it.each([
    [{ status: 'open' }, 400, /status must be live or ended/],
    [{ limit: '0' }, 400, /limit must be a whole number from 1 to 100/],
    [{ limit: 'ten' }, 400, /limit/],
    [{ limit: '101' }, 400, /limit/],
    [{ sort: 'asc' }, 400, /unknown query parameter sort/],
    [{ cursor: 'not-a-cursor' }, 400, /cursor/],
    [{ cursor: Buffer.from(JSON.stringify({ s: 'ended', p: 'S#0000000001', k: `${'0'.repeat(15)}#0000000001` })).toString('base64url') }, 400, /cursor is not one this API gave for status=live/],
  ] as const)('refuses %o with %i naming what was wrong', async (query, status, message) => {
    const h = await world.harness({ source: 'telnyx', scorer: createAfinnScorer(), withPoller: false });
    const response = await get(await apiOf(h), '/calls', { ...query });
    expect(response.status).toBe(status);
    expect(response.body.error).toMatch(message);
  });

  it('answers 404 with a JSON error for an unknown call, 400 for an id that is not one', async () => {
    const h = await world.harness({ source: 'telnyx', scorer: createAfinnScorer(), withPoller: false });
    const api = await apiOf(h);
    expect(await get(api, '/calls/0000000000')).toEqual({ status: 404, body: { error: 'no call 0000000000' } });
    expect(await get(api, '/calls/..%2F..%2Fetc')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/sessionId/) } });
    expect(await get(api, '/nothing')).toMatchObject({ status: 404 });
  });
});
