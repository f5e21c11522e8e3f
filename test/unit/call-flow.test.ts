import { describe, expect, it } from 'vitest';
import { analyzerDtmf, createCallFlow, newSession } from '../../lib/core/call-flow.js';
import type { CallEvent, CallFlowSettings, Command, MetricFact, Session } from '../../lib/core/model.js';
import { prompts } from '../../lib/core/prompts.js';
import { settings } from './flow-settings.js';

const transition = createCallFlow(settings);
const T0 = 1_700_000_000_000;
const CUSTOMER = 'v3:customer';
const ANALYZER = 'v3:analyzer';
const OPERATOR = 'v3:operator';
const OPERATOR_2 = 'v3:operator-2';
const CONF = 'conf-1';

function fresh(source: 'symbl' | 'telnyx' = 'symbl'): Session {
  return newSession({ id: '0123456789', customerCallControlId: CUSTOMER, fromMasked: '+1*******00', conferenceNamePrefix: 'ivr', source }, T0);
}

let counter = 0;
type EventInput = CallEvent extends infer E ? (E extends CallEvent ? Omit<E, 'id'> & { id?: string } : never) : never;
const ev = (event: EventInput): CallEvent => ({ id: `e${++counter}`, ...event }) as CallEvent;

/** Folds events through the flow, as the store would (version bump per change). */
function run(start: Session, events: readonly CallEvent[], nowMs = T0 + 1000) {
  let state = start;
  const perEvent: Command[][] = [];
  for (const event of events) {
    const decision = transition(state, event, nowMs);
    state = decision.state === state ? state : { ...decision.state, version: state.version + 1 };
    perEvent.push([...decision.commands]);
  }
  return { state, perEvent, commands: perEvent.flat() };
}

const kinds = (commands: readonly Command[]) => commands.map((c) => c.kind);

const incoming = () => ev({ type: 'customer.incoming', callControlId: CUSTOMER });
const answered = (ccid = CUSTOMER) => ev({ type: 'call.answered', callControlId: ccid });
const created = () => ev({ type: 'conference.created', conferenceId: CONF, callControlId: CUSTOMER });
const joined = (ccid: string) => ev({ type: 'participant.joined', conferenceId: CONF, callControlId: ccid });
const identified = () => ev({ type: 'analyzer.identified', callControlId: ANALYZER });
const gather = (digits: string, status: 'valid' | 'invalid' | 'timeout' | 'cancelled' = 'valid') =>
  ev({ type: 'gather.ended', callControlId: CUSTOMER, digits, status });
const hangup = (ccid: string, cause = 'normal_clearing') => ev({ type: 'call.hangup', callControlId: ccid, cause });
const started = () => ev({ type: 'analyzer.started', connectionId: 'conn-1', conversationId: 'conv-1' });

/** A symbl-source call up to the menu playing, analyzer joined. */
function inMenu() {
  return run(fresh(), [incoming(), started(), answered(), created(), joined(CUSTOMER), identified(), joined(ANALYZER)]).state;
}

describe('call flow: a customer call from ring to menu', () => {
  it('answers first, then asks the analyzer to dial in with the session code, and arms the backstop', () => {
    const { commands, state } = run(fresh(), [incoming()]);
    expect(kinds(commands)).toEqual(['answer', 'startAnalyzer', 'scheduleWakeup']);
    expect(commands[2]).toEqual({ kind: 'scheduleWakeup', wakeup: { kind: 'check', sessionId: '0123456789' }, delaySeconds: 300 });
    expect(commands[1]).toMatchObject({ dtmf: analyzerDtmf('0123456789'), sessionId: '0123456789' });
    expect((commands[0] as { tag: unknown }).tag).toEqual({ sessionId: '0123456789', role: 'customer' });
    expect(state.analyzer.status).toBe('requested');
  });

  it('with the telnyx source, answers and starts no analyzer', () => {
    const { commands } = run(fresh('telnyx'), [incoming()]);
    expect(kinds(commands)).toEqual(['answer', 'scheduleWakeup']);
  });

  it.each([
    ['answered customer creates the session’s own conference', [incoming(), answered()], ['createConference']],
    ['a second answered is ignored', [incoming(), answered(), answered()], []],
  ] as const)('%s', (_name, events, expected) => {
    const { perEvent } = run(fresh(), events);
    expect(kinds(perEvent.at(-1)!)).toEqual(expected);
  });

  it('names the conference after the session', () => {
    const { commands } = run(fresh(), [incoming(), answered()]);
    expect(commands.at(-1)).toMatchObject({ kind: 'createConference', name: 'ivr-0123456789', callControlId: CUSTOMER });
  });

  it('customer joined before the analyzer: waits, with a timeout', () => {
    const { perEvent, state } = run(fresh(), [incoming(), answered(), created(), joined(CUSTOMER)]);
    expect(perEvent.at(-1)).toEqual([{ kind: 'scheduleTimeout', sessionId: state.id, delaySeconds: 10 }]);
    expect(state.menu.status).toBe('waiting');
  });

  it('analyzer identified after the conference exists: joined muted', () => {
    const { perEvent } = run(fresh(), [incoming(), answered(), created(), joined(CUSTOMER), identified()]);
    expect(perEvent.at(-1)).toEqual([{ kind: 'joinConference', conferenceId: CONF, callControlId: ANALYZER, mute: true }]);
  });

  it('analyzer identified before the conference exists: joined once the conference is known', () => {
    const { perEvent } = run(fresh(), [incoming(), identified(), answered(), created()]);
    expect(perEvent[1]).toEqual([]);
    expect(perEvent.at(-1)).toEqual([{ kind: 'joinConference', conferenceId: CONF, callControlId: ANALYZER, mute: true }]);
  });

  it('participant.joined before conference.created still teaches the conference id', () => {
    const { state, perEvent } = run(fresh(), [incoming(), identified(), answered(), joined(CUSTOMER), created()]);
    expect(state.conference.id).toBe(CONF);
    expect(kinds(perEvent[3]!)).toEqual(['joinConference', 'scheduleTimeout']);
    expect(perEvent[4]).toEqual([]);
  });

  it('analyzer joins: polling starts and the menu plays', () => {
    const { perEvent, state } = run(fresh(), [incoming(), started(), answered(), created(), joined(CUSTOMER), identified(), joined(ANALYZER)]);
    expect(kinds(perEvent.at(-1)!)).toEqual(['schedulePoll', 'playMenu']);
    expect(perEvent.at(-1)![1]).toMatchObject({ text: prompts.menu, callControlId: CUSTOMER });
    expect(state.poll).toEqual({ active: true });
    expect(state.menu.status).toBe('playing');
  });

  it('analyzer joins before the customer: polling starts, the menu waits for the customer', () => {
    const { perEvent } = run(fresh(), [incoming(), started(), answered(), created(), identified(), joined(ANALYZER), joined(CUSTOMER)]);
    expect(kinds(perEvent[5]!)).toEqual(['schedulePoll']);
    expect(kinds(perEvent[6]!)).toEqual(['playMenu']);
  });

  it('an analyzer leg that joins before its start is heard of is polled once it is', () => {
    const { perEvent, state } = run(fresh(), [incoming(), answered(), created(), joined(CUSTOMER), identified(), joined(ANALYZER), started()]);
    expect(kinds(perEvent[5]!)).toEqual(['playMenu']);
    expect(perEvent[6]).toEqual([{ kind: 'schedulePoll', sessionId: state.id, seq: 0, delaySeconds: 1 }]);
    expect(state.analyzer).toMatchObject({ status: 'joined', connectionId: 'conn-1', conversationId: 'conv-1' });
  });

  it('the analyzer timeout plays the menu without it, once', () => {
    const timeout = ev({ type: 'analyzer.timeout' });
    const { perEvent } = run(fresh(), [incoming(), answered(), created(), joined(CUSTOMER), timeout, ev({ type: 'analyzer.timeout' })]);
    expect(kinds(perEvent[4]!)).toEqual(['playMenu']);
    expect(perEvent[5]).toEqual([]);
  });

  it('an analyzer that fails to start degrades to the plain menu', () => {
    const failed = ev({ type: 'analyzer.failed', reason: 'Symbl answered 503' });
    const { perEvent, state } = run(fresh(), [incoming(), answered(), created(), joined(CUSTOMER), failed]);
    expect(kinds(perEvent.at(-1)!)).toEqual(['playMenu']);
    expect(state.analyzer).toMatchObject({ status: 'failed', failure: 'Symbl answered 503' });
  });

  it('telnyx source: customer joining starts transcription of their leg and the menu', () => {
    const { perEvent } = run(fresh('telnyx'), [incoming(), answered(), created(), joined(CUSTOMER)]);
    expect(perEvent.at(-1)).toEqual([
      { kind: 'startTranscription', callControlId: CUSTOMER },
      expect.objectContaining({ kind: 'playMenu' }),
    ]);
  });

  it('a late analyzer.started records the connection', () => {
    const { state } = run(fresh(), [incoming(), answered(), started()]);
    expect(state.analyzer).toMatchObject({ status: 'started', connectionId: 'conn-1', conversationId: 'conv-1' });
  });
});

