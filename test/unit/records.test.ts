import { describe, expect, it } from 'vitest';
import { createCallFlow, newSession } from '../../lib/core/call-flow.js';
import { stampCommands } from '../../lib/core/command-ids.js';
import type { Session, SessionRecord, StampedCommand } from '../../lib/core/model.js';
import { nextPoll, pollStanding, wantsPolling } from '../../lib/core/poll-chain.js';
import { afterUnavailable, claimsFor, decide, eventForResult, firstRecord, isSameCall, linksOf, needsTelephony, newLinks, replayWindowMs, stillMatters, unidentifiedLegCommands, wakeupEvent } from '../../lib/core/records.js';
import { settings } from './flow-settings.js';

const transition = createCallFlow(settings);
const T0 = 1_700_000_000_000;
const fresh = (): Session => newSession({ id: '0123456789', customerCallControlId: 'v3:c', fromMasked: '+1***00', conferenceNamePrefix: 'ivr', source: 'symbl' }, T0);

function started(): SessionRecord {
  return firstRecord(transition, fresh(), { type: 'customer.incoming', id: 'e0', callControlId: 'v3:c' }, T0).record;
}

describe('session records: what a delivery does to the stored session', () => {
  it('a first record holds its event, its commands, and every link of the session', () => {
    const { record, commands, links } = firstRecord(transition, fresh(), { type: 'customer.incoming', id: 'e0', callControlId: 'v3:c' }, T0);
    expect(record.session.version).toBe(1);
    expect(record.seenEventIds).toEqual(['e0']);
    expect(commands.map((c) => c.kind)).toEqual(['answer', 'startAnalyzer', 'scheduleWakeup']);
    expect(record.effects).toEqual([{ eventId: 'e0', commands, atMs: T0 }]);
    expect(links).toEqual([{ kind: 'leg', callControlId: 'v3:c', role: 'customer' }]);
  });

  it('a new event is decided, versioned, remembered, and adds only the links it creates', () => {
    const decision = decide(transition, started(), { type: 'conference.created', id: 'e1', conferenceId: 'conf', callControlId: 'v3:c' }, T0 + 5);
    expect(decision.kind).toBe('changed');
    if (decision.kind !== 'changed') return;
    expect(decision.record.session).toMatchObject({ version: 2, conference: { id: 'conf' }, updatedAtMs: T0 + 5 });
    expect(decision.record.seenEventIds).toEqual(['e0', 'e1']);
    expect(decision.links).toEqual([{ kind: 'conference', conferenceId: 'conf' }]);
  });

  it('of the poll chain only the newest cycle is remembered, so a long call keeps its webhooks’ ids', () => {
    let record = started();
    let last = '';
    for (let seq = 0; seq < 500; seq += 1) {
      const event = wakeupEvent({ kind: 'poll', sessionId: record.session.id, seq }, `m${seq}`, [{ id: `u${seq}`, text: 'fine', score: 0.1, atMs: T0 + seq * 1000 }]);
      const decision = decide(transition, record, event, T0 + seq * 1000 + 500);
      expect(decision.kind).toBe('changed');
      if (decision.kind !== 'changed') return;
      record = decision.record;
      last = event.id;
    }
    expect(record.seenEventIds).toEqual(['e0', last]);
    // The newest cycle coming back (its handler failed after the write) is still known.
    const again = wakeupEvent({ kind: 'poll', sessionId: record.session.id, seq: 499 }, 'm499', [{ id: 'u499', text: 'fine', score: 0.1, atMs: T0 + 499_000 }]);
    expect(decide(transition, record, again, T0 + 500_000).kind).toBe('duplicate');
  });

  it('an event that changes nothing writes nothing', () => {
    expect(decide(transition, started(), { type: 'participant.left', id: 'e1', conferenceId: 'conf', callControlId: 'v3:x' }, T0)).toEqual({ kind: 'unchanged' });
  });

  it('a redelivered event replays its recorded commands, with the same ids, while they still make sense', () => {
    const record = started();
    const replay = decide(transition, record, { type: 'customer.incoming', id: 'e0', callControlId: 'v3:c' }, T0 + 1);
    expect(replay).toEqual({ kind: 'duplicate', replay: record.effects[0]!.commands });
    // Once the analyzer answered, its start is not repeated (Symbl has no idempotency key).
    const answered = { ...record, session: { ...record.session, analyzer: { ...record.session.analyzer, status: 'started' as const } } };
    const again = decide(transition, answered, { type: 'customer.incoming', id: 'e0', callControlId: 'v3:c' }, T0 + 1);
    expect(again.kind === 'duplicate' && again.replay.map((c) => c.kind)).toEqual(['answer', 'scheduleWakeup']);
  });

  it('after the call ended, a replay repeats only the clean-up', () => {
    const commands = stampCommands('e9', [
      { kind: 'speak', callControlId: 'v3:c', text: 'hi', tag: { role: 'customer' } },
      { kind: 'hangup', callControlId: 'v3:a' },
      { kind: 'endConference', conferenceId: 'conf' },
      { kind: 'stopAnalyzer', connectionId: 'k' },
    ]);
    const base = started();
    const ended: SessionRecord = { ...base, seenEventIds: [...base.seenEventIds, 'e9'], effects: [{ eventId: 'e9', commands }], session: { ...base.session, status: 'ended' } };
    const decision = decide(transition, ended, { type: 'call.hangup', id: 'e9', callControlId: 'v3:c', cause: 'normal_clearing' }, T0);
    expect(decision.kind === 'duplicate' && decision.replay.map((c) => c.kind)).toEqual(['hangup', 'endConference', 'stopAnalyzer']);
  });

  it('a dial is replayed only while its attempt still rings with no leg bound', () => {
    const [dial] = stampCommands('e5', [{ kind: 'dialOperator', to: '+15550000001', tag: { role: 'operator' }, timeoutSecs: 20, operator: { attempt: 0, round: 0 }, detectMachine: true }]);
    const base = started();
    const escalated = (attempt: Session['escalation'] extends infer E ? (E extends { attempts: readonly (infer A)[] } ? A : never) : never): SessionRecord => ({
      ...base,
      seenEventIds: [...base.seenEventIds, 'e5'],
      effects: [{ eventId: 'e5', commands: [dial!] }],
      session: { ...base.session, escalation: { reason: { rule: 'dtmf', detail: '' }, claimedAtMs: T0, round: 0, attempts: [attempt], status: 'dialing', briefed: false } },
    });
    const replayed = (record: SessionRecord) => {
      const d = decide(transition, record, { type: 'call.dtmf', id: 'e5', callControlId: 'v3:c', digit: '1' }, T0);
      return d.kind === 'duplicate' ? d.replay.length : -1;
    };
    expect(replayed(escalated({ to: '+15550000001', status: 'ringing' }))).toBe(1);
    expect(replayed(escalated({ to: '+15550000001', status: 'ringing', callControlId: 'v3:o' }))).toBe(0);
    expect(replayed(escalated({ to: '+15550000001', status: 'failed' }))).toBe(0);
  });

  it('a redelivery also repeats what the answers of its commands recorded: a crash after such a write is finished too', () => {
    const [speak] = stampCommands('e6', [{ kind: 'speak', callControlId: 'v3:c', text: 'hi', tag: { role: 'customer' } }]);
    const [viaConference] = stampCommands(`${speak!.commandId}:refused`, [{ kind: 'conferenceSpeak', conferenceId: 'conf', callControlIds: ['v3:c'], text: 'hi' }]);
    const [unrelated] = stampCommands('e7', [{ kind: 'hangup', callControlId: 'v3:x' }]);
    const base = started();
    const record: SessionRecord = {
      ...base,
      seenEventIds: [...base.seenEventIds, 'e6', `${speak!.commandId}:refused`, 'e7'],
      effects: [
        { eventId: 'e6', commands: [speak!] },
        { eventId: `${speak!.commandId}:refused`, commands: [viaConference!] },
        { eventId: 'e7', commands: [unrelated!] },
      ],
    };
    const decision = decide(transition, record, { type: 'call.dtmf', id: 'e6', callControlId: 'v3:c', digit: '2' }, T0);
    expect(decision).toEqual({ kind: 'duplicate', replay: [speak, viaConference] });
  });

  it('a refused dial, and a look at a leg, still matter once answered: asked again, the answer brings back what it decided', () => {
    const [dial] = stampCommands('e5', [{ kind: 'dialOperator', to: '+15550000001', tag: { role: 'operator' }, timeoutSecs: 20, operator: { attempt: 0, round: 0 }, detectMachine: true }]);
    const [look] = stampCommands('e8', [{ kind: 'checkCall', callControlId: 'v3:c' }]);
    const live = started().session;
    const withAttempt = (attempt: NonNullable<Session['escalation']>['attempts'][number]): Session => ({
      ...live,
      escalation: { reason: { rule: 'dtmf', detail: '' }, claimedAtMs: T0, round: 0, attempts: [attempt], status: 'dialing', briefed: false },
    });
    expect(stillMatters(dial!, withAttempt({ to: '+15550000001', status: 'failed', outcome: 'refused' }))).toBe(true);
    expect(stillMatters(dial!, withAttempt({ to: '+15550000001', status: 'failed', outcome: 'no-answer', callControlId: 'v3:o' }))).toBe(false);
    expect(stillMatters(dial!, { ...withAttempt({ to: '+15550000001', status: 'failed', outcome: 'refused' }), status: 'ended' })).toBe(false);
    expect(stillMatters(look!, { ...live, status: 'ended' })).toBe(true);
  });

  it('links: every leg and the conference, and only new ones on a write', () => {
    const session: Session = {
      ...fresh(),
      analyzer: { source: 'symbl', status: 'joined', callControlId: 'v3:a' },
      conference: { name: 'ivr-x', id: 'conf', ended: false },
      escalation: { reason: { rule: 'dtmf', detail: '' }, claimedAtMs: T0, round: 0, attempts: [{ to: '+1', status: 'connected', callControlId: 'v3:o' }], status: 'connected', briefed: true },
    };
    expect(linksOf(session)).toEqual([
      { kind: 'leg', callControlId: 'v3:c', role: 'customer' },
      { kind: 'leg', callControlId: 'v3:a', role: 'analyzer' },
      { kind: 'leg', callControlId: 'v3:o', role: 'operator' },
      { kind: 'conference', conferenceId: 'conf' },
    ]);
    expect(newLinks({ ...session, escalation: undefined }, session)).toEqual([{ kind: 'leg', callControlId: 'v3:o', role: 'operator' }]);
  });

  it('a stored session with a candidate id is the same call only when its customer leg matches', () => {
    expect(isSameCall(fresh(), fresh())).toBe(true);
    expect(isSameCall(fresh(), { ...fresh(), customer: { ...fresh().customer, callControlId: 'v3:other' } })).toBe(false);
  });
});

