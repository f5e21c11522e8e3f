/**
 * The call side of the Telnyx model: legs, conferences, prompts, gathers and DTMF, and the far
 * ends of outbound legs, with the webhooks each change produces. Nothing here waits: whatever
 * takes time becomes a pending timer that the model's driver fires when it chooses.
 */
import type { IdSource } from './telnyx-model-ids.js';
import { bool, str, strList, type Body, type ModelReply } from './telnyx-model-replies.js';
import type {
  DialBehavior,
  ExecutedCommand,
  FarEndScript,
  GatherView,
  LegState,
  ModelLeg,
  PendingTimer,
  SimAudio,
  SimConference,
  SimParticipant,
  TelnyxModelObserver,
  TelnyxWebhookEvent,
  TimerKind,
} from './telnyx-model-types.js';

export interface Gather extends GatherView {
  readonly validDigits: string;
  readonly minDigits: number;
  readonly maxDigits: number;
  readonly terminatingDigit: string;
  readonly timeoutMs: number;
  readonly initialTimeoutMs: number | undefined;
  readonly interDigitTimeoutMs: number;
  readonly gatherId: string | undefined;
  /** The prompt: TTS text, or the audio URL / media name. */
  readonly prompt: string | undefined;
  readonly invalidPrompt: string | undefined;
  readonly stopPromptOnDtmf: boolean;
  triesLeft: number;
  digits: string;
  promptTimer: number | undefined;
  timeoutTimer: number | undefined;
  digitTimer: number | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A leg as the model keeps it: what `ModelLeg` shows, writable, and the model's own bookkeeping. */
export interface Leg extends Mutable<ModelLeg> {
  gather: Gather | undefined;
  readonly events: TelnyxWebhookEvent[];
  readonly heard: string[];
  readonly executed: ExecutedCommand[];
  /** Timers of call-level prompts still playing. */
  readonly speeches: Set<number>;
  /** command_id → the reply first given for it, and when. */
  readonly commandIds: Map<string, { reply: ModelReply; atMs: number }>;
  firstCommandTimer: number | undefined;
  /** Timers of the far end: ringing, detection, scripted keys and hangup. */
  farEndTimers: number[];
  /** For dialed legs: the conference to join on answer (or early media). */
  pendingConference: Body | undefined;
  farEnd: FarEndScript;
  pressedAfterPrompt: boolean;
}

export interface CallsOptions {
  readonly nowMs: () => number;
  readonly ids: IdSource;
  readonly speakMsPerChar: number;
  readonly firstCommandTimeoutMs: number;
  /** How long an audio prompt (gather_using_audio) plays. */
  readonly audioPromptMs: number;
  readonly observers: ReadonlySet<TelnyxModelObserver>;
  readonly onObserverError: (error: unknown) => void;
}

/** Simulated ms answering-machine detection takes, and a machine's greeting after it. */
const detectionMs = { person: 1500, voicemail: 3000 } as const;
const greetingMs = 5000;
/** `answering_machine_detection` values a dial may carry. */
export const machineDetectionModes: ReadonlySet<string> = new Set(['premium', 'detect', 'detect_beep', 'detect_words', 'greeting_end', 'disabled']);

export type Calls = ReturnType<typeof createCalls>;

export function createCalls(options: CallsOptions) {
  const { nowMs, ids } = options;
  const toIso = (ms: number): string => new Date(ms).toISOString();
  const iso = (): string => toIso(nowMs());
  const legs = new Map<string, Leg>();
  const conferences = new Map<string, SimConference>();
  const conferenceSpeeches = new Map<string, Set<number>>();
  const events: TelnyxWebhookEvent[] = [];
  const timers = new Map<number, { timer: PendingTimer; run: () => void }>();
  let timerSeq = 0;

  function notify(call: (observer: TelnyxModelObserver) => void): void {
    for (const observer of options.observers) {
      try {
        call(observer);
      } catch (error) {
        options.onObserverError(error);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Timers: what the model waits for

  function setTimer(
    kind: TimerKind,
    afterMs: number,
    on: { leg?: Leg; conferenceId?: string },
    run: () => void,
    extra: { waitsOnCaller?: boolean; farEnd?: PendingTimer['farEnd'] } = {},
  ): number {
    const timer: PendingTimer = {
      id: ++timerSeq,
      kind,
      afterMs: Math.max(0, afterMs),
      setAtMs: nowMs(),
      callControlId: on.leg?.callControlId,
      conferenceId: on.conferenceId ?? on.leg?.conferenceId,
      waitsOnCaller: extra.waitsOnCaller ?? false,
      ...(extra.farEnd ? { farEnd: extra.farEnd } : {}),
    };
    timers.set(timer.id, { timer, run });
    notify((o) => o.timerSet?.(timer));
    return timer.id;
  }

  function clearTimer(id: number | undefined): void {
    if (id === undefined || !timers.delete(id)) return;
    notify((o) => o.timerCleared?.(id));
  }

  /** Resolves a pending timer now; false when it was no longer pending. */
  function fire(id: number): boolean {
    const entry = timers.get(id);
    if (!entry) return false;
    timers.delete(id);
    entry.run();
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Events

  function emit(eventType: string, payload: Record<string, unknown>, payloadTime = false): TelnyxWebhookEvent {
    const occurredAt = iso();
    const id = ids('event_id');
    const event: TelnyxWebhookEvent = payloadTime
      ? { record_type: 'event', event_type: eventType, id, payload: { ...payload, occurred_at: occurredAt } }
      : { record_type: 'event', event_type: eventType, id, occurred_at: occurredAt, payload };
    events.push(event);
    const leg = typeof payload.call_control_id === 'string' ? legs.get(payload.call_control_id) : undefined;
    leg?.events.push(event);
    notify((o) => o.event?.(event));
    return event;
  }

  function callPayload(leg: Leg, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      call_control_id: leg.callControlId,
      call_leg_id: leg.callLegId,
      call_session_id: leg.callSessionId,
      connection_id: leg.connectionId,
      client_state: leg.clientState,
      from: leg.from,
      to: leg.to,
      ...extra,
    };
  }

  const emitCall = (leg: Leg, eventType: string, extra: Record<string, unknown> = {}): void => {
    emit(eventType, callPayload(leg, extra));
  };

  function audio(a: Omit<SimAudio, 'at'>): void {
    const full: SimAudio = { ...a, at: nowMs() };
    notify((o) => o.audio?.(full));
  }

  // -------------------------------------------------------------------------------------------
  // Legs

  function createLeg(init: { direction: 'incoming' | 'outgoing'; from: string; to: string; connectionId: string; clientState: string | null; state: LegState }): Leg {
    const leg: Leg = {
      callControlId: ids('call_control_id'),
      callLegId: ids('call_leg_id'),
      callSessionId: ids('call_session_id'),
      connectionId: init.connectionId,
      direction: init.direction,
      from: init.from,
      to: init.to,
      startTime: iso(),
      state: init.state,
      clientState: init.clientState,
      conferenceId: undefined,
      hangupCause: undefined,
      endTime: undefined,
      transcription: undefined,
      gather: undefined,
      speeches: new Set(),
      events: [],
      heard: [],
      commandIds: new Map(),
      executed: [],
      firstCommandTimer: undefined,
      farEndTimers: [],
      pendingConference: undefined,
      farEnd: {},
      machineDetection: undefined,
      retryPolicies: {},
      pressedAfterPrompt: false,
    };
    legs.set(leg.callControlId, leg);
    return leg;
  }

  function clearLegTimers(leg: Leg): void {
    clearTimer(leg.firstCommandTimer);
    leg.firstCommandTimer = undefined;
    for (const t of leg.farEndTimers) clearTimer(t);
    leg.farEndTimers = [];
  }

  /** An accepted command: the first-command deadline no longer applies. */
  function commandAccepted(leg: Leg): void {
    clearTimer(leg.firstCommandTimer);
    leg.firstCommandTimer = undefined;
  }

  /** A leg goes down: gather and speech end with 'call_hangup', then `call.hangup`, then it leaves its conference. */
  function endLeg(leg: Leg, cause: string, source: 'caller' | 'callee' | 'unknown', sipCause: string): void {
    if (leg.state === 'hangup') return;
    clearLegTimers(leg);
    if (leg.gather) finishGather(leg, 'call_hangup');
    for (const speech of leg.speeches) {
      clearTimer(speech);
      emitCall(leg, 'call.speak.ended', { status: 'call_hangup' });
    }
    leg.speeches.clear();
    leg.state = 'hangup';
    leg.hangupCause = cause;
    leg.endTime = iso();
    leg.transcription = undefined;
    leg.pendingConference = undefined;
    emitCall(leg, 'call.hangup', {
      hangup_cause: cause,
      hangup_source: source,
      sip_hangup_cause: sipCause,
      state: 'hangup',
      start_time: leg.startTime,
      end_time: leg.endTime,
    });
    const conference = leg.conferenceId ? conferences.get(leg.conferenceId) : undefined;
    if (conference) leaveConference(conference, leg);
  }

  /** The far end hangs up. */
  function farEndHangsUp(leg: Leg): void {
    endLeg(leg, 'normal_clearing', leg.direction === 'incoming' ? 'caller' : 'callee', '200');
  }

  function answerLeg(leg: Leg): void {
    leg.state = 'answered';
    emitCall(leg, 'call.answered', { state: 'answered', start_time: leg.startTime });
  }

  function placeInboundCall(init: { from: string; to: string; connectionId: string }): Leg {
    const leg = createLeg({ direction: 'incoming', from: init.from, to: init.to, connectionId: init.connectionId, clientState: null, state: 'parked' });
    emitCall(leg, 'call.initiated', { direction: 'incoming', state: 'parked', caller_id_name: init.from, start_time: leg.startTime });
    leg.firstCommandTimer = setTimer(
      'first-command',
      options.firstCommandTimeoutMs,
      { leg },
      () => {
        leg.firstCommandTimer = undefined;
        endLeg(leg, 'timeout', 'unknown', '408');
      },
      { waitsOnCaller: true },
    );
    return leg;
  }

  // -------------------------------------------------------------------------------------------
  // Prompts, DTMF, gathers, transcription

  const speechMs = (text: string): number => text.length * options.speakMsPerChar;

  function playToLeg(leg: Leg, text: string, kind: 'tts' | 'audio'): void {
    leg.heard.push(text);
    audio({ kind, via: 'call', text, conferenceId: leg.conferenceId, callControlIds: [leg.callControlId], muted: false, score: undefined });
    heardPrompt(leg, text);
  }

  function startSpeak(leg: Leg, text: string): void {
    playToLeg(leg, text, 'tts');
    emitCall(leg, 'call.speak.started');
    const id = setTimer('speak', speechMs(text), { leg }, () => {
      leg.speeches.delete(id);
      if (leg.state !== 'hangup') emitCall(leg, 'call.speak.ended', { status: 'completed' });
    });
    leg.speeches.add(id);
  }

  function gatherPrompt(leg: Leg, gather: Gather, prompt: string): void {
    playToLeg(leg, prompt, gather.kind === 'gather_using_audio' ? 'audio' : 'tts');
    if (gather.kind !== 'gather_using_audio') emitCall(leg, 'call.speak.started');
    const length = gather.kind === 'gather_using_audio' ? options.audioPromptMs : speechMs(prompt);
    gather.promptTimer = setTimer('gather-prompt', length, { leg }, () => {
      if (leg.gather !== gather) return;
      gather.promptTimer = undefined;
      armGatherTimeout(leg, gather);
    });
  }

  function startGather(leg: Leg, gather: Gather): void {
    if (leg.gather) finishGather(leg, 'cancelled');
    leg.gather = gather;
    if (gather.prompt) gatherPrompt(leg, gather, gather.prompt);
    else armGatherTimeout(leg, gather);
  }

  function armGatherTimeout(leg: Leg, gather: Gather): void {
    clearTimer(gather.timeoutTimer);
    gather.timeoutTimer = setTimer('gather-timeout', gather.timeoutMs, { leg }, () => gatherTimedOut(leg, gather), { waitsOnCaller: true });
    if (gather.initialTimeoutMs !== undefined && gather.digits === '') {
      clearTimer(gather.digitTimer);
      gather.digitTimer = setTimer('gather-initial-timeout', gather.initialTimeoutMs, { leg }, () => gatherTimedOut(leg, gather), { waitsOnCaller: true });
    }
  }

  function verdict(gather: Gather): 'valid' | 'invalid' | 'timeout' {
    if (gather.digits === '') return 'timeout';
    return gather.digits.length >= gather.minDigits ? 'valid' : 'invalid';
  }

  function gatherTimedOut(leg: Leg, gather: Gather): void {
    if (leg.gather !== gather) return;
    attemptEnded(leg, gather, verdict(gather));
  }

  /** One try is over; a prompted gather replays while tries remain, else the gather ends. */
  function attemptEnded(leg: Leg, gather: Gather, status: 'valid' | 'invalid' | 'timeout'): void {
    if (status !== 'valid' && gather.kind !== 'gather' && gather.triesLeft > 1) {
      gather.triesLeft--;
      gather.digits = '';
      clearTimer(gather.timeoutTimer);
      clearTimer(gather.digitTimer);
      gather.timeoutTimer = undefined;
      gather.digitTimer = undefined;
      const replay = status === 'invalid' && gather.invalidPrompt ? gather.invalidPrompt : (gather.prompt ?? '');
      gatherPrompt(leg, gather, replay);
      return;
    }
    finishGather(leg, status);
  }

  function finishGather(leg: Leg, status: string): void {
    const gather = leg.gather;
    if (!gather) return;
    leg.gather = undefined;
    clearTimer(gather.timeoutTimer);
    clearTimer(gather.digitTimer);
    clearTimer(gather.promptTimer);
    emitCall(leg, 'call.gather.ended', { digits: gather.digits, status, ...(gather.gatherId !== undefined ? { gather_id: gather.gatherId } : {}) });
  }

  function dtmf(leg: Leg, digit: string): void {
    if (leg.state !== 'answered') return;
    emitCall(leg, 'call.dtmf.received', { digit });
    const gather = leg.gather;
    if (!gather) return;
    if (gather.promptTimer !== undefined && gather.stopPromptOnDtmf) {
      // DTMF interrupts the prompt.
      clearTimer(gather.promptTimer);
      gather.promptTimer = undefined;
      if (gather.timeoutTimer === undefined) armGatherTimeout(leg, gather);
    }
    clearTimer(gather.digitTimer);
    gather.digitTimer = undefined;
    if (gather.terminatingDigit !== '' && digit === gather.terminatingDigit) {
      attemptEnded(leg, gather, gather.digits.length >= gather.minDigits ? 'valid' : 'invalid');
      return;
    }
    gather.digits += digit;
    if (!gather.validDigits.includes(digit)) {
      attemptEnded(leg, gather, 'invalid');
      return;
    }
    if (gather.digits.length >= gather.maxDigits) {
      attemptEnded(leg, gather, 'valid');
      return;
    }
    gather.digitTimer = setTimer('gather-inter-digit', gather.interDigitTimeoutMs, { leg }, () => gatherTimedOut(leg, gather), { waitsOnCaller: true });
  }

  /** Keys pressed at once (`,` pauses are the driver's business and skipped here). */
  function press(leg: Leg, digits: string): void {
    for (const ch of digits) {
      if (ch === ',') continue;
      if (!/^[0-9*#A-Da-d]$/.test(ch)) throw new Error(`Not a DTMF digit: ${JSON.stringify(ch)}`);
      if (leg.state === 'hangup') return;
      dtmf(leg, ch.toUpperCase());
    }
  }

  function say(leg: Leg, text: string, final: boolean, score: number | undefined): void {
    if (leg.state !== 'answered') return;
    const conference = leg.conferenceId ? conferences.get(leg.conferenceId) : undefined;
    const muted = conference?.participants.get(leg.callControlId)?.muted ?? false;
    if (final) audio({ kind: 'speech', via: 'caller', text, conferenceId: leg.conferenceId, callControlIds: [leg.callControlId], muted, score });
    const transcription = leg.transcription;
    if (transcription && (transcription.tracks === 'inbound' || transcription.tracks === 'both')) {
      emitCall(leg, 'call.transcription', {
        transcription_data: { transcript: text, confidence: 0.9, is_final: final, transcription_track: 'inbound' },
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Conferences

  function conferencePayload(conference: SimConference): Record<string, unknown> {
    const creator = legs.get(conference.creatorCallControlId);
    return {
      conference_id: conference.id,
      call_control_id: conference.creatorCallControlId,
      call_leg_id: creator?.callLegId,
      call_session_id: creator?.callSessionId,
      connection_id: conference.connectionId,
      client_state: conference.clientState,
    };
  }

  function participantPayload(conference: SimConference, leg: Leg): Record<string, unknown> {
    return {
      conference_id: conference.id,
      call_control_id: leg.callControlId,
      call_leg_id: leg.callLegId,
      call_session_id: leg.callSessionId,
      connection_id: leg.connectionId,
      // Only the owner's client_state reaches conference webhooks.
      ...(leg.callControlId === conference.creatorCallControlId ? { client_state: conference.clientState } : {}),
    };
  }

  function createConference(leg: Leg, name: string, clientState: string | null): SimConference {
    const conference: SimConference = {
      id: ids('conference_id'),
      name,
      status: 'in_progress',
      creatorCallControlId: leg.callControlId,
      clientState,
      connectionId: leg.connectionId,
      createdAt: iso(),
      endedAt: undefined,
      endReason: undefined,
      participants: new Map(),
      history: [],
    };
    conferences.set(conference.id, conference);
    emit('conference.created', conferencePayload(conference), true);
    return conference;
  }

  function joinConference(conference: SimConference, leg: Leg, body: Body): void {
    const participant: SimParticipant = {
      callControlId: leg.callControlId,
      muted: bool(body, 'mute') ?? false,
      onHold: bool(body, 'hold') ?? false,
      supervisorRole: str(body, 'supervisor_role') ?? 'none',
      whisperCallControlIds: strList(body, 'whisper_call_control_ids') ?? [],
      endConferenceOnExit: bool(body, 'end_conference_on_exit') ?? false,
      joinedAt: nowMs(),
    };
    conference.participants.set(leg.callControlId, participant);
    conference.history.push({ callControlId: leg.callControlId, joinedAt: participant.joinedAt, leftAt: undefined });
    leg.conferenceId = conference.id;
    emit('conference.participant.joined', participantPayload(conference, leg));
    const leaveAfterMs = leg.farEnd.hangupAfterJoinMs;
    if (leaveAfterMs !== undefined && conference.history.filter((h) => h.callControlId === leg.callControlId).length === 1) {
      farEndTimer(leg, 'far-end-hangup', leaveAfterMs, () => farEndHangsUp(leg));
    }
  }

  function removeParticipant(conference: SimConference, leg: Leg): boolean {
    if (!conference.participants.delete(leg.callControlId)) return false;
    if (leg.conferenceId === conference.id) leg.conferenceId = undefined;
    const entry = [...conference.history].reverse().find((h) => h.callControlId === leg.callControlId && h.leftAt === undefined);
    if (entry) entry.leftAt = nowMs();
    emit('conference.participant.left', participantPayload(conference, leg));
    return true;
  }

  function leaveConference(conference: SimConference, leg: Leg): void {
    const participant = conference.participants.get(leg.callControlId);
    if (!participant || !removeParticipant(conference, leg)) return;
    if (conference.status !== 'in_progress') return;
    if (participant.endConferenceOnExit) endConference(conference, 'host_left');
    else if (conference.participants.size === 0) endConference(conference, 'all_left');
  }

  /** Everyone leaves (legs stay up), then `conference.ended`. */
  function endConference(conference: SimConference, reason: string): void {
    if (conference.status !== 'in_progress') return;
    conference.status = 'completed';
    for (const callControlId of [...conference.participants.keys()]) {
      const leg = legs.get(callControlId);
      if (leg) removeParticipant(conference, leg);
    }
    for (const speech of conferenceSpeeches.get(conference.id) ?? []) clearTimer(speech);
    conferenceSpeeches.delete(conference.id);
    conference.endedAt = iso();
    conference.endReason = reason;
    emit('conference.ended', { ...conferencePayload(conference), reason }, true);
  }

  /** TTS into a conference, heard by `targets`; `conference.speak.*` carry the conference's ids. */
  function speakIntoConference(conference: SimConference, text: string, targets: readonly string[]): void {
    for (const id of targets) {
      const leg = legs.get(id);
      if (!leg) continue;
      leg.heard.push(text);
      heardPrompt(leg, text);
    }
    audio({ kind: 'tts', via: 'conference', text, conferenceId: conference.id, callControlIds: targets, muted: false, score: undefined });
    const speakPayload = (): Record<string, unknown> => ({
      conference_id: conference.id,
      creator_call_session_id: legs.get(conference.creatorCallControlId)?.callSessionId,
    });
    emit('conference.speak.started', speakPayload(), true);
    const set = conferenceSpeeches.get(conference.id) ?? new Set<number>();
    conferenceSpeeches.set(conference.id, set);
    const id = setTimer('conference-speak', speechMs(text), { conferenceId: conference.id }, () => {
      set.delete(id);
      if (conference.status === 'in_progress') emit('conference.speak.ended', speakPayload(), true);
    });
    set.add(id);
  }

  function activeConferenceByName(name: string): SimConference | undefined {
    let found: SimConference | undefined;
    for (const c of conferences.values()) if (c.name === name && c.status === 'in_progress') found = c;
    return found;
  }

  /** A dialed leg with conference_config enters its conference (on answer, or at early media). */
  function enterPendingConference(leg: Leg): void {
    const pending = leg.pendingConference;
    if (!pending || leg.state === 'hangup' || leg.conferenceId) return;
    leg.pendingConference = undefined;
    const id = str(pending, 'id');
    const name = str(pending, 'conference_name');
    let conference = id ? conferences.get(id) : name ? activeConferenceByName(name) : undefined;
    if (!conference && !id && name) conference = createConference(leg, name, leg.clientState);
    if (!conference || conference.status !== 'in_progress') return;
    joinConference(conference, leg, pending);
  }

  // -------------------------------------------------------------------------------------------
  // The far ends of outbound legs

  function farEndTimer(leg: Leg, kind: TimerKind, afterMs: number, run: () => void, farEnd?: PendingTimer['farEnd']): void {
    leg.farEndTimers.push(setTimer(kind, afterMs, { leg }, run, farEnd ? { farEnd } : {}));
  }

  function startRinging(leg: Leg, timeoutSecs: number, earlyMedia: boolean, behavior: Exclude<DialBehavior, { refused: number }>): void {
    const timeoutMs = timeoutSecs * 1000;
    if ('busy' in behavior) {
      farEndTimer(leg, 'ring', 100, () => endLeg(leg, 'user_busy', 'callee', '486'), 'busy');
      return;
    }
    if (earlyMedia && leg.pendingConference) enterPendingConference(leg);
    if ('answerAfterMs' in behavior && behavior.answerAfterMs < timeoutMs) {
      leg.farEnd = behavior;
      farEndTimer(leg, 'ring', behavior.answerAfterMs, () => farEndAnswers(leg), 'answer');
      return;
    }
    farEndTimer(leg, 'ring', timeoutMs, () => ringOut(leg), 'timeout');
  }

  /** Nobody picked up before the dial's `timeout_secs`. */
  function ringOut(leg: Leg): void {
    if (leg.state === 'bridging') endLeg(leg, 'timeout', 'unknown', '408');
  }

  function farEndBusy(leg: Leg): void {
    if (leg.state === 'bridging') endLeg(leg, 'user_busy', 'callee', '486');
  }

  function farEndAnswers(leg: Leg): void {
    if (leg.state !== 'bridging') return;
    clearLegTimers(leg);
    answerLeg(leg);
    notify((o) => o.answered?.(leg));
    if (leg.machineDetection !== undefined && leg.machineDetection !== 'disabled') {
      const machine = leg.farEnd.kind === 'voicemail';
      farEndTimer(leg, 'machine-detection', machine ? detectionMs.voicemail : detectionMs.person, () => machineDetected(leg));
    }
    const hangupAfterMs = leg.farEnd.hangupAfterMs;
    if (hangupAfterMs !== undefined) farEndTimer(leg, 'far-end-hangup', hangupAfterMs, () => farEndHangsUp(leg));
    enterPendingConference(leg);
  }

  function machineDetected(leg: Leg): void {
    if (leg.state !== 'answered') return;
    const mode = leg.machineDetection ?? 'detect';
    const premium = mode === 'premium';
    const machine = leg.farEnd.kind === 'voicemail';
    const result = leg.farEnd.machineDetectionResult ?? (machine ? 'machine' : premium ? 'human_residence' : 'human');
    emitCall(leg, premium ? 'call.machine.premium.detection.ended' : 'call.machine.detection.ended', { result });
    if (result !== 'machine' || !['premium', 'detect_beep', 'greeting_end'].includes(mode)) return;
    farEndTimer(leg, 'machine-greeting', greetingMs, () => {
      if (leg.state !== 'answered') return;
      const type = premium ? 'call.machine.premium.greeting.ended' : 'call.machine.greeting.ended';
      emitCall(leg, type, { result: mode === 'greeting_end' ? 'ended' : 'beep_detected' });
    });
  }

  /** A scripted person presses their digits a moment after a prompt reaches their leg. */
  function heardPrompt(leg: Leg, text: string): void {
    const script = leg.farEnd.pressAfterPrompt;
    if (!script || leg.pressedAfterPrompt || leg.farEnd.kind === 'voicemail' || leg.state !== 'answered') return;
    if (script.whenPromptIncludes !== undefined && !text.includes(script.whenPromptIncludes)) return;
    leg.pressedAfterPrompt = true;
    farEndTimer(leg, 'far-end-press', script.afterMs ?? 500, () => press(leg, script.digits));
  }

  return {
    legs,
    conferences,
    events,
    timers,
    setTimer,
    fire,
    emit,
    emitCall,
    createLeg,
    commandAccepted,
    endLeg,
    farEndHangsUp,
    answerLeg,
    placeInboundCall,
    startSpeak,
    startGather,
    finishGather,
    press,
    say,
    conferencePayload,
    createConference,
    joinConference,
    leaveConference,
    endConference,
    speakIntoConference,
    startRinging,
    ringOut,
    farEndBusy,
    farEndAnswers,
  };
}
