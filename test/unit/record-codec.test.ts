import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { newSession } from '../../lib/core/call-flow.js';
import { stampCommands } from '../../lib/core/command-ids.js';
import type { SessionRecord } from '../../lib/core/model.js';
import { bodyAttribute, packRecord, unpackRecord } from '../../lib/store/record-codec.js';

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
});