describe('claims: the analyzer start runs once, ever', () => {
  const [start] = stampCommands('e0', [{ kind: 'startAnalyzer', sessionId: '0123456789', dtmf: ',,0123456789#' }]) as StampedCommand[];
  const [hangUp] = stampCommands('e0', [{ kind: 'hangup', callControlId: 'v3:c' }]) as StampedCommand[];

  it('a start runs under one claim, the same for a first run and every replay', () => {
    expect(claimsFor('0123456789', start!)).toEqual([`0123456789:${start!.commandId}`]);
  });

  it('other commands run without a claim', () => {
    expect(claimsFor('0123456789', hangUp!)).toBeUndefined();
  });
});

describe('commands that failed for now', () => {
  const [dial] = stampCommands('e5', [{ kind: 'dialOperator', to: '+1', tag: { role: 'operator' }, timeoutSecs: 20, operator: { attempt: 1, round: 0 }, detectMachine: true }]);
  const [speak] = stampCommands('e6', [{ kind: 'speak', callControlId: 'v3:c', text: 'hi', tag: { role: 'customer' } }]);

  it('are retried through the queue with growing delays', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => {
      const next = afterUnavailable('0123456789', speak!, attempt, 'Telnyx answered 503');
      return 'retry' in next && next.retry.kind === 'scheduleWakeup' ? next.retry.delaySeconds : undefined;
    });
    expect(delays).toEqual([1, 2, 4, 8, 15, 30, 60, 120]);
    const first = afterUnavailable('0123456789', speak!, 1, 'x');
    expect(first).toEqual({
      retry: { kind: 'scheduleWakeup', wakeup: { kind: 'retry', sessionId: '0123456789', command: speak, attempt: 1 }, delaySeconds: 1, commandId: `${speak!.commandId}:retry-1` },
    });
  });

  it('once the retries are spent, a dial gives up as a refusal (the next number is tried); other commands just stop', () => {
    expect(afterUnavailable('0123456789', dial!, 9, 'Telnyx answered 503')).toEqual({
      event: { type: 'operator.refused', id: `${dial!.commandId}:abandoned`, operator: { attempt: 1, round: 0 }, reason: 'the dial could not be placed: Telnyx answered 503' },
    });
    expect(afterUnavailable('0123456789', speak!, 9, 'x')).toEqual({ event: undefined });
  });

  it('a retry runs only while it still matters', () => {
    const live = started().session;
    expect(stillMatters(speak!, live)).toBe(true);
    expect(stillMatters(speak!, { ...live, status: 'ended' })).toBe(false);
    expect(stillMatters(dial!, live)).toBe(false);
    const [hangUp] = stampCommands('e7', [{ kind: 'hangup', callControlId: 'v3:a' }]);
    expect(stillMatters(hangUp!, { ...live, status: 'ended' })).toBe(true);
    expect(stillMatters(hangUp!, undefined)).toBe(true);
    expect(stillMatters(speak!, undefined)).toBe(false);
  });

  it('our own queue and table are no telephony (they are never deferred)', () => {
    expect(needsTelephony(speak!)).toBe(true);
    const first = afterUnavailable(undefined, speak!, 1, 'x');
    expect('retry' in first && needsTelephony(first.retry)).toBe(false);
  });
});