describe('call flow: the menu', () => {
  it.each([
    ['2 repeats the menu', gather('2'), ['playMenu'], 'playing'],
    ['silence re-prompts', gather('', 'timeout'), ['playMenu'], 'playing'],
    ['invalid re-prompts', gather('9', 'invalid'), ['playMenu'], 'playing'],
    ['cancelled (we stopped it) does nothing', gather('', 'cancelled'), [], 'paused'],
  ] as const)('%s', (_name, event, expected, status) => {
    const { perEvent, state } = run(inMenu(), [event]);
    expect(kinds(perEvent[0]!)).toEqual(expected);
    expect(state.menu.status).toBe(status);
  });

  it('three misses in a row end in the polite fallback, and then nothing more', () => {
    const { perEvent, state } = run(inMenu(), [gather('', 'timeout'), gather('', 'timeout'), gather('', 'timeout'), gather('', 'timeout')]);
    expect(perEvent.map(kinds)).toEqual([['playMenu'], ['playMenu'], ['speak'], []]);
    expect(perEvent[0]![0]).toMatchObject({ text: prompts.menuRetry });
    expect(perEvent[2]![0]).toMatchObject({ text: prompts.fallback });
    expect(state.menu).toEqual({ status: 'fallback', misses: 3 });
  });

  it('a gather ending on another leg is ignored', () => {
    const { perEvent } = run(inMenu(), [ev({ type: 'gather.ended', callControlId: ANALYZER, digits: '1', status: 'valid' })]);
    expect(perEvent[0]).toEqual([]);
  });
});

