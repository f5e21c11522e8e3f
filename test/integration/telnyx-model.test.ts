/**
 * The Telnyx model on its own, no servers: commands in, Telnyx's replies and webhooks out, the
 * timers it waits on fired by hand on a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { createTelnyxModel, seededIds, type DialBehavior, type PendingTimer, type TelnyxModel, type TelnyxModelOptions, type TimerKind } from '../../local/sim/telnyx-model.js';
import { deliveryPlan } from '../../local/sim/webhook-delivery.js';

const voice = 'AWS.Polly.Joanna-Neural';
const ours = '+15550100000';
const operator = '+15550300001';

/** A model on a clock the test moves, with helpers for the commands a test sends most. */
function world(options: Partial<TelnyxModelOptions> = {}) {
  let now = Date.UTC(2026, 0, 5, 9);
  const model: TelnyxModel = createTelnyxModel({ nowMs: () => now, ids: seededIds(1).next, ...options });
  const send = (method: string, path: string, body: Record<string, unknown> = {}) => model.command(method, path, body);
  const action = (id: string, name: string, body: Record<string, unknown> = {}) => send('POST', `/v2/calls/${encodeURIComponent(id)}/actions/${name}`, body);
  const conferenceAction = (id: string, name: string, body: Record<string, unknown>) => send('POST', `/v2/conferences/${id}/actions/${name}`, body);
  const events = (id: string, type?: string) => model.events.filter((e) => e.payload.call_control_id === id && (type === undefined || e.event_type === type));
  const types = (id: string) => events(id).map((e) => e.event_type);
  const timer = (id: string, kind: TimerKind): PendingTimer | undefined => model.timers().find((t) => t.callControlId === id && t.kind === kind);
  const fire = (id: string, kind: TimerKind): PendingTimer => {
    const t = timer(id, kind);
    if (!t) throw new Error(`no ${kind} timer on ${id}: ${JSON.stringify(model.timers())}`);
    model.fire(t.id);
    return t;
  };
  const answered = (): string => {
    const leg = model.placeInboundCall({ from: '+15550001111', to: ours });
    expect(action(leg.callControlId, 'answer').status).toBe(200);
    return leg.callControlId;
  };
  const dial = (body: Record<string, unknown> = {}) => send('POST', '/v2/calls', { connection_id: 'app', from: ours, to: operator, ...body });
  const dialedId = (reply: { body: unknown }) => (reply.body as { data: { call_control_id: string } }).data.call_control_id;
  const conferenceOf = (id: string): string => {
    const reply = send('POST', '/v2/conferences', { call_control_id: id, name: `conf-${id.slice(3, 9)}` });
    return (reply.body as { data: { id: string } }).data.id;
  };
  return {
    model,
    send,
    action,
    conferenceAction,
    events,
    types,
    timer,
    fire,
    answered,
    dial,
    dialedId,
    conferenceOf,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

const errorCode = (reply: { body: unknown }) => (reply.body as { errors: { code: string }[] }).errors[0]?.code;

describe('the Telnyx model: timer-free and deterministic', () => {
  it('the same commands give the same events, ids and timestamps; nothing happens until a timer is fired', () => {
    const run = () => {
      const w = world();
      const id = w.answered();
      w.action(id, 'speak', { payload: 'Hello there', voice });
      const before = w.types(id);
      const speak = w.timer(id, 'speak');
      w.advance(440);
      w.fire(id, 'speak');
      return { events: JSON.stringify(w.model.events), before, speak, after: w.types(id) };
    };
    const [a, b] = [run(), run()];

    expect(a.events).toBe(b.events);
    expect(a.before).toEqual(['call.initiated', 'call.answered', 'call.speak.started']);
    expect(a.speak).toMatchObject({ kind: 'speak', afterMs: 'Hello there'.length * 40, waitsOnCaller: false });
    expect(a.after.at(-1)).toBe('call.speak.ended');
  });

  it('an inbound leg with no command is hung up only when its first-command timer fires', () => {
    const w = world({ firstCommandTimeoutMs: 10_000 });
    const leg = w.model.placeInboundCall({ from: '+15550001111', to: ours });
    expect(w.timer(leg.callControlId, 'first-command')).toMatchObject({ afterMs: 10_000, waitsOnCaller: true });

    w.fire(leg.callControlId, 'first-command');

    expect(w.events(leg.callControlId, 'call.hangup')[0]?.payload).toMatchObject({ hangup_cause: 'timeout' });
  });
});

describe('command_id dedupe, for 60 s of the model clock', () => {
  it('a repeated command_id on a leg is a no-op within 60 s and runs again after', () => {
    const w = world();
    const id = w.answered();
    const body = { payload: 'Hi', voice, command_id: 'c-1' };

    expect(w.action(id, 'speak', body).outcome).toBe('executed');
    w.advance(59_999);
    expect(w.action(id, 'speak', body).outcome).toBe('duplicate');
    w.advance(1);
    expect(w.action(id, 'speak', body).outcome).toBe('executed');
    expect(w.model.legs.get(id)?.heard).toEqual(['Hi', 'Hi']);
  });

  it('a repeated dial command_id returns the first leg whatever the body, until the window ends', () => {
    const w = world();
    const first = w.dial({ command_id: 'd-1' });
    const again = w.dial({ command_id: 'd-1', to: '+15550300009' });
    w.advance(60_000);
    const later = w.dial({ command_id: 'd-1' });

    expect(w.dialedId(again)).toBe(w.dialedId(first));
    expect(w.dialedId(later)).not.toBe(w.dialedId(first));
    expect(w.model.dials()).toHaveLength(2);
  });

  it('answers like Telnyx: 422 90018 on an ended leg, 422 10004 with a pointer on a missing field, 404 on an unknown conference', () => {
    const w = world();
    const id = w.answered();
    const missing = w.action(id, 'speak', { payload: 'Hi' });
    w.model.hangup(id);

    expect(errorCode(w.action(id, 'speak', { payload: 'Hi', voice }))).toBe('90018');
    expect(missing.body).toEqual({ errors: [{ code: '10004', title: 'Missing required parameter', detail: "The 'voice' parameter is required.", source: { pointer: '/voice' } }] });
    expect(w.conferenceAction('no-such', 'speak', { payload: 'x', voice }).status).toBe(404);
  });
});

describe('refused dials', () => {
  for (const [status, code] of [
    [403, '10010'],
    [422, '10016'],
    [400, '10015'],
  ] as const) {
    it(`{ refused: ${status} } answers ${status} with a Telnyx error, creates no leg and sends no webhook`, () => {
      const w = world();
      w.model.setDialBehavior(operator, { refused: status });

      const reply = w.dial({ command_id: `refused-${status}` });

      expect(reply.status).toBe(status);
      expect(errorCode(reply)).toBe(code);
      expect(w.model.legs.size).toBe(0);
      expect(w.model.events).toEqual([]);
      expect(w.model.dials()).toEqual([]);
      expect(w.model.dialOutcomes()).toEqual([{ to: operator, commandId: `refused-${status}`, status, result: 'refused', callControlId: undefined, clientState: null, at: w.model.nowMs() }]);
    });
  }

  it('a dial policy can refuse one dial and let the next through', () => {
    const w = world();
    let calls = 0;
    w.model.setDialPolicy(() => (calls++ === 0 ? { refused: 403 } : undefined));

    expect(w.dial().status).toBe(403);
    expect(w.dial().status).toBe(200);
    expect(w.model.dialOutcomes().map((d) => d.result)).toEqual(['refused', 'placed']);
  });
});

describe('answering-machine detection', () => {
  const voicemail: DialBehavior = { answerAfterMs: 2000, kind: 'voicemail', pressAfterPrompt: { digits: '1' } };

  it("a voicemail answers; 'detect_beep' reports machine, then the greeting's beep; it never presses a key", () => {
    const w = world();
    w.model.setDialBehavior(operator, voicemail);
    const id = w.dialedId(w.dial({ answering_machine_detection: 'detect_beep' }));

    expect(w.fire(id, 'ring')).toMatchObject({ afterMs: 2000, farEnd: 'answer' });
    expect(w.action(id, 'gather_using_speak', { payload: 'Press 1 to take the call', voice, maximum_digits: 1 }).status).toBe(200);
    w.fire(id, 'machine-detection');
    w.fire(id, 'machine-greeting');

    expect(w.types(id)).toEqual(['call.initiated', 'call.answered', 'call.speak.started', 'call.machine.detection.ended', 'call.machine.greeting.ended']);
    expect(w.events(id, 'call.machine.detection.ended')[0]?.payload).toMatchObject({ result: 'machine', call_control_id: id, from: ours, to: operator });
    expect(w.events(id, 'call.machine.greeting.ended')[0]?.payload.result).toBe('beep_detected');
    expect(w.timer(id, 'far-end-press')).toBeUndefined();
  });

  it("a person with 'premium' detection is human_residence, with no greeting; 'detect' says human", () => {
    for (const [mode, type, result] of [
      ['premium', 'call.machine.premium.detection.ended', 'human_residence'],
      ['detect', 'call.machine.detection.ended', 'human'],
    ] as const) {
      const w = world();
      const id = w.dialedId(w.dial({ answering_machine_detection: mode }));
      w.fire(id, 'ring');
      w.fire(id, 'machine-detection');

      expect(w.events(id, type)[0]?.payload.result).toBe(result);
      expect(w.timer(id, 'machine-greeting')).toBeUndefined();
    }
  });

  it('a premium voicemail ends its greeting with call.machine.premium.greeting.ended; a set result overrides', () => {
    const w = world();
    w.model.setDialBehavior(operator, { answerAfterMs: 100, kind: 'voicemail' });
    const machine = w.dialedId(w.dial({ answering_machine_detection: 'premium' }));
    w.fire(machine, 'ring');
    w.fire(machine, 'machine-detection');
    w.fire(machine, 'machine-greeting');
    w.model.setDialBehavior(operator, { answerAfterMs: 100, machineDetectionResult: 'not_sure' });
    const unsure = w.dialedId(w.dial({ answering_machine_detection: 'detect' }));
    w.fire(unsure, 'ring');
    w.fire(unsure, 'machine-detection');

    expect(w.types(machine).slice(-2)).toEqual(['call.machine.premium.detection.ended', 'call.machine.premium.greeting.ended']);
    expect(w.events(unsure, 'call.machine.detection.ended')[0]?.payload.result).toBe('not_sure');
  });

  it("refuses an unknown mode with 422; 'disabled' or none runs no detection", () => {
    const w = world();
    expect(w.dial({ answering_machine_detection: 'guess' }).status).toBe(422);
    const id = w.dialedId(w.dial({ answering_machine_detection: 'disabled' }));
    w.fire(id, 'ring');
    expect(w.timer(id, 'machine-detection')).toBeUndefined();
  });
});

describe('screening an operator on a leg of its own', () => {
  it('a dial without conference_config is a plain leg: prompts wait for the answer, then work, and a join adds it later', () => {
    const w = world();
    const customer = w.answered();
    const conferenceId = w.conferenceOf(customer);
    const id = w.dialedId(w.dial());

    expect(errorCode(w.action(id, 'speak', { payload: 'Hello', voice }))).toBe('10015');
    w.fire(id, 'ring');
    expect(w.action(id, 'speak', { payload: 'A caller is waiting.', voice }).status).toBe(200);
    expect(w.action(id, 'gather_using_speak', { payload: 'Press 1 to accept.', voice, maximum_digits: 1, valid_digits: '12' }).status).toBe(200);
    expect(w.action(id, 'gather', { maximum_digits: 1 }).status).toBe(200);
    expect(w.model.legs.get(id)?.conferenceId).toBeUndefined();
    expect(w.conferenceAction(conferenceId, 'join', { call_control_id: id }).status).toBe(200);

    expect(w.model.conferences.get(conferenceId)?.participants.has(id)).toBe(true);
    expect(w.types(id)).toContain('conference.participant.joined');
    // The second gather cancelled the first.
    expect(w.events(id, 'call.gather.ended').map((e) => e.payload.status)).toEqual(['cancelled']);
  });

  it('a person scripted to press 1 does so after hearing the prompt on their own leg, ending the gather valid', () => {
    const w = world();
    w.model.setDialBehavior(operator, { answerAfterMs: 300, pressAfterPrompt: { digits: '1', afterMs: 700, whenPromptIncludes: 'Press 1' } });
    const id = w.dialedId(w.dial());
    w.fire(id, 'ring');
    w.action(id, 'speak', { payload: 'Hello.', voice });
    expect(w.timer(id, 'far-end-press')).toBeUndefined();

    w.action(id, 'gather_using_speak', { payload: 'Press 1 to take the call.', voice, maximum_digits: 1, valid_digits: '1' });
    expect(w.fire(id, 'far-end-press').afterMs).toBe(700);

    expect(w.events(id, 'call.dtmf.received').map((e) => e.payload.digit)).toEqual(['1']);
    expect(w.events(id, 'call.gather.ended')[0]?.payload).toMatchObject({ digits: '1', status: 'valid' });
  });

  it('an operator who leaves hangs up a chosen time after connecting, and leaves the conference', () => {
    const w = world();
    const customer = w.answered();
    const conferenceId = w.conferenceOf(customer);
    w.model.setDialBehavior(operator, { answerAfterMs: 500, hangupAfterMs: 45_000 });
    const id = w.dialedId(w.dial({ conference_config: { id: conferenceId, early_media: false } }));
    w.fire(id, 'ring');
    expect(w.model.conferences.get(conferenceId)?.participants.has(id)).toBe(true);

    expect(w.fire(id, 'far-end-hangup').afterMs).toBe(45_000);

    expect(w.events(id, 'call.hangup')[0]?.payload).toMatchObject({ hangup_cause: 'normal_clearing', hangup_source: 'callee' });
    expect(w.types(id).slice(-2)).toEqual(['call.hangup', 'conference.participant.left']);
    expect(w.model.conferences.get(conferenceId)?.participants.has(customer)).toBe(true);
  });
});

describe('an operator who leaves after talking', () => {
  it('hangs up a chosen time after first joining the conference, however long screening took', () => {
    const w = world();
    const customer = w.answered();
    const conferenceId = w.conferenceOf(customer);
    w.model.setDialBehavior(operator, { answerAfterMs: 500, hangupAfterJoinMs: 4000 });
    const id = w.dialedId(w.dial());
    w.fire(id, 'ring');
    expect(w.timer(id, 'far-end-hangup')).toBeUndefined();
    w.advance(10_000);
    w.action(id, 'speak', { payload: 'Escalated call.', voice });
    expect(w.timer(id, 'far-end-hangup')).toBeUndefined();

    w.conferenceAction(conferenceId, 'join', { call_control_id: id });
    expect(w.model.conferences.get(conferenceId)?.participants.has(id)).toBe(true);
    expect(w.fire(id, 'far-end-hangup').afterMs).toBe(4000);
    expect(w.types(id).slice(-2)).toEqual(['call.hangup', 'conference.participant.left']);
  });
});

describe('outages', () => {
  it('answers 503 to the chosen kinds inside the window only, before doing anything', () => {
    const w = world();
    const id = w.answered();
    w.model.outage({ kinds: ['dial', 'speak'], fromMs: w.now() + 1000, untilMs: w.now() + 5000 });

    const before = w.action(id, 'speak', { payload: 'before', voice, command_id: 's-1' });
    w.advance(1000);
    const during = w.action(id, 'speak', { payload: 'during', voice, command_id: 's-2' });
    const dialDuring = w.dial();
    const gatherDuring = w.action(id, 'gather', { maximum_digits: 1 });
    w.advance(4000);
    const after = w.action(id, 'speak', { payload: 'during', voice, command_id: 's-2' });

    expect([before.status, during.status, dialDuring.status, gatherDuring.status, after.status]).toEqual([200, 503, 503, 200, 200]);
    expect([during.outcome, after.outcome]).toEqual(['outage', 'executed']);
    expect(errorCode(during)).toBe('10007');
    expect(w.model.legs.get(id)?.heard).toEqual(['before', 'during']);
    expect(w.model.dialOutcomes().map((d) => d.result)).toEqual(['outage']);
  });
});

describe('prompts for a conference participant', () => {
  it('with call-level prompts refused, speak and gathers on a conferenced leg are 422 and conference speak reaches only the named legs', () => {
    const w = world({ callPromptsInConference: 'refused' });
    const a = w.answered();
    const b = w.answered();
    const loner = w.answered();
    const conferenceId = w.conferenceOf(a);
    w.conferenceAction(conferenceId, 'join', { call_control_id: b });

    const refused = ['speak', 'gather_using_speak', 'gather'].map((name) => w.action(a, name, { payload: 'Press 1', voice }).status);
    const alone = w.action(loner, 'speak', { payload: 'Hello', voice }).status;
    const whisper = w.conferenceAction(conferenceId, 'speak', { payload: 'Only for b', voice, call_control_ids: [b] }).status;

    expect(refused).toEqual([422, 422, 422]);
    expect(alone).toBe(200);
    expect(whisper).toBe(200);
    expect(w.model.legs.get(a)?.heard).toEqual([]);
    expect(w.model.legs.get(b)?.heard).toEqual(['Only for b']);
  });

  it('gather_using_audio plays to one participant and gathers its keys: call.dtmf.received and call.gather.ended on that leg', () => {
    const w = world();
    const a = w.answered();
    const b = w.answered();
    const conferenceId = w.conferenceOf(a);
    w.conferenceAction(conferenceId, 'join', { call_control_id: b });

    const reply = w.conferenceAction(conferenceId, 'gather_using_audio', { call_control_id: b, audio_url: 'https://example.test/press-1.mp3', valid_digits: '12', maximum_digits: 1, gather_id: 'screen' });
    expect(w.timer(b, 'gather-prompt')?.afterMs).toBe(3000);
    w.model.press(b, '1');

    expect(reply.status).toBe(200);
    expect(w.model.legs.get(b)?.heard).toEqual(['https://example.test/press-1.mp3']);
    expect(w.events(b, 'call.dtmf.received').map((e) => e.payload.digit)).toEqual(['1']);
    expect(w.events(b, 'call.gather.ended')[0]?.payload).toMatchObject({ digits: '1', status: 'valid', gather_id: 'screen' });
    expect(w.events(a, 'call.gather.ended')).toEqual([]);
  });

  it('gather_using_audio needs audio and a participant, and times out like a gather', () => {
    const w = world();
    const a = w.answered();
    const stranger = w.answered();
    const conferenceId = w.conferenceOf(a);

    expect(errorCode(w.conferenceAction(conferenceId, 'gather_using_audio', { call_control_id: a }))).toBe('10004');
    expect(w.conferenceAction(conferenceId, 'gather_using_audio', { call_control_id: stranger, media_name: 'press-1' }).status).toBe(422);
    w.conferenceAction(conferenceId, 'gather_using_audio', { call_control_id: a, media_name: 'press-1', maximum_tries: 1, timeout_millis: 4000 });
    w.fire(a, 'gather-prompt');
    w.fire(a, 'gather-timeout');

    expect(w.events(a, 'call.gather.ended')[0]?.payload).toMatchObject({ digits: '', status: 'timeout' });
  });
});

describe('webhook retry policies', () => {
  it("answer's webhook_retries_policies is kept per leg and event type, and shapes the 'telnyx' delivery plan", () => {
    const w = world();
    const leg = w.model.placeInboundCall({ from: '+15550001111', to: ours });
    w.action(leg.callControlId, 'answer', { webhook_retries_policies: { 'call.answered': { retries_ms: [1000, 5000] } } });
    const answered = w.events(leg.callControlId, 'call.answered')[0]!;
    const initiated = w.events(leg.callControlId, 'call.initiated')[0]!;

    expect(w.model.retryPolicyFor(answered)).toEqual([1000, 5000]);
    expect(w.model.retryPolicyFor(initiated)).toBeUndefined();
    expect(deliveryPlan('telnyx', { retriesMs: w.model.retryPolicyFor(answered), failover: true })).toEqual([
      { delayMs: 0, target: 'primary' },
      { delayMs: 1000, target: 'primary' },
      { delayMs: 5000, target: 'primary' },
      { delayMs: 0, target: 'failover' },
    ]);
    expect(deliveryPlan('telnyx', { failover: false })).toHaveLength(1);
    expect(deliveryPlan('retry-3', { failover: true }).map((a) => a.delayMs)).toEqual([0, 250, 500]);
  });

  it('refuses invalid policies with 422: more than 5 retries, over 60 s in all, not whole milliseconds', () => {
    for (const retries_ms of [[1, 2, 3, 4, 5, 6], [30_000, 30_001], [-5], 'soon']) {
      const w = world();
      const leg = w.model.placeInboundCall({ from: '+15550001111', to: ours });
      const reply = w.action(leg.callControlId, 'answer', { webhook_retries_policies: { 'call.hangup': { retries_ms } } });
      const dial = w.dial({ webhook_retries_policies: { 'call.answered': { retries_ms } } });

      expect([reply.status, dial.status]).toEqual([422, 422]);
      expect(w.model.legs.get(leg.callControlId)?.state).toBe('parked');
    }
    expect(world().dial({ webhook_retries_policies: { 'call.answered': { retries_ms: [10_000, 20_000, 30_000] } } }).status).toBe(200);
  });
});
