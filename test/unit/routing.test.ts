import { describe, expect, it } from 'vitest';
import type { HeardDigit } from '../../lib/core/analyzer-code.js';
import type { LegTag } from '../../lib/core/model.js';
import { callerKeyOf, route, routeOutcome, type Found, type InboundEvent, type Route, type RoutingSettings } from '../../lib/core/routing.js';
import { sessionIdCandidates } from '../../lib/core/session-ids.js';

const NOW = 1_700_000_000_000;
const SESSION = '0123456789';
const symbl: RoutingSettings = { source: 'symbl', analyzerNumbers: ['+15550009999'], conferenceNamePrefix: 'ivr', conferenceNumber: '+15550001000', scoresTranscripts: false, analyzerIdentifySeconds: 30 };
const telnyx: RoutingSettings = { source: 'telnyx', analyzerNumbers: [], conferenceNamePrefix: 'ivr', conferenceNumber: '+15550001000', scoresTranscripts: true, analyzerIdentifySeconds: 30 };

type Body = InboundEvent extends infer E ? (E extends InboundEvent ? Omit<E, 'id' | 'occurredAtMs' | 'tag'> : never) : never;
const ev = (body: Body, tag?: LegTag, occurredAtMs?: number): InboundEvent => ({ id: 'evt-1', occurredAtMs, tag, ...body }) as InboundEvent;

const customer: LegTag = { sessionId: SESSION, role: 'customer' };
const operator: LegTag = { sessionId: SESSION, role: 'operator', attempt: 1, round: 0 };
const analyzer: LegTag = { role: 'analyzer' };

/** Routes with the given answers to whatever look-ups are asked; returns the look-ups asked and the final route. */
function routeWith(event: InboundEvent, answers: Found, settings = symbl): { asked: string[]; final: Route } {
  const asked: string[] = [];
  let found: Found = {};
  for (let i = 0; i < 6; i++) {
    const r = route(event, found, settings, NOW);
    if (r.kind !== 'look-up') return { asked, final: r };
    asked.push(r.lookup.kind);
    const key = r.lookup.kind === 'analyzer-digit' ? 'digits' : r.lookup.kind === 'caller' ? 'analyzerCaller' : r.lookup.kind;
    const answer = (answers as Record<string, unknown>)[key];
    found = { ...found, [key]: answer === undefined ? null : answer };
  }
  throw new Error('routing kept asking');
}

const code = (text: string): HeardDigit[] => [...text].map((digit, i) => ({ digit, atMs: NOW + i, eventId: `d${i}` }));