describe('call flow: escalation', () => {
  it('pressing 1 claims the escalation, tells the customer, dials the first operator on a leg of its own', () => {
    const { perEvent, state } = run(inMenu(), [gather('1')]);
    expect(kinds(perEvent[0]!)).toEqual(['speak', 'dialOperator']);
    expect(perEvent[0]![0]).toMatchObject({ text: prompts.connecting });
    expect(perEvent[0]![1]).toEqual({
      kind: 'dialOperator',
      to: '+15550000001',
      timeoutSecs: 20,
      operator: { attempt: 0, round: 0 },
      detectMachine: true,
      tag: { sessionId: state.id, role: 'operator', attempt: 0, round: 0 },
    });
    expect((perEvent[0]![1] as { tag: unknown }).tag).toEqual({ sessionId: state.id, role: 'operator', attempt: 0, round: 0 });
    expect(state.escalation).toMatchObject({ status: 'dialing', reason: { rule: 'dtmf' }, claimedAtMs: T0 + 1000 });
    expect(state.poll.active).toBe(false);
  });

  it('a DTMF 1 outside a running menu escalates and stops nothing', () => {
    const fallback = run(inMenu(), [gather('', 'timeout'), gather('', 'timeout'), gather('', 'timeout')]).state;
    const { perEvent } = run(fallback, [ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit: '1' })]);
    expect(kinds(perEvent[0]!)).toEqual(['speak', 'dialOperator']);
  });

  it('a DTMF 1 during the menu escalates at once, stopping the menu; the gather ending on it changes nothing', () => {
    const { perEvent } = run(inMenu(), [ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit: '1' }), gather('1')]);
    expect(perEvent.map(kinds)).toEqual([['stopGather', 'speak', 'dialOperator'], []]);
  });

  it('nothing escalates twice: a sentiment trigger after DTMF 1 changes nothing', () => {
    const angry = ev({ type: 'utterances.heard', utterances: [{ id: 'm1', text: 'this is awful', score: -0.95, atMs: T0 + 500 }] });
    const { perEvent, state } = run(inMenu(), [gather('1'), angry]);
    expect(kinds(perEvent[1]!)).toEqual([]);
    expect(state.escalation?.reason.rule).toBe('dtmf');
  });

  it('a negative utterance escalates, stopping the menu first', () => {
    const angry = ev({ type: 'utterances.heard', utterances: [{ id: 'm1', text: 'this is absolutely terrible', score: -0.9, atMs: T0 + 500 }] });
    const { perEvent, state } = run(inMenu(), [angry]);
    expect(kinds(perEvent[0]!)).toEqual(['stopGather', 'speak', 'dialOperator']);
    expect(state.escalation?.reason).toMatchObject({ rule: 'utterance', score: -0.9, text: 'this is absolutely terrible' });
  });

  it('escalation before the conference exists waits for it, then dials', () => {
    const { perEvent, state } = run(fresh(), [
      incoming(),
      answered(),
      ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit: '1' }),
      created(),
    ]);
    expect(kinds(perEvent[2]!)).toEqual(['speak']);
    expect(kinds(perEvent[3]!)).toEqual(['dialOperator']);
    expect(state.escalation?.status).toBe('dialing');
  });

  it('an operator who answers is briefed on their own leg, then joins the customer when they press 1', () => {
    const ref = { attempt: 0, round: 0 };
    const { perEvent, state } = run(inMenu(), [
      gather('1'),
      ev({ type: 'operator.initiated', callControlId: OPERATOR, operator: ref }),
      ev({ type: 'call.answered', callControlId: OPERATOR, operator: ref }),
      ev({ type: 'gather.ended', callControlId: OPERATOR, digits: '1', status: 'valid' }),
      joined(OPERATOR),
      joined(OPERATOR),
    ]);
    expect(perEvent[2]).toEqual([
      {
        kind: 'briefOperator',
        callControlId: OPERATOR,
        text: 'Escalated call. The customer pressed 1 for an operator. Press 1 to take the call, or 2 to decline.',
        tag: { sessionId: state.id, role: 'operator', attempt: 0, round: 0 },
      },
      { kind: 'scheduleWakeup', wakeup: { kind: 'accept-timeout', sessionId: state.id, round: 0, attempt: 0 }, delaySeconds: 30 },
    ]);
    expect(perEvent[3]).toEqual([{ kind: 'joinConference', conferenceId: CONF, callControlId: OPERATOR, mute: false }]);
    expect(perEvent[5]).toEqual([]);
    expect(state.escalation).toMatchObject({ status: 'connected', connectedAtMs: T0 + 1000, briefed: true });
    expect(state.escalation?.attempts[0]).toMatchObject({ status: 'connected', outcome: 'answered', accepted: true, briefingDone: true });
  });

  it('the operator answering before its initiated event is seen still binds the leg and is screened (reordering)', () => {
    const ref = { attempt: 0, round: 0 };
    const { state } = run(inMenu(), [gather('1'), ev({ type: 'call.answered', callControlId: OPERATOR, operator: ref }), ev({ type: 'operator.initiated', callControlId: OPERATOR, operator: ref })]);
    expect(state.escalation?.attempts[0]).toEqual({ to: '+15550000001', callControlId: OPERATOR, status: 'screening' });
  });

  it('no answer: the next operator is dialed; when all fail, apology and the menu again', () => {
    const first = { attempt: 0, round: 0 };
    const second = { attempt: 1, round: 0 };
    const { perEvent, state } = run(inMenu(), [
      gather('1'),
      ev({ type: 'call.hangup', callControlId: OPERATOR, cause: 'timeout', operator: first }),
      ev({ type: 'call.hangup', callControlId: OPERATOR_2, cause: 'timeout', operator: second }),
    ]);
    expect(perEvent[1]).toEqual([
      { kind: 'speak', callControlId: CUSTOMER, text: prompts.stillTrying, tag: { sessionId: '0123456789', role: 'customer' } },
      expect.objectContaining({ kind: 'dialOperator', to: '+15550000002', operator: second }),
    ]);
    expect(kinds(perEvent[2]!)).toEqual(['speak', 'playMenu']);
    expect(perEvent[2]![0]).toMatchObject({ text: prompts.noOperator });
    expect(state.escalation?.status).toBe('failed');
    expect(state.escalation?.attempts.map((a) => a.status)).toEqual(['failed', 'failed']);
    expect(state.escalation?.attempts.map((a) => a.outcome)).toEqual(['no-answer', 'no-answer']);
  });

  it('after every operator failed, pressing 1 starts a new round; sentiment does not', () => {
    const failedAll = run(inMenu(), [
      gather('1'),
      ev({ type: 'call.hangup', callControlId: OPERATOR, cause: 'timeout', operator: { attempt: 0, round: 0 } }),
      ev({ type: 'call.hangup', callControlId: OPERATOR_2, cause: 'timeout', operator: { attempt: 1, round: 0 } }),
    ]).state;
    const angry = ev({ type: 'utterances.heard', utterances: [{ id: 'm9', text: 'unbelievable', score: -0.99, atMs: T0 + 900 }] });
    const { perEvent, state } = run(failedAll, [angry, ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit: '1' })]);
    expect(perEvent[0]).toEqual([]);
    expect(kinds(perEvent[1]!)).toEqual(['stopGather', 'speak', 'dialOperator']);
    expect(state.escalation).toMatchObject({ round: 1, status: 'dialing' });
  });

  it('a round refused at once: the gather ending with the 1 that asked for it, or that key itself come late, starts no second round; a key pressed after does', () => {
    const key = (occurredAtMs: number) => ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit: '1', occurredAtMs });
    const refusedAll = (first: CallEvent) =>
      run(inMenu(), [
        first,
        ev({ type: 'operator.refused', operator: { attempt: 0, round: 0 }, reason: 'Telnyx refused the dial (403)' }),
        ev({ type: 'operator.refused', operator: { attempt: 1, round: 0 }, reason: 'Telnyx refused the dial (403)' }),
      ]).state;
    const fromKey = refusedAll(key(T0 + 500));
    expect(fromKey.escalation).toMatchObject({ status: 'failed', askedAtMs: T0 + 500 });
    expect(transition(fromKey, ev({ type: 'gather.ended', callControlId: CUSTOMER, digits: '1', status: 'valid', occurredAtMs: T0 + 520 }), T0).commands).toEqual([]);
    const fromGather = refusedAll(ev({ type: 'gather.ended', callControlId: CUSTOMER, digits: '1', status: 'valid', occurredAtMs: T0 + 520 }));
    expect(transition(fromGather, key(T0 + 500), T0).commands).toEqual([]);
    const again = transition(fromGather, key(T0 + 9000), T0);
    expect(again.state.escalation).toMatchObject({ round: 1, askedAtMs: T0 + 9000 });
  });

  it('a hangup from a previous round’s operator is ignored', () => {
    const { perEvent } = run(inMenu(), [gather('1'), ev({ type: 'call.hangup', callControlId: 'v3:stranger', cause: 'timeout', operator: { attempt: 0, round: 7 } })]);
    expect(perEvent[1]).toEqual([]);
  });

  it('with no operator numbers configured, nothing is claimed', () => {
    const flow = createCallFlow({ ...settings, transferNumbers: [] });
    const decision = flow(inMenu(), gather('1'), T0);
    expect(decision.state.escalation).toBeUndefined();
  });
});

