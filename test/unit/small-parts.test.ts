import { describe, expect, it } from 'vitest';
import { codeFromDigits, codeFromGather } from '../../lib/core/analyzer-code.js';
import { decodeClientState, encodeClientState } from '../../lib/telnyx/client-state.js';
import { commandId, stampCommands } from '../../lib/core/command-ids.js';
import { maskPhone } from '../../lib/core/masking.js';
import { parseQueueMessage } from '../../lib/scheduler/poll-queue.js';
import { sessionIdCandidates } from '../../lib/core/session-ids.js';

const digits = (sequence: string, order?: number[]) =>
  [...sequence].map((digit, i) => ({ digit, atMs: 1000 + i * 100, eventId: `e${i}` })).map((d, i, all) => (order ? all[order[i]!]! : d));

describe('session code from the analyzer leg', () => {
  it('reads ten digits before # in time order, whatever order the webhooks came in', () => {
    const all = digits('0123456789#');
    expect(codeFromDigits(all)).toBe('0123456789');
    expect(codeFromDigits([...all].reverse())).toBe('0123456789');
  });

  it('is undefined until complete, and ignores duplicates', () => {
    const all = digits('0123456789#');
    expect(codeFromDigits(all.slice(0, 10))).toBeUndefined();
    expect(codeFromDigits(all.filter((d) => d.digit !== '5'))).toBeUndefined();
    expect(codeFromDigits([...all, all[3]!, all[3]!])).toBe('0123456789');
  });

  it('takes a code from a gather, with or without the #', () => {
    expect(codeFromGather('0123456789')).toBe('0123456789');
    expect(codeFromGather('0123456789#')).toBe('0123456789');
    expect(codeFromGather('12345')).toBeUndefined();
  });
});

describe('client state', () => {
  it('round-trips and stays short', () => {
    const encoded = encodeClientState({ sessionId: '0123456789', role: 'operator', attempt: 1, round: 0 });
    expect(decodeClientState(encoded)).toEqual({ sessionId: '0123456789', role: 'operator', attempt: 1, round: 0 });
    expect(encoded.length).toBeLessThan(80);
  });
});

describe('command ids', () => {
  it('are stable for the same event, distinct by position and kind', () => {
    expect(commandId('evt', 0, 'answer')).toBe(commandId('evt', 0, 'answer'));
    expect(commandId('evt', 0, 'answer')).not.toBe(commandId('evt', 1, 'answer'));
    expect(commandId('evt', 0, 'answer')).not.toBe(commandId('evt', 0, 'hangup'));
    expect(commandId('evt', 0, 'answer')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const stamped = stampCommands('e', [{ kind: 'hangup', callControlId: 'a' }, { kind: 'hangup', callControlId: 'b' }]);
    expect(stamped[0]!.commandId).not.toBe(stamped[1]!.commandId);
  });
});

describe('session ids', () => {
  it('are ten digits, the same for the same call, different candidates on collision', () => {
    const a = [...sessionIdCandidates('v3:call-a')];
    expect(a).toHaveLength(5);
    expect(a.every((id) => /^\d{10}$/.test(id))).toBe(true);
    expect(new Set(a).size).toBe(5);
    expect([...sessionIdCandidates('v3:call-a')]).toEqual(a);
    expect([...sessionIdCandidates('v3:call-b')][0]).not.toBe(a[0]);
  });
});

describe('masking phone numbers', () => {
  it.each([
    ['+14155550123', '+1********23'],
    ['4155550123', '********23'],
    ['', ''],
    ['123', '***'],
  ])('%s -> %s', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });
});

describe('poll queue messages', () => {
  it('parses ours and refuses anything else', () => {
    expect(parseQueueMessage('{"kind":"poll","sessionId":"0123456789","seq":3}')).toEqual({ kind: 'poll', sessionId: '0123456789', seq: 3 });
    expect(parseQueueMessage('{"kind":"analyzer-timeout","sessionId":"0123456789"}')).toEqual({ kind: 'analyzer-timeout', sessionId: '0123456789' });
    for (const body of ['', 'nope', '{"kind":"poll","sessionId":"x","seq":1}', '{"kind":"poll","sessionId":"0123456789","seq":-1}', '{"kind":"other"}']) {
      expect(parseQueueMessage(body)).toBeUndefined();
    }
  });
});
