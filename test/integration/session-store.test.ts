import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession } from '../../lib/core/call-flow.js';
import type { SessionRecord } from '../../lib/core/model.js';
import { createDynamoSessionStore, type SessionStore } from '../../lib/store/session-store.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalAws, type LocalAws } from '../../local/local-aws.js';

let aws: LocalAws;
let store: SessionStore;
let tableName: string;
const now = 1_750_000_000_000;

beforeAll(async () => {
  aws = await startLocalAws();
  tableName = await aws.newTable();
  store = await createDynamoSessionStore({ client: aws.documents, tableName, retentionDays: 30, nowMs: () => now });
});
afterAll(async () => aws?.stop());

const record = (id: string, version = 1): SessionRecord => ({
  session: { ...newSession({ id, customerCallControlId: `v3:${id}`, fromMasked: '+1***00', conferenceNamePrefix: 'ivr', source: 'symbl' }, now), version },
  seenEventIds: ['e1'],
  effects: [],
});

describe('DynamoDB session store', () => {
  it('creates once; a second create of the same id is refused and changes nothing', async () => {
    expect(await store.create(record('1000000001'), [{ kind: 'leg', callControlId: 'v3:1000000001', role: 'customer' }])).toBe('created');
    const other = { ...record('1000000001'), seenEventIds: ['other'] };
    expect(await store.create(other, [])).toBe('exists');
    expect((await store.get('1000000001'))?.seenEventIds).toEqual(['e1']);
    expect(await store.findByLeg('v3:1000000001')).toEqual({ sessionId: '1000000001', role: 'customer' });
  });

  it('saves only over the version it read; a stale writer gets a conflict', async () => {
    await store.create(record('1000000002'), []);
    const v2 = record('1000000002', 2);
    expect(await store.save(v2, [])).toEqual({ outcome: 'saved' });
    const staleV2 = { ...record('1000000002', 2), seenEventIds: ['stale'] };
    expect(await store.save(staleV2, [])).toMatchObject({ outcome: 'conflict', current: { session: { version: 2 }, seenEventIds: ['e1'] } });
    expect((await store.get('1000000002'))?.seenEventIds).toEqual(['e1']);
  });

  it('writes look-ups with the session in one transaction, or neither', async () => {
    await store.create(record('1000000003'), []);
    const stale = record('1000000003', 5);
    expect((await store.save(stale, [{ kind: 'conference', conferenceId: 'conf-x' }])).outcome).toBe('conflict');
    expect(await store.findByConference('conf-x')).toBeUndefined();
    expect((await store.save(record('1000000003', 2), [{ kind: 'conference', conferenceId: 'conf-x' }])).outcome).toBe('saved');
    expect(await store.findByConference('conf-x')).toBe('1000000003');
  });

  it('puts a TTL on every item it writes', async () => {
    await store.create(record('1000000004'), [{ kind: 'leg', callControlId: 'v3:ttl', role: 'customer' }]);
    await store.addAnalyzerDigit('v3:digits-ttl', { digit: '1', atMs: now, eventId: 'd1' });
    const expected = Math.floor(now / 1000) + 30 * 86_400;
    for (const pk of ['S#1000000004', 'L#v3:ttl', 'L#v3:digits-ttl']) {
      const item = (await aws.documents.send(new GetCommand({ TableName: tableName, Key: { pk } }))).Item;
      expect(item?.ttl, pk).toBe(expected);
    }
  });

  it('collects analyzer digits one webhook at a time; a duplicate does not add a digit', async () => {
    await store.addAnalyzerDigit('v3:an', { digit: '4', atMs: now + 2, eventId: 'x2' });
    await store.addAnalyzerDigit('v3:an', { digit: '9', atMs: now + 1, eventId: 'x1' });
    const out = await store.addAnalyzerDigit('v3:an', { digit: '4', atMs: now + 2, eventId: 'x2' });
    expect(out.sessionId).toBeUndefined();
    expect(out.digits.map((d) => d.eventId).sort()).toEqual(['x1', 'x2']);
  });

  it('gives a claim to one caller only, and says whether it is taken without taking it', async () => {
    expect(await store.isClaimed('done:c1')).toBe(false);
    const takers = await Promise.all([store.claim('done:c1'), store.claim('done:c1'), store.claim('done:c1')]);
    expect(takers.filter(Boolean)).toHaveLength(1);
    expect(await store.isClaimed('done:c1')).toBe(true);
    expect(await store.isClaimed('done:c2')).toBe(false);
  });

  it('returns nothing for unknown ids', async () => {
    expect(await store.get('9999999999')).toBeUndefined();
    expect(await store.findByLeg('v3:none')).toBeUndefined();
    expect(await store.findByConference('none')).toBeUndefined();
  });
});