describe('call flow: hangups', () => {
  it('customer hangup ends the session and releases everything', () => {
    const ref = { attempt: 0, round: 0 };
    const { perEvent, state } = run(inMenu(), [gather('1'), ev({ type: 'operator.initiated', callControlId: OPERATOR, operator: ref }), hangup(CUSTOMER)]);
    expect(perEvent[2]).toEqual([
      { kind: 'endConference', conferenceId: CONF },
      { kind: 'stopAnalyzer', connectionId: 'conn-1' },
      { kind: 'hangup', callControlId: ANALYZER },
      { kind: 'hangup', callControlId: OPERATOR },
    ]);
    expect(state).toMatchObject({ status: 'ended', endedAtMs: T0 + 1000, endReason: 'customer hung up (normal_clearing)' });
    expect(state.poll.active).toBe(false);
  });

  it('customer hangup before answer ends the session with nothing to release', () => {
    const { perEvent, state } = run(fresh(), [incoming(), hangup(CUSTOMER, 'originator_cancel')]);
    expect(perEvent[1]).toEqual([]);
    expect(state.status).toBe('ended');
  });

  it('an analyzer that starts after the customer left is stopped', () => {
    const { perEvent } = run(fresh(), [incoming(), hangup(CUSTOMER), started()]);
    expect(perEvent[2]).toEqual([{ kind: 'stopAnalyzer', connectionId: 'conn-1' }]);
  });

  it('an analyzer leg identified after the customer left is hung up', () => {
    const { perEvent } = run(fresh(), [incoming(), hangup(CUSTOMER), identified()]);
    expect(perEvent[2]).toEqual([{ kind: 'hangup', callControlId: ANALYZER }]);
  });

  it('an operator leg that starts ringing after the customer left is hung up', () => {
    const ref = { attempt: 0, round: 0 };
    const { perEvent } = run(inMenu(), [gather('1'), hangup(CUSTOMER), ev({ type: 'operator.initiated', callControlId: OPERATOR, operator: ref })]);
    expect(perEvent[2]).toEqual([{ kind: 'hangup', callControlId: OPERATOR }]);
  });

  it('the analyzer leg hanging up stops polling; the call goes on', () => {
    const { state } = run(inMenu(), [hangup(ANALYZER)]);
    expect(state.poll.active).toBe(false);
    expect(state.analyzer).toMatchObject({ status: 'stopped', legHungUp: true });
    expect(state.status).toBe('active');
  });

  it('events after the end change nothing', () => {
    const ended = run(inMenu(), [hangup(CUSTOMER)]).state;
    const { perEvent } = run(ended, [gather('1'), hangup(CUSTOMER), answered(), ev({ type: 'analyzer.timeout' })]);
    expect(perEvent.flat()).toEqual([]);
  });

  it('conference.ended is recorded once', () => {
    const { state, perEvent } = run(inMenu(), [ev({ type: 'conference.ended', conferenceId: CONF }), ev({ type: 'conference.ended', conferenceId: CONF })]);
    expect(state.conference.ended).toBe(true);
    expect(perEvent.flat()).toEqual([]);
  });
});

describe('call flow: polling', () => {
  const heard = (seq: number, messageId: string, utterances: { id: string; text: string; score: number; atMs: number }[] = []) =>
    ev({ type: 'utterances.heard', utterances, poll: { seq, messageId } });

  it('the analyzer joining starts the chain at its first position', () => {
    const { state, perEvent } = run(fresh(), [incoming(), started(), answered(), created(), joined(CUSTOMER), identified(), joined(ANALYZER)]);
    expect(perEvent.at(-1)![0]).toEqual({ kind: 'schedulePoll', sessionId: state.id, seq: 0, delaySeconds: 1 });
    expect(state.poll).toEqual({ active: true });
  });

  it('a cycle that hears nothing new changes nothing: the session is not written', () => {
    const state = inMenu();
    expect(transition(state, heard(0, 'msg-a'), T0).state).toBe(state);
  });

  it('the chain stops after hangup and after escalation', () => {
    expect(run(inMenu(), [hangup(CUSTOMER)]).state.poll.active).toBe(false);
    expect(run(inMenu(), [gather('1')]).state.poll.active).toBe(false);
  });

  it('utterances seen before and prompt echoes are not evaluated again', () => {
    const echo = { id: 'p1', text: 'press 1 to speak with an operator press 2 to hear these options again', score: -0.8, atMs: T0 + 10 };
    const calm = { id: 'c1', text: 'hi I have a question about my bill', score: 0.1, atMs: T0 + 20 };
    const { state, commands } = run(inMenu(), [heard(0, 'a', [echo, calm]), heard(1, 'b', [echo, calm])]);
    expect(commands).toEqual([]);
    expect(state.utterances.map((u) => u.id)).toEqual(['c1']);
    expect(state.heard.recent.map((r) => r.id)).toEqual(['p1', 'c1']);
    expect(state.escalation).toBeUndefined();
  });

  it('the telnyx source escalates inline, without a poll chain', () => {
    const live = run(fresh('telnyx'), [incoming(), answered(), created(), joined(CUSTOMER)]).state;
    const angry = ev({ type: 'utterances.heard', utterances: [{ id: 't1', text: 'get me a human now', score: -0.2, atMs: T0 + 5 }] });
    const { perEvent, state } = run(live, [angry]);
    expect(kinds(perEvent[0]!)).toEqual(['stopGather', 'speak', 'dialOperator']);
    expect(state.escalation?.reason.rule).toBe('request');
    expect(state.poll.active).toBe(false);
  });
});