describe('effects are kept for the redelivery window', () => {
  it('an effect older than the window is dropped; of the poll chain only the newest is kept', () => {
    let record = started();
    const at = (ms: number) => T0 + ms;
    const step = (event: Parameters<typeof decide>[2], ms: number) => {
      const d = decide(transition, record, event, at(ms));
      if (d.kind === 'changed') record = d.record;
    };
    step({ type: 'conference.created', id: 'c', conferenceId: 'conf', callControlId: 'v3:c' }, 1000);
    step({ type: 'call.answered', id: 'a', callControlId: 'v3:c' }, 2000);
    expect(record.effects.map((e) => e.eventId)).toEqual(['e0', 'a']);
    step({ type: 'session.check', id: 'k1' }, replayWindowMs + 1500);
    expect(record.effects.map((e) => e.eventId)).toEqual(['a', 'k1']);
  });
});

describe('an analyzer leg that never says its session', () => {
  it('is hung up; one that did is left alone', () => {
    expect(unidentifiedLegCommands('v3:a', undefined).map((c) => c.kind)).toEqual(['hangup']);
    expect(unidentifiedLegCommands('v3:a', '0123456789')).toEqual([]);
  });
});

describe('command answers as events', () => {
  const [dial] = stampCommands('e5', [{ kind: 'dialOperator', to: '+1', tag: { role: 'operator' }, timeoutSecs: 20, operator: { attempt: 1, round: 2 }, detectMachine: true }]);
  const [check] = stampCommands('e8', [{ kind: 'checkCall', callControlId: 'v3:c' }]);
  const [menu] = stampCommands('e9', [{ kind: 'playMenu', callControlId: 'v3:c', text: 'the menu', tag: { role: 'customer' } }]);

  it.each([
    ['alive', { kind: 'call-status', alive: true }, true],
    ['gone', { kind: 'call-status', alive: false }, false],
    ['unknown to Telnyx', { kind: 'refused', status: 404 }, false],
  ] as const)('a customer leg Telnyx reports %s', (_name, result, alive) => {
    expect(eventForResult(check!, result)).toEqual({ type: 'customer.status', id: `${check!.commandId}:status`, alive });
  });

  it('a prompt refused on the customer leg', () => {
    expect(eventForResult(menu!, { kind: 'refused', status: 422 })).toEqual({ type: 'prompt.refused', id: `${menu!.commandId}:refused`, prompt: 'playMenu', text: 'the menu' });
    expect(eventForResult(menu!, { kind: 'done' })).toBeUndefined();
  });
  const [start] = stampCommands('e0', [{ kind: 'startAnalyzer', sessionId: 's', dtmf: 'x' }]);

  it.each([
    ['a dial placing a leg', dial!, { kind: 'dialed', callControlId: 'v3:o' }, { type: 'operator.initiated', id: `${dial!.commandId}:dialed`, callControlId: 'v3:o', operator: { attempt: 1, round: 2 } }],
    ['an analyzer start', start!, { kind: 'analyzer-started', connectionId: 'k', conversationId: 'v' }, { type: 'analyzer.started', id: `${start!.commandId}:started`, connectionId: 'k', conversationId: 'v' }],
    ['an analyzer that failed to start', start!, { kind: 'analyzer-failed', reason: 'down' }, { type: 'analyzer.failed', id: `${start!.commandId}:failed`, reason: 'down' }],
    ['a dial refused', dial!, { kind: 'refused', status: 403 }, { type: 'operator.refused', id: `${dial!.commandId}:refused`, operator: { attempt: 1, round: 2 }, reason: 'Telnyx refused the dial (403)' }],
    ['a plain success', dial!, { kind: 'done' }, undefined],
  ] as const)('%s', (_name, command, result, expected) => {
    expect(eventForResult(command, result)).toEqual(expected);
  });
});

