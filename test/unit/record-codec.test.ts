import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCallFlow, newSession } from '../../lib/core/call-flow.js';
import { stampCommands } from '../../lib/core/command-ids.js';
import type { SessionRecord } from '../../lib/core/model.js';
import { decide, firstRecord, wakeupEvent } from '../../lib/core/records.js';
import { bodyAttribute, packRecord, unpackRecord } from '../../lib/store/record-codec.js';
import { settings } from './flow-settings.js';

const session = newSession({ id: '0123456789', customerCallControlId: 'v3:customer', fromMasked: '+1*******00', conferenceNamePrefix: 'ivr', source: 'telnyx' }, 1_700_000_000_000);
const commands = stampCommands('e1', [
  { kind: 'answer', callControlId: 'v3:customer', tag: { sessionId: '0123456789', role: 'customer' } },
  { kind: 'scheduleWakeup', wakeup: { kind: 'check', sessionId: '0123456789' }, delaySeconds: 300 },
]);
const record: SessionRecord = {
  session,
  seenEventIds: ['e1', 'e2'],
  effects: [
    { eventId: 'e1', atMs: 1, commands },
    // A command whose id is not the one its place gives it keeps that id.
    { eventId: 'e2', atMs: 2, commands: [{ ...commands[0]!, commandId: 'kept-as-is' }] },
  ],
};

describe('session item bodies', () => {
  it('give back the very record they packed, command ids included', () => {
    expect(unpackRecord({ [bodyAttribute]: packRecord(record) })).toEqual(record);
  });

  it('are much smaller than the record as JSON', () => {
    const bigger: SessionRecord = { ...record, effects: Array.from({ length: 20 }, (_, i) => ({ eventId: `event-${i}`, atMs: i, commands: stampCommands(`event-${i}`, commands) })) };
    expect(packRecord(bigger).length).toBeLessThan(JSON.stringify(bigger).length / 3);
  });

  it('name their dictionary in their first byte; its prompts and keys make a body smaller than plain compression would', () => {
    const body = packRecord(record);
    expect(body[0]).toBe(1);
    const plain = deflateRawSync(JSON.stringify(record));
    expect(body.length).toBeLessThan(plain.length * 0.7);
    expect(() => unpackRecord({ [bodyAttribute]: Uint8Array.of(9, ...body.subarray(1)) })).toThrow(/unknown version 9/);
  });

  it('read items written before bodies were packed', () => {
    expect(unpackRecord({ session, seenEventIds: ['e1'], effects: [] })).toEqual({ session, seenEventIds: ['e1'], effects: [] });
    expect(unpackRecord({ session })).toEqual({ session, seenEventIds: [], effects: [] });
  });

  it('stay small through an hour of a Symbl call whose polls hear something every four seconds', () => {
    // Ids as SQS and Symbl give them: as random as a UUID, so compression cannot hide them.
    const uuid = (seed: string) => createHash('sha256').update(seed).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
    const transition = createCallFlow(settings);
    const t0 = 1_700_000_000_000;
    const symblSession = newSession({ id: '0123456789', customerCallControlId: 'v3:customer', fromMasked: '+1*******00', conferenceNamePrefix: 'ivr', source: 'symbl' }, t0);
    let current = firstRecord(transition, symblSession, { type: 'customer.incoming', id: uuid('incoming'), callControlId: 'v3:customer' }, t0).record;
    const sizeAt = new Map<number, number>();
    for (let second = 4; second <= 3600; second += 4) {
      const atMs = t0 + second * 1000;
      const event = wakeupEvent({ kind: 'poll', sessionId: '0123456789', seq: second }, uuid(`message-${second}`), [{ id: uuid(`said-${second}`), text: 'it is fine I guess', score: 0.1, atMs }]);
      const decision = decide(transition, current, event, atMs + 300);
      if (decision.kind === 'changed') current = decision.record;
      if (second % 600 === 0) sizeAt.set(second / 60, packRecord(current).length);
    }
    // Every write rewrites the item, and DynamoDB bills it by the kilobyte: an hour in it is no bigger than ten minutes in.
    expect(sizeAt.get(60)!).toBeLessThan(3 * 1024);
    expect(sizeAt.get(60)!).toBeLessThanOrEqual(sizeAt.get(10)! * 1.1);
  });
});