describe('call flow: purity', () => {
  it('gives the same decision for the same input and does not touch its input', () => {
    const state = inMenu();
    const snapshot = structuredClone(state);
    const event = gather('1');
    const a = transition(state, event, T0 + 5);
    const b = transition(state, event, T0 + 5);
    expect(a).toEqual(b);
    expect(state).toEqual(snapshot);
  });

  it('an event that does not apply returns the very same state', () => {
    const state = inMenu();
    expect(transition(state, answered('v3:nobody'), T0).state).toBe(state);
  });
});

describe('call flow: a lost analyzer join', () => {
  it('asks again on the next sign from the analyzer leg while it is not in the conference', () => {
    const waiting = run(fresh(), [incoming(), started(), answered(), created(), joined(CUSTOMER), identified()]).state;
    const again = run(waiting, [identified()]);
    expect(again.perEvent[0]).toEqual([{ kind: 'joinConference', conferenceId: CONF, callControlId: ANALYZER, mute: true }]);
    const inside = run(waiting, [joined(ANALYZER), identified()]);
    expect(inside.perEvent[1]).toEqual([]);
  });
});

describe('call flow: screening operators before the customer hears them', () => {
  const ref = { attempt: 0, round: 0 };
  const op = (type: 'call.answered' | 'operator.initiated') => ev({ type, callControlId: OPERATOR, operator: ref } as EventInput);
  const machine = (result: 'human' | 'machine' | 'not_sure') => ev({ type: 'operator.machine', callControlId: OPERATOR, result, operator: ref });
  const briefingEnds = (digits: string, status: 'valid' | 'timeout' | 'invalid' = digits === '' ? 'timeout' : 'valid') =>
    ev({ type: 'gather.ended', callControlId: OPERATOR, digits, status });
  const key = (digit: string) => ev({ type: 'call.dtmf', callControlId: OPERATOR, digit });
  const answeredOperator = () => run(inMenu(), [gather('1'), op('operator.initiated'), op('call.answered')]).state;
  const screenedWith = (screening: CallFlowSettings['operatorScreening'], events: CallEvent[], detectMachines = true) => {
    const flow = createCallFlow({ ...settings, operatorScreening: screening, detectMachines });
    let state = answeredOperator();
    const perEvent: Command[][] = [];
    for (const event of events) {
      const d = flow(state, event, T0 + 2000);
      state = d.state === state ? state : { ...d.state, version: state.version + 1 };
      perEvent.push([...d.commands]);
    }
    return { state, perEvent, attempt: state.escalation!.attempts[0]!, commands: perEvent.flat() };
  };
  const joinsTheCustomer = (commands: readonly Command[]) => commands.some((c) => c.kind === 'joinConference' && c.callControlId === OPERATOR);

  it.each<[string, CallFlowSettings['operatorScreening'], () => CallEvent[], 'joins' | 'released' | 'waits']>([
    ['either: pressing 1 joins at once', 'either', () => [key('1')], 'joins'],
    ['either: a person who heard the briefing and pressed nothing joins', 'either', () => [machine('human'), briefingEnds('')], 'joins'],
    ['either: a person still hearing the briefing waits for it to end', 'either', () => [machine('human')], 'waits'],
    ['either: the briefing over, machine detection not in yet, waits for it', 'either', () => [briefingEnds('')], 'waits'],
    ['either: the briefing over and detection not sure: released', 'either', () => [briefingEnds(''), machine('not_sure')], 'released'],
    ['human: pressing 1 alone is not enough while detection is out', 'human', () => [key('1')], 'waits'],
    ['human: a person the detection found joins once briefed', 'human', () => [briefingEnds(''), machine('human')], 'joins'],
    ['human: not sure is no person', 'human', () => [machine('not_sure')], 'released'],
    ['keypress: a person who pressed nothing is released', 'keypress', () => [machine('human'), briefingEnds('')], 'released'],
    ['keypress: pressing 1 joins', 'keypress', () => [briefingEnds('1')], 'joins'],
    ['both: 1 and a person', 'both', () => [key('1'), machine('human')], 'joins'],
    ['both: 1 but not sure', 'both', () => [key('1'), machine('not_sure')], 'released'],
  ])('%s', (_name, screening, events, expected) => {
    const { attempt, commands } = screenedWith(screening, events());
    if (expected === 'joins') {
      expect(attempt.status).toBe('joining');
      expect(joinsTheCustomer(commands)).toBe(true);
    } else if (expected === 'released') {
      expect(attempt).toMatchObject({ status: 'failed', outcome: 'no-answer' });
      expect(commands).toContainEqual({ kind: 'hangup', callControlId: OPERATOR });
      expect(joinsTheCustomer(commands)).toBe(false);
    } else {
      expect(attempt.status).toBe('screening');
      expect(commands).toEqual([]);
    }
  });

  it('without machine detection, either means pressing 1: the briefing ending unanswered releases the leg', () => {
    const { attempt } = screenedWith('either', [briefingEnds('')], false);
    expect(attempt).toMatchObject({ status: 'failed', outcome: 'no-answer' });
  });

  it('pressing 1 before the briefing ends stops it before joining', () => {
    const { perEvent } = screenedWith('either', [key('1')]);
    expect(perEvent[0]).toEqual([
      { kind: 'stopGather', callControlId: OPERATOR },
      { kind: 'joinConference', conferenceId: CONF, callControlId: OPERATOR, mute: false },
    ]);
  });

  it('a voicemail is released at once, never joined, and the next number is tried', () => {
    const { attempt, perEvent, state } = screenedWith('either', [machine('machine')]);
    expect(attempt).toMatchObject({ status: 'failed', outcome: 'voicemail' });
    expect(kinds(perEvent[0]!)).toEqual(['hangup', 'speak', 'dialOperator']);
    expect(perEvent[0]![1]).toMatchObject({ text: prompts.stillTrying });
    expect(state.escalation?.attempts[1]).toEqual({ to: '+15550000002', status: 'ringing' });
  });

  it('an operator who presses 2 declines: released, next number', () => {
    const { attempt, perEvent } = screenedWith('either', [key('2')]);
    expect(attempt).toMatchObject({ status: 'failed', outcome: 'declined' });
    expect(kinds(perEvent[0]!)).toEqual(['hangup', 'speak', 'dialOperator']);
  });

  it('an operator who does not take the call in time is released', () => {
    const { attempt, perEvent } = screenedWith('either', [ev({ type: 'operator.accept-timeout', operator: ref })]);
    expect(attempt).toMatchObject({ status: 'failed', outcome: 'no-answer', endedCause: 'not accepted in time' });
    expect(kinds(perEvent[0]!)).toEqual(['hangup', 'speak', 'dialOperator']);
  });

  it('the accept timer of an attempt already joined, or of another round, changes nothing', () => {
    const { perEvent } = screenedWith('either', [key('1'), ev({ type: 'operator.accept-timeout', operator: ref }), ev({ type: 'operator.accept-timeout', operator: { attempt: 0, round: 5 } })]);
    expect(perEvent[1]).toEqual([]);
    expect(perEvent[2]).toEqual([]);
  });

  it('an operator hanging up while being briefed declined', () => {
    const { attempt } = screenedWith('either', [ev({ type: 'call.hangup', callControlId: OPERATOR, cause: 'normal_clearing', operator: ref })]);
    expect(attempt).toMatchObject({ status: 'failed', outcome: 'declined' });
  });

  it.each([
    ['user_busy', 'busy'],
    ['timeout', 'no-answer'],
    ['no_answer', 'no-answer'],
    ['call_rejected', 'declined'],
  ])('a ringing leg ending %s is recorded as %s, and the next number is tried', (cause, outcome) => {
    const { state, perEvent } = run(inMenu(), [gather('1'), ev({ type: 'call.hangup', callControlId: OPERATOR, cause, operator: ref })]);
    expect(state.escalation?.attempts[0]).toMatchObject({ status: 'failed', outcome, endedCause: cause });
    expect(kinds(perEvent[1]!)).toEqual(['speak', 'dialOperator']);
  });

  it('keys and machine verdicts from a leg the session never dialed change nothing', () => {
    const state = answeredOperator();
    for (const event of [
      ev({ type: 'call.dtmf', callControlId: 'v3:stranger', digit: '1' }),
      ev({ type: 'gather.ended', callControlId: 'v3:stranger', digits: '1', status: 'valid' }),
      ev({ type: 'operator.machine', callControlId: 'v3:stranger', result: 'human' }),
    ]) {
      expect(transition(state, event, T0).state).toBe(state);
    }
  });
});