describe('routing: which session an event belongs to, and as what', () => {
  it.each<[string, InboundEvent, Found, string[], Record<string, unknown>]>([
    ['an ignored event type', ev({ type: 'ignored', eventType: 'call.bridged' }), {}, [], { kind: 'ignore', outcome: 'ignored' }],
    [
      'answered, tagged: straight to the tagged session, no look-up',
      ev({ type: 'call.answered', callControlId: 'v3:c' }, customer),
      {},
      [],
      { kind: 'session', sessionId: SESSION, event: { type: 'call.answered', id: 'evt-1', callControlId: 'v3:c' } },
    ],
    [
      'hangup, untagged: found by its leg',
      ev({ type: 'call.hangup', callControlId: 'v3:c', cause: 'normal_clearing' }, undefined, NOW - 5),
      { leg: { sessionId: SESSION, role: 'customer' } },
      ['leg'],
      { kind: 'session', sessionId: SESSION, event: { type: 'call.hangup', id: 'evt-1', callControlId: 'v3:c', cause: 'normal_clearing', occurredAtMs: NOW - 5 } },
    ],
    ['hangup of a leg nobody knows', ev({ type: 'call.hangup', callControlId: 'v3:x', cause: 'normal_clearing' }), {}, ['leg'], { kind: 'ignore', outcome: 'unknown-leg' }],
    [
      'an operator leg answering carries which attempt dialed it',
      ev({ type: 'call.answered', callControlId: 'v3:o' }, operator),
      {},
      [],
      { kind: 'session', event: { type: 'call.answered', id: 'evt-1', callControlId: 'v3:o', operator: { attempt: 1, round: 0 } } },
    ],
    [
      'an outgoing operator leg',
      ev({ type: 'call.outgoing', callControlId: 'v3:o' }, operator),
      {},
      [],
      { kind: 'session', event: { type: 'operator.initiated', id: 'evt-1', callControlId: 'v3:o', operator: { attempt: 1, round: 0 } } },
    ],
    ['an outgoing leg that is not ours', ev({ type: 'call.outgoing', callControlId: 'v3:o' }), {}, [], { kind: 'ignore', outcome: 'ignored' }],
    [
      'a customer keypress',
      ev({ type: 'keypad.digit', callControlId: 'v3:c', digit: '1' }, customer, NOW - 3),
      {},
      [],
      { kind: 'session', event: { type: 'call.dtmf', id: 'evt-1', callControlId: 'v3:c', digit: '1', occurredAtMs: NOW - 3 } },
    ],
    [
      'the menu gather ending',
      ev({ type: 'keypad.gathered', callControlId: 'v3:c', digits: '2', status: 'valid' }, customer),
      {},
      [],
      { kind: 'session', event: { type: 'gather.ended', id: 'evt-1', callControlId: 'v3:c', digits: '2', status: 'valid' } },
    ],
    [
      'conference created: the owner’s tag names the session',
      ev({ type: 'conference.created', conferenceId: 'conf', callControlId: 'v3:c' }, customer),
      {},
      [],
      { kind: 'session', event: { type: 'conference.created', id: 'evt-1', conferenceId: 'conf', callControlId: 'v3:c' } },
    ],
    [
      'a participant joining, untagged: found by the conference',
      ev({ type: 'conference.joined', conferenceId: 'conf', callControlId: 'v3:o' }),
      { conference: SESSION },
      ['conference'],
      { kind: 'session', sessionId: SESSION, event: { type: 'participant.joined', id: 'evt-1', conferenceId: 'conf', callControlId: 'v3:o' } },
    ],
    [
      'a participant joining before the conference is known: found by the leg',
      ev({ type: 'conference.joined', conferenceId: 'conf', callControlId: 'v3:a' }),
      { leg: { sessionId: SESSION, role: 'analyzer' } },
      ['conference', 'leg'],
      { kind: 'session', sessionId: SESSION, event: { type: 'participant.joined' } },
    ],
    ['a participant of a conference nobody knows', ev({ type: 'conference.left', conferenceId: 'x', callControlId: 'v3:x' }), {}, ['conference', 'leg'], { kind: 'ignore', outcome: 'unknown-conference' }],
    ['a conference ending', ev({ type: 'conference.ended', conferenceId: 'conf' }), { conference: SESSION }, ['conference'], { kind: 'session', event: { type: 'conference.ended', id: 'evt-1', conferenceId: 'conf' } }],
    ['an unknown conference ending', ev({ type: 'conference.ended', conferenceId: 'x' }), {}, ['conference'], { kind: 'ignore', outcome: 'unknown-conference' }],
  ])('%s', (_name, event, answers, lookups, expected) => {
    const { asked, final } = routeWith(event, answers);
    expect(asked).toEqual(lookups);
    expect(final).toMatchObject(expected);
  });

  it('a customer calling starts a session: candidates derived from the leg, the caller masked', () => {
    const { final, asked } = routeWith(ev({ type: 'call.incoming', callControlId: 'v3:c', from: '+14155550123', to: '+15550001000' }), { analyzerCaller: false });
    expect(asked).toEqual(['caller']);
    expect(final.kind).toBe('start');
    if (final.kind !== 'start') return;
    expect(final.candidates.map((s) => s.id)).toEqual([...sessionIdCandidates('v3:c')]);
    expect(final.candidates[0]).toMatchObject({
      customer: { callControlId: 'v3:c', fromMasked: '+1********23', callerKey: callerKeyOf('+14155550123') },
      conference: { name: `ivr-${final.candidates[0]!.id}` },
      createdAtMs: NOW,
    });
    expect(final.event).toEqual({ type: 'customer.incoming', id: 'evt-1', callControlId: 'v3:c' });
  });

  it('the analyzer calling in (Symbl source): answered and asked for its code, with no session yet', () => {
    const { final } = routeWith(ev({ type: 'call.incoming', callControlId: 'v3:a', from: '+15550009999', to: '+15550001000' }), {});
    expect(final).toMatchObject({ kind: 'leg', outcome: 'analyzer-answered' });
    if (final.kind !== 'leg') return;
    expect(final.commands.map((c) => c.kind)).toEqual(['answer', 'collectCode', 'scheduleWakeup']);
    expect(final.commands[0]).toMatchObject({ callControlId: 'v3:a', tag: { role: 'analyzer' } });
    expect(final.commands[2]).toMatchObject({ wakeup: { kind: 'leg-check', callControlId: 'v3:a' }, delaySeconds: 30 });
    expect(new Set(final.commands.map((c) => c.commandId)).size).toBe(3);
  });

  it('a caller that turned out to be the analyzer before is taken as the analyzer again', () => {
    const { final } = routeWith(ev({ type: 'call.incoming', callControlId: 'v3:a', from: '+15557770000', to: '+15550001000' }), { analyzerCaller: true });
    expect(final).toMatchObject({ kind: 'leg', outcome: 'analyzer-answered' });
  });

  it('a call from our own number is refused, never a customer', () => {
    const { asked, final } = routeWith(ev({ type: 'call.incoming', callControlId: 'v3:x', from: '+15550001000', to: '+15550001000' }), {});
    expect(asked).toEqual([]);
    expect(final).toMatchObject({ kind: 'leg', outcome: 'own-number-refused' });
    if (final.kind === 'leg') expect(final.commands.map((c) => c.kind)).toEqual(['hangup']);
  });

  it('answering-machine detection on an operator leg reaches its session', () => {
    const { final } = routeWith(ev({ type: 'call.machine', callControlId: 'v3:o', result: 'machine' }, operator), {});
    expect(final).toMatchObject({ kind: 'session', event: { type: 'operator.machine', callControlId: 'v3:o', result: 'machine', operator: { attempt: 1, round: 0 } } });
  });

  it('a call from the analyzer’s number is a customer under the Telnyx source', () => {
    const { final, asked } = routeWith(ev({ type: 'call.incoming', callControlId: 'v3:a', from: '+15550009999', to: '+15550001000' }), {}, telnyx);
    expect(final.kind).toBe('start');
    expect(asked).toEqual([]);
  });

  describe('the analyzer leg telling its code', () => {
    const digit = (d: string) => ev({ type: 'keypad.digit', callControlId: 'v3:a', digit: d }, analyzer, NOW - 1);

    it('records each digit and waits while the code is incomplete', () => {
      expect(routeWith(digit('4'), { digits: { sessionId: undefined, digits: code('01234') } })).toEqual({ asked: ['analyzer-digit'], final: { kind: 'ignore', outcome: 'code-incomplete' } });
      const first = route(digit('4'), {}, symbl, NOW);
      expect(first).toEqual({ kind: 'look-up', lookup: { kind: 'analyzer-digit', callControlId: 'v3:a', digit: { digit: '4', atMs: NOW - 1, eventId: 'evt-1' } } });
    });

    it('a complete code names the session; a code nobody has hangs the leg up', () => {
      const { final } = routeWith(digit('#'), { digits: { sessionId: undefined, digits: code(`${SESSION}#`) } });
      expect(final).toMatchObject({ kind: 'session', sessionId: SESSION, label: 'analyzer-code', event: { type: 'analyzer.identified', id: 'evt-1:identified', callControlId: 'v3:a' } });
      if (final.kind !== 'session') return;
      expect(final.orphan?.commands.map((c) => c.kind)).toEqual(['hangup']);
    });

    it('a leg already tied to a session goes there, however its code reads now', () => {
      const { final } = routeWith(digit('9'), { digits: { sessionId: SESSION, digits: code('9') } });
      expect(final).toMatchObject({ kind: 'session', sessionId: SESSION, label: 'known-analyzer' });
      expect(final).not.toHaveProperty('orphan');
    });

    it('its gather: a known leg, or the code it collected', () => {
      const gathered = (digits: string) => ev({ type: 'keypad.gathered', callControlId: 'v3:a', digits, status: 'valid' }, analyzer);
      expect(routeWith(gathered(SESSION), { leg: { sessionId: SESSION, role: 'analyzer' } }).final).toMatchObject({ label: 'known-analyzer' });
      expect(routeWith(gathered(SESSION), {}).final).toMatchObject({ kind: 'session', sessionId: SESSION, label: 'analyzer-code' });
      expect(routeWith(gathered('123'), {}).final).toEqual({ kind: 'ignore', outcome: 'code-incomplete' });
    });
  });

  describe('transcripts (Telnyx source)', () => {
    const said = (text: string, over: Partial<{ isFinal: boolean; track: 'inbound' | 'outbound' | undefined; tag: LegTag | undefined }> = {}) =>
      ev(
        { type: 'speech.transcribed', callControlId: 'v3:c', text, isFinal: over.isFinal ?? true, track: 'track' in over ? over.track : 'inbound' },
        'tag' in over ? over.tag : customer,
        NOW - 7,
      );

    it('a final customer transcript is scored, then heard by the session', () => {
      const { asked, final } = routeWith(said('  this is awful  '), { score: -0.8 }, telnyx);
      expect(asked).toEqual(['score']);
      expect(final).toMatchObject({
        kind: 'session',
        event: { type: 'utterances.heard', id: 'evt-1', callControlId: 'v3:c', utterances: [{ id: 'evt-1', text: 'this is awful', score: -0.8, atMs: NOW - 7 }] },
      });
      expect(route(said('awful'), {}, telnyx, NOW)).toEqual({ kind: 'look-up', lookup: { kind: 'score', text: 'awful' } });
    });

    it.each([
      ['interim', said('hello', { isFinal: false }), telnyx],
      ['the outbound track', said('hello', { track: 'outbound' }), telnyx],
      ['blank', said('   '), telnyx],
      ['from a leg tagged as another role', said('hello', { tag: operator }), telnyx],
      ['when this deployment does not score transcripts', said('hello'), symbl],
    ])('ignores a transcript that is %s', (_name, event, settings) => {
      expect(routeWith(event, { score: -1 }, settings).final).toEqual({ kind: 'ignore', outcome: 'ignored' });
    });

    it('an untagged transcript is found by its leg before it is scored', () => {
      expect(routeWith(said('hello', { tag: undefined }), { leg: { sessionId: SESSION, role: 'customer' }, score: 0.1 }, telnyx).asked).toEqual(['leg', 'score']);
      expect(routeWith(said('hello', { tag: undefined }), {}, telnyx)).toEqual({ asked: ['leg'], final: { kind: 'ignore', outcome: 'unknown-leg' } });
    });
  });

  it.each([
    ['plain', 'applied', 'applied'],
    ['plain', 'no-session', 'no-session'],
    ['analyzer-code', 'applied', 'analyzer-applied'],
    ['analyzer-code', 'no-session', 'analyzer-no-session'],
    ['known-analyzer', 'duplicate', 'analyzer-duplicate'],
    ['known-analyzer', 'applied', 'analyzer-known'],
  ] as const)('reports a %s route that was %s as %s', (label, applied, expected) => {
    expect(routeOutcome(label, applied)).toBe(expected);
  });
});