describe('queue messages', () => {
  it('a queue message becomes the event it brings', () => {
    expect(wakeupEvent({ kind: 'analyzer-timeout', sessionId: 's' }, 'm1', [])).toEqual({ type: 'analyzer.timeout', id: 'timeout:m1' });
    expect(wakeupEvent({ kind: 'check', sessionId: 's' }, 'm3', [])).toEqual({ type: 'session.check', id: 'check:m3' });
    expect(wakeupEvent({ kind: 'accept-timeout', sessionId: 's', round: 1, attempt: 0 }, 'm4', [])).toEqual({ type: 'operator.accept-timeout', id: 'accept:m4', operator: { round: 1, attempt: 0 } });
    const heard = [{ id: 'u', text: 'hi', score: 0, atMs: 1 }];
    expect(wakeupEvent({ kind: 'poll', sessionId: 's', seq: 4 }, 'm2', heard)).toEqual({ type: 'utterances.heard', id: 'poll:4:m2', utterances: heard, poll: { seq: 4, messageId: 'm2' } });
  });
});

describe('the poll chain’s cursor', () => {
  const live = (): Session => ({ ...started().session, poll: { active: true } });
  const pollSettings = { maxCallAgeSeconds: 3600, pollIntervalSeconds: 1 };

  it.each([
    ['the first message of a chain with no cursor yet', undefined, 0, 'm', 'current'],
    ['the message at the cursor', { seq: 3, advancedBy: 'x' }, 3, 'm', 'current'],
    ['a message behind it', { seq: 3, advancedBy: 'x' }, 1, 'm', 'stale'],
    ['a doubled message at the old position', { seq: 3, advancedBy: 'x' }, 2, 'other', 'stale'],
    ['the message that advanced it, back again', { seq: 3, advancedBy: 'm' }, 2, 'm', 'resend'],
    ['a message ahead of it', { seq: 3 }, 5, 'm', 'stale'],
  ] as const)('%s is %s', (_name, cursor, seq, messageId, standing) => {
    expect(pollStanding(cursor, seq, messageId)).toBe(standing);
  });

  it('after a cycle the next message follows, one position on, with the same id on a resend', () => {
    const next = nextPoll(live(), 3, 'm', T0, pollSettings);
    expect(next).toMatchObject({ kind: 'schedulePoll', sessionId: '0123456789', seq: 4, delaySeconds: 1 });
    expect(nextPoll(live(), 3, 'm', T0 + 5, pollSettings)?.commandId).toBe(next?.commandId);
  });

  it.each([
    ['the call ended', (s: Session): Session => ({ ...s, status: 'ended' })],
    ['polling was stopped', (s: Session): Session => ({ ...s, poll: { active: false } })],
    ['the call escalated', (s: Session): Session => ({ ...s, escalation: { reason: { rule: 'dtmf', detail: '' }, claimedAtMs: T0, round: 0, attempts: [], status: 'dialing', briefed: false } })],
  ])('no follow-up once %s', (_name, change) => {
    expect(wantsPolling(change(live()), T0, pollSettings)).toBe(false);
    expect(nextPoll(change(live()), 3, 'm', T0, pollSettings)).toBeUndefined();
  });

  it('no follow-up past the maximum call age', () => {
    expect(nextPoll(live(), 3, 'm', T0 + 3600_000, pollSettings)).toBeUndefined();
    expect(nextPoll(live(), 3, 'm', T0 + 3599_000, pollSettings)).toBeDefined();
  });
});