describe('call flow: every dial outcome moves the escalation on', () => {
  const refused = (attempt: number, round = 0) => ev({ type: 'operator.refused', operator: { attempt, round }, reason: 'Telnyx refused the dial (403)' });

  it('a refused dial tries the next number at once; the last refused ends the round with an apology and the menu', () => {
    const { state, perEvent } = run(inMenu(), [gather('1'), refused(0), refused(1)]);
    expect(kinds(perEvent[1]!)).toEqual(['speak', 'dialOperator']);
    expect(kinds(perEvent[2]!)).toEqual(['speak', 'playMenu']);
    expect(perEvent[2]![0]).toMatchObject({ text: prompts.noOperator });
    expect(state.escalation).toMatchObject({ status: 'failed' });
    expect(state.escalation?.attempts).toEqual([
      { to: '+15550000001', status: 'failed', outcome: 'refused', endedCause: 'Telnyx refused the dial (403)' },
      { to: '+15550000002', status: 'failed', outcome: 'refused', endedCause: 'Telnyx refused the dial (403)' },
    ]);
  });

  it('a refusal for an attempt whose leg exists, or of an older round, changes nothing', () => {
    const bound = run(inMenu(), [gather('1'), ev({ type: 'operator.initiated', callControlId: OPERATOR, operator: { attempt: 0, round: 0 } })]).state;
    expect(transition(bound, refused(0), T0).state).toBe(bound);
    expect(transition(bound, refused(0, 3), T0).state).toBe(bound);
  });

  it('a leg that turns up for an attempt already given up is released', () => {
    const { perEvent } = run(inMenu(), [gather('1'), refused(0), ev({ type: 'operator.initiated', callControlId: OPERATOR, operator: { attempt: 0, round: 0 } })]);
    expect(perEvent[2]).toEqual([{ kind: 'hangup', callControlId: OPERATOR }]);
  });
});

describe('call flow: an operator who leaves', () => {
  const ref = { attempt: 0, round: 0 };
  const connected = () =>
    run(inMenu(), [
      gather('1'),
      ev({ type: 'operator.initiated', callControlId: OPERATOR, operator: ref }),
      ev({ type: 'call.answered', callControlId: OPERATOR, operator: ref }),
      ev({ type: 'call.dtmf', callControlId: OPERATOR, digit: '1' }),
      joined(OPERATOR),
    ]).state;

  it('hanging up: the customer is told and offered the menu again; pressing 1 starts a new round', () => {
    const { perEvent, state } = run(connected(), [ev({ type: 'call.hangup', callControlId: OPERATOR, cause: 'normal_clearing', operator: ref }), ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit: '1' })]);
    expect(kinds(perEvent[0]!)).toEqual(['speak', 'playMenu']);
    expect(perEvent[0]![0]).toMatchObject({ text: prompts.operatorLeft });
    expect(kinds(perEvent[1]!)).toEqual(['stopGather', 'speak', 'dialOperator']);
    expect(state.escalation).toMatchObject({ round: 1, status: 'dialing' });
  });

  it('hanging up once asked into the conference, before its participant.joined came: it left the customer all the same', () => {
    const accepted = run(inMenu(), [
      gather('1'),
      ev({ type: 'operator.initiated', callControlId: OPERATOR, operator: ref }),
      ev({ type: 'call.answered', callControlId: OPERATOR, operator: ref }),
      ev({ type: 'call.dtmf', callControlId: OPERATOR, digit: '1' }),
    ]).state;
    expect(accepted.escalation?.attempts[0]?.status).toBe('joining');
    const { perEvent, state } = run(accepted, [ev({ type: 'call.hangup', callControlId: OPERATOR, cause: 'normal_clearing', operator: ref }), joined(OPERATOR)]);
    expect(kinds(perEvent[0]!)).toEqual(['speak', 'playMenu']);
    expect(perEvent[0]![0]).toMatchObject({ text: prompts.operatorLeft });
    expect(perEvent[1]).toEqual([]);
    expect(state.escalation).toMatchObject({ status: 'left', attempts: [{ status: 'failed', outcome: 'left' }] });
  });

  it('leaving the conference with the leg still up: the same, and the leg is released', () => {
    const { perEvent, state } = run(connected(), [ev({ type: 'participant.left', conferenceId: CONF, callControlId: OPERATOR })]);
    expect(kinds(perEvent[0]!)).toEqual(['hangup', 'speak', 'playMenu']);
    expect(state.escalation).toMatchObject({ status: 'left', attempts: [{ status: 'failed', outcome: 'left' }] });
  });

  it('after the customer left, the operator going is only clean-up', () => {
    const ended = run(connected(), [hangup(CUSTOMER)]).state;
    expect(transition(ended, ev({ type: 'call.hangup', callControlId: OPERATOR, cause: 'normal_clearing', operator: ref }), T0).commands).toEqual([]);
  });
});

describe('call flow: backstops', () => {
  const check = () => ev({ type: 'session.check' });

  it('a live call is checked again; one quiet for a whole interval is asked about', () => {
    const live = inMenu();
    expect(transition(live, check(), T0 + 1000).commands).toEqual([{ kind: 'scheduleWakeup', wakeup: { kind: 'check', sessionId: live.id }, delaySeconds: 300 }]);
    expect(kinds(transition(live, check(), T0 + 1000 + 300_000).commands)).toEqual(['checkCall', 'scheduleWakeup']);
  });

  it('a customer leg Telnyx says is gone ends the session; one still up changes nothing', () => {
    const { state, perEvent } = run(inMenu(), [ev({ type: 'customer.status', alive: true }), ev({ type: 'customer.status', alive: false })]);
    expect(perEvent[0]).toEqual([]);
    expect(state).toMatchObject({ status: 'ended', endReason: 'the customer’s leg is gone' });
    expect(kinds(perEvent[1]!)).toEqual(['endConference', 'stopAnalyzer', 'hangup']);
  });

  it('a call past the maximum age is closed: the customer too is hung up', () => {
    const { state, perEvent } = run(inMenu(), [check()], T0 + 3600_000);
    expect(state).toMatchObject({ status: 'ended', endReason: 'the call outlived MAX_CALL_AGE_SECONDS' });
    expect(perEvent[0]).toContainEqual({ kind: 'hangup', callControlId: CUSTOMER });
    expect(perEvent[0]).toContainEqual({ kind: 'stopAnalyzer', connectionId: 'conn-1' });
  });

  it('an ended session takes no more checks', () => {
    const ended = run(inMenu(), [hangup(CUSTOMER)]).state;
    expect(transition(ended, check(), T0 + 999_999).commands).toEqual([]);
  });
});

describe('call flow: the analyzer, where it goes wrong', () => {
  const keyed = (code: string, gapMs: number) =>
    [...code].map((digit, i) => ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit, occurredAtMs: T0 + 100 + i * gapMs }));
  const withCaller = (): Session => ({ ...fresh(), customer: { ...fresh().customer, callerKey: 'k-1' } });

  it('a "customer" that keys a session code at a machine’s pace is the analyzer: ended, hung up, its number remembered', () => {
    const { state, perEvent } = run(withCaller(), [incoming(), started(), answered(), ...keyed('9876543210#', 150)]);
    expect(state).toMatchObject({ status: 'ended' });
    expect(state.endReason).toMatch(/keyed a session code/);
    expect(perEvent.at(-1)).toContainEqual({ kind: 'rememberAnalyzerCaller', callerKey: 'k-1' });
    expect(perEvent.at(-1)).toContainEqual({ kind: 'hangup', callControlId: CUSTOMER });
    expect(perEvent.at(-1)).toContainEqual({ kind: 'stopAnalyzer', connectionId: 'conn-1' });
  });

  it('a person slowly typing ten digits and # is a customer still', () => {
    const { state } = run(withCaller(), [incoming(), started(), answered(), ...keyed('2222222222#', 4000)]);
    expect(state.status).toBe('active');
  });

  it('an analyzer leg whose start failed is hung up, never joined or polled', () => {
    const failed = run(fresh(), [incoming(), ev({ type: 'analyzer.failed', reason: 'timeout' }), answered(), created(), joined(CUSTOMER)]).state;
    const { perEvent, state } = run(failed, [identified()]);
    expect(perEvent[0]).toEqual([{ kind: 'hangup', callControlId: ANALYZER }]);
    expect(state.poll.active).toBe(false);
  });
});

describe('call flow: prompts Telnyx refuses on a conferenced leg', () => {
  it('the menu refused falls back to the conference’s own speech to the customer, answered by plain keys', () => {
    const menu = inMenu();
    const { perEvent, state } = run(menu, [
      ev({ type: 'prompt.refused', prompt: 'playMenu', text: prompts.menu }),
      ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit: '2' }),
      ev({ type: 'call.dtmf', callControlId: CUSTOMER, digit: '1' }),
    ]);
    expect(perEvent[0]).toEqual([{ kind: 'conferenceSpeak', conferenceId: CONF, callControlIds: [CUSTOMER], text: prompts.menu }]);
    expect(perEvent[1]).toEqual([{ kind: 'conferenceSpeak', conferenceId: CONF, callControlIds: [CUSTOMER], text: prompts.menu }]);
    expect(perEvent[2]).toEqual([{ kind: 'conferenceSpeak', conferenceId: CONF, callControlIds: [CUSTOMER], text: prompts.connecting }, expect.objectContaining({ kind: 'dialOperator' })]);
    expect(state.promptPath).toBe('conference');
  });

  it('a second refusal changes nothing (no loop)', () => {
    const fallen = run(inMenu(), [ev({ type: 'prompt.refused', prompt: 'speak', text: prompts.connecting })]).state;
    expect(transition(fallen, ev({ type: 'prompt.refused', prompt: 'speak', text: prompts.connecting }), T0).state).toBe(fallen);
  });
});

describe('call flow: what was heard, remembered by time', () => {
  const heard = (seq: number, utterances: { id: string; text: string; score: number; atMs: number }[]) =>
    ev({ type: 'utterances.heard', utterances, poll: { seq, messageId: `m${seq}` } });
  const line = (id: string, atMs: number, score = 0.1) => ({ id, text: `I have a question number ${id}`, score, atMs });

  it('an utterance dated before the late window behind the newest one counts as heard, however many came between', () => {
    const longCall = run(inMenu(), [heard(0, [line('a', T0)]), heard(1, [line('b', T0 + 40 * 60_000)])]).state;
    const { state } = run(longCall, [heard(2, [line('old', T0 + 60_000, -0.95)])]);
    expect(state.utterances.map((u) => u.id)).toEqual(['a', 'b']);
    expect(state.escalation).toBeUndefined();
    expect(state.heard.recent.map((r) => r.id)).toEqual(['b']);
  });

  it('a late message inside the window still counts, once', () => {
    const { state } = run(inMenu(), [heard(0, [line('a', T0 + 10_000)]), heard(1, [line('late', T0 + 5000), line('a', T0 + 10_000)]), heard(2, [line('late', T0 + 5000)])]);
    expect(state.utterances.map((u) => u.id)).toEqual(['late', 'a']);
  });
});

/** Folds events through a flow, collecting what each decision counts. */
function counted(flow: ReturnType<typeof createCallFlow>, start: Session, events: readonly CallEvent[], nowMs = T0 + 1000) {
  let state = start;
  const facts: MetricFact[] = [];
  for (const event of events) {
    const decision = flow(state, event, nowMs);
    state = decision.state === state ? state : { ...decision.state, version: state.version + 1 };
    facts.push(...decision.facts);
  }
  return { state, facts };
}

describe('call flow: the live and the shadow policy', () => {
  // The shadow escalates on one utterance at -0.5; the live one needs -0.7.
  const shadowFlow = createCallFlow({ ...settings, shadowPolicy: { ...settings.policy, utteranceThreshold: -0.5 } });
  const heard = (utterances: { id: string; text: string; score: number; atMs: number }[]) => ev({ type: 'utterances.heard', utterances, poll: { seq: 0, messageId: `m${++counter}` } });
  const sour = { id: 'u1', text: 'this is not good at all', score: -0.55, atMs: T0 + 100 };
  const furious = { id: 'u2', text: 'this is the worst service ever', score: -0.9, atMs: T0 + 200 };

  it('records the shadow verdict, with its sentence and time, and acts on it never', () => {
    const { state } = counted(shadowFlow, inMenu(), [heard([sour])]);
    expect(state.verdicts?.shadow).toMatchObject({ rule: 'utterance', text: sour.text, score: -0.55, atMs: sour.atMs });
    expect(state.verdicts?.live).toBeUndefined();
    expect(state.escalation).toBeUndefined();
  });

  it('the live verdict escalates, its reason dated when it was said; both verdicts stay as first reached', () => {
    const { state } = counted(shadowFlow, inMenu(), [heard([sour]), heard([furious]), heard([{ ...furious, id: 'u3', atMs: T0 + 300 }])]);
    expect(state.verdicts?.shadow?.text).toBe(sour.text);
    expect(state.verdicts?.live).toMatchObject({ rule: 'utterance', atMs: furious.atMs });
    expect(state.escalation?.reason).toMatchObject({ rule: 'utterance', atMs: furious.atMs, text: furious.text });
  });

  it('a call escalated by keypad still gets the live verdict on record, and keeps its keypad escalation', () => {
    const { state, facts } = counted(shadowFlow, inMenu(), [gather('1'), heard([furious])]);
    expect(state.escalation?.reason.rule).toBe('dtmf');
    expect(state.verdicts?.live?.atMs).toBe(furious.atMs);
    expect(state.verdicts?.keypadAtMs).toBeDefined();
    expect(facts.filter((f) => f.kind === 'escalation')).toEqual([{ kind: 'escalation', rule: 'dtmf' }]);
  });

  it('without a shadow policy, no shadow verdict and no disagreement', () => {
    const { state, facts } = counted(transition, inMenu(), [heard([sour]), hangup(CUSTOMER)]);
    expect(state.verdicts?.shadow).toBeUndefined();
    expect(facts.some((f) => f.kind === 'shadow-disagreement')).toBe(false);
  });

  it.each<[string, Parameters<typeof heard>[0][], string | undefined]>([
    ['the shadow escalates a call the live one does not', [[sour]], 'newly'],
    ['the shadow escalates earlier', [[sour], [furious]], 'earlier'],
    ['the two agree', [[furious]], undefined],
  ])('at the end, counts how the shadow disagreed: %s', (_, batches, change) => {
    const { facts } = counted(shadowFlow, inMenu(), [...batches.map((b) => heard(b)), hangup(CUSTOMER)]);
    const disagreements = facts.filter((f) => f.kind === 'shadow-disagreement');
    expect(disagreements).toEqual(change ? [{ kind: 'shadow-disagreement', change }] : []);
  });
});

describe('call flow: what it counts', () => {
  const ref = { attempt: 0, round: 0 };
  const operator = (type: 'operator.initiated' | 'call.answered', ccid = OPERATOR, attempt = 0) =>
    ev({ type, callControlId: ccid, operator: { attempt, round: 0 } } as EventInput);

  it('an escalation by rule, the operator answering, and the seconds from the claim to connected', () => {
    const start = inMenu();
    let state = counted(transition, start, [gather('1')], T0 + 1000).state;
    const later = counted(transition, state, [operator('operator.initiated'), operator('call.answered'), ev({ type: 'call.dtmf', callControlId: OPERATOR, digit: '1' }), joined(OPERATOR)], T0 + 13_500);
    state = later.state;
    expect(state.escalation?.status).toBe('connected');
    expect(later.facts).toEqual([
      { kind: 'operator-attempt', outcome: 'answered' },
      { kind: 'operator-connected', secondsFromEscalation: 12.5 },
    ]);
    expect(counted(transition, start, [gather('1')]).facts).toEqual([{ kind: 'escalation', rule: 'dtmf' }]);
  });

  it('each failed attempt by outcome, and the call that ended escalated without an operator', () => {
    const { facts } = counted(transition, inMenu(), [
      gather('1'),
      operator('operator.initiated'),
      ev({ type: 'call.hangup', callControlId: OPERATOR, cause: 'user_busy', operator: ref }),
      operator('operator.initiated', OPERATOR_2, 1),
      ev({ type: 'call.hangup', callControlId: OPERATOR_2, cause: 'timeout', operator: { attempt: 1, round: 0 } }),
      hangup(CUSTOMER),
    ]);
    expect(facts).toEqual([
      { kind: 'escalation', rule: 'dtmf' },
      { kind: 'operator-attempt', outcome: 'busy' },
      { kind: 'operator-attempt', outcome: 'no-answer' },
      { kind: 'ended-without-operator' },
    ]);
  });

  it('a call that never escalated, or had its operator, ends without counting a miss', () => {
    expect(counted(transition, inMenu(), [hangup(CUSTOMER)]).facts).toEqual([]);
  });

  it('a redelivered event counts nothing (the same event changes nothing the second time)', () => {
    const once = ev({ type: 'gather.ended', callControlId: CUSTOMER, digits: '1', status: 'valid' });
    const first = counted(transition, inMenu(), [once]);
    expect(counted(transition, first.state, [once]).facts).toEqual([]);
  });
});
