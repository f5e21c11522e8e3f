/**
 * One model of Telnyx Call Control, timer-free and deterministic: its clock and ids are
 * injected. Commands arrive as `(method, path, body)` and get Telnyx's reply back; their
 * effects become webhook events (Telnyx's "Expected Webhooks" per command) and pending timers
 * (a prompt finishing, a gather timing out, a far end answering), both handed to the driver,
 * which decides when a timer fires and when an event is delivered. The far ends of the legs
 * (a caller pressing keys, an operator answering or leaving) are actions on the model.
 *
 * Two drivers use it: the HTTP simulator (`telnyx-simulator.ts`: routes, signing, delivery,
 * real scaled timers) and the reliability world (`test/reliability/support/world.ts`: a
 * schedule picks what happens next).
 */
import { createCalls, machineDetectionModes, type Gather, type Leg } from './telnyx-model-calls.js';
import type { IdSource } from './telnyx-model-ids.js';
import {
  asBody,
  bool,
  clientStateProblem,
  num,
  parseRetryPolicies,
  replies,
  str,
  strList,
  type Body,
  type ModelReply,
} from './telnyx-model-replies.js';
import type {
  CommandOutcome,
  CommandResult,
  DialBehavior,
  DialOutcome,
  DialPolicy,
  DialRecord,
  ExecutedCommand,
  ModelLeg,
  Outage,
  PendingTimer,
  RoutedCommand,
  SimConference,
  TelnyxModelObserver,
  TelnyxWebhookEvent,
} from './telnyx-model-types.js';

export type * from './telnyx-model-types.js';
export type { IdSource, IdKind } from './telnyx-model-ids.js';
export { seededIds } from './telnyx-model-ids.js';

export interface TelnyxModelOptions {
  readonly nowMs: () => number;
  readonly ids: IdSource;
  /** Simulated TTS duration per character. Default 40. */
  readonly speakMsPerChar?: number;
  /** An inbound leg with no accepted command by then is hung up (a pending timer). Default 30000. */
  readonly firstCommandTimeoutMs?: number;
  /** How long an audio prompt of gather_using_audio plays. Default 3000. */
  readonly audioPromptMs?: number;
  /** Connection (Call Control App) id on inbound legs. */
  readonly inboundConnectionId?: string;
  /** How long a `command_id` is remembered, on the model's clock. Default 60000 (Telnyx's 60 s). */
  readonly dedupeWindowMs?: number;
  /**
   * 'refused': call-level speak / gather_using_speak / gather on a leg that is in a conference
   * are answered 422 (to test a fallback to conference speak and gather_using_audio). Default 'allowed'.
   */
  readonly callPromptsInConference?: 'allowed' | 'refused';
  /** Where an observer's exception goes (by default into `errors`). */
  readonly onObserverError?: (error: unknown) => void;
}

export interface TelnyxModel {
  nowMs(): number;
  readonly legs: ReadonlyMap<string, ModelLeg>;
  readonly conferences: ReadonlyMap<string, SimConference>;
  /** Every event generated, in generation order. */
  readonly events: readonly TelnyxWebhookEvent[];
  /** Exceptions thrown by observers (when no `onObserverError` was given). */
  readonly errors: readonly unknown[];

  /** The command a request is, or undefined when it is not part of the modelled API. */
  route(method: string, path: string, body: unknown, query?: URLSearchParams): RoutedCommand | undefined;
  /** Routes and runs a request; 404 with Telnyx's body when it is not modelled. */
  command(method: string, path: string, body: unknown, query?: URLSearchParams): CommandResult & { readonly kind: string };
  observe(observer: TelnyxModelObserver): () => void;

  /** What the model is waiting for, oldest first. */
  timers(): PendingTimer[];
  /** Resolves a pending timer now; false when it is no longer pending. */
  fire(timerId: number): boolean;

  /** A call arrives for one of our numbers (`call.initiated`, parked; the first-command timer starts). */
  placeInboundCall(init: { from: string; to: string; connectionId?: string }): ModelLeg;
  /** The far end presses keys, all at once (`,` is skipped: pauses belong to the driver). */
  press(callControlId: string, digits: string): void;
  /** The far end talks: `call.transcription` when transcription is on for the leg. */
  say(callControlId: string, text: string, options?: { final?: boolean; score?: number }): void;
  /** The far end hangs up. */
  hangup(callControlId: string): void;
  /** The far end of a ringing outbound leg picks up now. */
  answer(callControlId: string): void;
  /** A ringing outbound leg reaches its `timeout_secs`. */
  ringOut(callControlId: string): void;
  /** The far end of a ringing outbound leg is busy. */
  busy(callControlId: string): void;

  /** How the far end of `toNumber` behaves from the next dial on. */
  setDialBehavior(toNumber: string, behavior: DialBehavior): void;
  /** Decides per dial (before the per-number behaviour); undefined falls through. */
  setDialPolicy(policy: DialPolicy | undefined): void;
  /** Answers 503, before doing anything, to the given kinds inside the window; the function returned ends it early. */
  outage(window: Outage): () => void;
  setCallPromptsInConference(mode: 'allowed' | 'refused'): void;

  /** Dials actually placed (a repeated `command_id` is not a second dial). */
  dials(): DialRecord[];
  /** Every dial request but repeats: placed, refused, invalid or hit by an outage. */
  dialOutcomes(): DialOutcome[];
  commandsFor(callControlId: string): ExecutedCommand[];
  /** The retry delays a leg's `webhook_retries_policies` gives this event, if any. */
  retryPolicyFor(event: TelnyxWebhookEvent): readonly number[] | undefined;
}

/**
 * A live view of a model leg with more on it (a driver's handle on the far end): the leg's own
 * fields stay current, `extra`'s are added or take their place.
 */
export function legHandle<T extends object>(leg: ModelLeg, extra: T): Omit<ModelLeg, keyof T> & T {
  return Object.defineProperties(Object.create(leg) as object, Object.getOwnPropertyDescriptors(extra)) as Omit<ModelLeg, keyof T> & T;
}

interface Outcome {
  readonly reply: ModelReply;
  readonly outcome: CommandOutcome;
}

const rejected = (reply: ModelReply): Outcome => ({ reply, outcome: 'rejected' });
const ok = (data?: unknown): Outcome => ({ reply: replies.ok(data), outcome: 'executed' });
const isRejection = (value: Outcome | Gather): value is Outcome => 'outcome' in value;

export function createTelnyxModel(options: TelnyxModelOptions): TelnyxModel {
  const { nowMs } = options;
  const dedupeWindowMs = options.dedupeWindowMs ?? 60_000;
  const inboundConnectionId = options.inboundConnectionId ?? 'sim-call-control-app';
  let callPromptsInConference = options.callPromptsInConference ?? 'allowed';
  const errors: unknown[] = [];
  const observers = new Set<TelnyxModelObserver>();
  const calls = createCalls({
    nowMs,
    ids: options.ids,
    speakMsPerChar: options.speakMsPerChar ?? 40,
    firstCommandTimeoutMs: options.firstCommandTimeoutMs ?? 30_000,
    audioPromptMs: options.audioPromptMs ?? 3000,
    observers,
    onObserverError: options.onObserverError ?? ((error) => void errors.push(error)),
  });
  const { legs, conferences } = calls;
  const conferenceCommandIds = new Map<string, Map<string, { reply: ModelReply; atMs: number }>>();
  const dialReplies = new Map<string, { reply: ModelReply; atMs: number }>();
  const dialLog: DialRecord[] = [];
  const dialOutcomes: DialOutcome[] = [];
  const dialBehaviors = new Map<string, DialBehavior>();
  let dialPolicy: DialPolicy | undefined;
  const outages: Outage[] = [];

  // -------------------------------------------------------------------------------------------
  // command_id dedupe, for the window on the model's clock

  function recall(seen: Map<string, { reply: ModelReply; atMs: number }>, commandId: string): ModelReply | undefined {
    const previous = seen.get(commandId);
    return previous && nowMs() - previous.atMs < dedupeWindowMs ? previous.reply : undefined;
  }

  /** Runs a command on a leg with command_id dedupe in the leg's namespace. */
  function onLeg(leg: Leg | undefined, kind: string, body: Body, needAnswered: boolean, run: (leg: Leg) => Outcome): Outcome {
    const commandId = str(body, 'command_id');
    if (!leg || leg.state === 'hangup') return rejected(replies.callEnded());
    if (needAnswered && commandId === undefined && leg.state !== 'answered') return rejected(replies.notAnswered());
    if (commandId !== undefined) {
      const previous = recall(leg.commandIds, commandId);
      if (previous) return { reply: previous, outcome: 'duplicate' };
      if (needAnswered && leg.state !== 'answered') return rejected(replies.notAnswered());
    }
    const bad = clientStateProblem(body);
    if (bad) return rejected(bad);
    const outcome = run(leg);
    if (outcome.outcome === 'executed') {
      if (commandId !== undefined) leg.commandIds.set(commandId, { reply: outcome.reply, atMs: nowMs() });
      leg.executed.push({ kind, body, commandId, at: nowMs() });
      calls.commandAccepted(leg);
    }
    return outcome;
  }

  /** Conference commands without a single leg dedupe on the conference's own command_ids. */
  function onConference(conference: SimConference, kind: string, body: Body, run: () => Outcome): Outcome {
    const commandId = str(body, 'command_id');
    const seen = conferenceCommandIds.get(conference.id) ?? new Map<string, { reply: ModelReply; atMs: number }>();
    conferenceCommandIds.set(conference.id, seen);
    if (commandId !== undefined) {
      const previous = recall(seen, commandId);
      if (previous) return { reply: previous, outcome: 'duplicate' };
    }
    if (conference.status !== 'in_progress') return rejected(replies.conferenceNotFound());
    const outcome = run();
    if (outcome.outcome !== 'executed') return outcome;
    if (commandId !== undefined) seen.set(commandId, { reply: outcome.reply, atMs: nowMs() });
    for (const id of strList(body, 'call_control_ids') ?? []) legs.get(id)?.executed.push({ kind, body, commandId, at: nowMs() });
    return outcome;
  }

  function setClientState(leg: Leg, body: Body): void {
    const cs = str(body, 'client_state');
    if (cs !== undefined) leg.clientState = cs;
  }

  function transcriptionFrom(config: Body): Leg['transcription'] {
    return { tracks: str(config, 'transcription_tracks') ?? 'inbound', engine: str(config, 'transcription_engine') };
  }

  /** A gather's settings, Telnyx's defaults filled in; or the rejection of bad ones. */
  function gatherFrom(kind: Gather['kind'], body: Body, prompt: string | undefined, invalidPrompt: string | undefined): Gather | Outcome {
    const min = num(body, 'minimum_digits') ?? 1;
    const max = num(body, 'maximum_digits') ?? 128;
    if (min < 1 || max > 128 || min > max) return rejected(replies.invalid('maximum_digits', 'minimum_digits/maximum_digits out of range.'));
    return {
      kind,
      validDigits: str(body, 'valid_digits') ?? '0123456789#*',
      minDigits: min,
      maxDigits: max,
      terminatingDigit: str(body, 'terminating_digit') ?? '#',
      timeoutMs: num(body, 'timeout_millis') ?? 60_000,
      initialTimeoutMs: num(body, 'initial_timeout_millis'),
      interDigitTimeoutMs: num(body, 'inter_digit_timeout_millis') ?? 5000,
      gatherId: str(body, 'gather_id'),
      prompt,
      invalidPrompt,
      stopPromptOnDtmf: bool(body, 'stop_playback_on_dtmf') ?? true,
      triesLeft: kind === 'gather' ? 1 : Math.max(1, num(body, 'maximum_tries') ?? 3),
      digits: '',
      promptTimer: undefined,
      timeoutTimer: undefined,
      digitTimer: undefined,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Call commands

  function callAction(action: string, leg: Leg | undefined, body: Body): Outcome {
    const refusePrompt = (l: Leg): boolean => callPromptsInConference === 'refused' && l.conferenceId !== undefined;
    switch (action) {
      case 'answer':
        return onLeg(leg, action, body, false, (l) => {
          if (l.direction !== 'incoming' || l.state !== 'parked') return rejected(replies.badState('Call can not be answered in its current state.'));
          const policies = parseRetryPolicies(body);
          if ('problem' in policies) return rejected(policies.problem);
          setClientState(l, body);
          l.retryPolicies = policies.policies;
          if (bool(body, 'transcription') === true) l.transcription = transcriptionFrom(asBody(body.transcription_config));
          calls.answerLeg(l);
          return ok();
        });
      case 'hangup':
        return onLeg(leg, action, body, false, (l) => {
          setClientState(l, body);
          const source = l.direction === 'incoming' ? 'callee' : 'caller';
          const cause = l.state === 'bridging' ? 'originator_cancel' : 'normal_clearing';
          calls.endLeg(l, cause, source, cause === 'originator_cancel' ? '487' : '200');
          return ok();
        });
      case 'speak':
        return onLeg(leg, action, body, true, (l) => {
          const payload = str(body, 'payload');
          if (!payload) return rejected(replies.missing('payload'));
          if (!str(body, 'voice')) return rejected(replies.missing('voice'));
          if (refusePrompt(l)) return rejected(replies.promptInConference());
          setClientState(l, body);
          calls.startSpeak(l, payload);
          return ok();
        });
      case 'gather_using_speak':
      case 'gather':
        return onLeg(leg, action, body, true, (l) => {
          const speaks = action === 'gather_using_speak';
          const payload = str(body, 'payload');
          if (speaks && !payload) return rejected(replies.missing('payload'));
          if (speaks && !str(body, 'voice')) return rejected(replies.missing('voice'));
          const gather = gatherFrom(action, body, speaks ? payload : undefined, speaks ? str(body, 'invalid_payload') : undefined);
          if (isRejection(gather)) return gather;
          if (refusePrompt(l)) return rejected(replies.promptInConference());
          setClientState(l, body);
          calls.startGather(l, gather);
          return ok();
        });
      case 'gather_stop':
        return onLeg(leg, action, body, false, (l) => {
          setClientState(l, body);
          if (l.gather) calls.finishGather(l, 'cancelled');
          return ok();
        });
      case 'transcription_start':
        return onLeg(leg, action, body, true, (l) => {
          setClientState(l, body);
          l.transcription = transcriptionFrom(body);
          return ok();
        });
      case 'transcription_stop':
        return onLeg(leg, action, body, false, (l) => {
          setClientState(l, body);
          l.transcription = undefined;
          return ok();
        });
      case 'client_state_update':
        return onLeg(leg, action, body, false, (l) => {
          if (str(body, 'client_state') === undefined) return rejected(replies.missing('client_state'));
          setClientState(l, body);
          return ok();
        });
      default:
        return rejected(replies.notModelled(`calls/actions/${action}`));
    }
  }

  function dial(body: Body): Outcome {
    const commandId = str(body, 'command_id');
    if (commandId !== undefined) {
      const previous = recall(dialReplies, commandId);
      if (previous) return { reply: previous, outcome: 'duplicate' };
    }
    const toRaw = body.to;
    const to = typeof toRaw === 'string' ? toRaw : Array.isArray(toRaw) && typeof toRaw[0] === 'string' ? toRaw[0] : undefined;
    const refuse = (reply: ModelReply, result: DialOutcome['result'] = 'invalid'): Outcome => {
      dialOutcomes.push({ to: to ?? '', commandId, status: reply.status, result, callControlId: undefined, clientState: str(body, 'client_state') ?? null, at: nowMs() });
      return rejected(reply);
    };
    const connectionId = str(body, 'connection_id');
    const from = str(body, 'from');
    if (!connectionId) return refuse(replies.missing('connection_id'));
    if (!from) return refuse(replies.missing('from'));
    if (!to) return refuse(replies.missing('to'));
    const bad = clientStateProblem(body);
    if (bad) return refuse(bad);
    const timeoutSecs = num(body, 'timeout_secs') ?? 30;
    if (timeoutSecs < 5 || timeoutSecs > 600) return refuse(replies.invalid('timeout_secs', 'timeout_secs must be between 5 and 600.'));
    const machineDetection = str(body, 'answering_machine_detection');
    if (machineDetection !== undefined && !machineDetectionModes.has(machineDetection)) {
      return refuse(replies.invalid('answering_machine_detection', `answering_machine_detection must be one of ${[...machineDetectionModes].join(', ')}.`));
    }
    const policies = parseRetryPolicies(body);
    if ('problem' in policies) return refuse(policies.problem);
    const config = body.conference_config === undefined ? undefined : asBody(body.conference_config);
    const conferenceId = config ? str(config, 'id') : undefined;
    if (config) {
      if (!conferenceId && !str(config, 'conference_name')) return refuse(replies.invalid('conference_config', 'conference_config needs id or conference_name.'));
      const conference = conferenceId ? conferences.get(conferenceId) : undefined;
      if (conferenceId && (!conference || conference.status !== 'in_progress')) {
        return refuse(replies.badState('conference_config.id does not name an active conference.', '/conference_config/id'));
      }
    }
    const behavior = dialPolicy?.({ to, conferenceId, clientState: str(body, 'client_state') ?? null }) ?? dialBehaviors.get(to) ?? { answerAfterMs: 200 };
    if ('refused' in behavior) return refuse(replies.dialRefused(behavior.refused, to), 'refused');

    const leg = calls.createLeg({ direction: 'outgoing', from, to, connectionId, clientState: str(body, 'client_state') ?? null, state: 'bridging' });
    if (config) leg.pendingConference = config;
    leg.machineDetection = machineDetection;
    leg.retryPolicies = policies.policies;
    if (bool(body, 'transcription') === true) leg.transcription = transcriptionFrom(asBody(body.transcription_config));
    const at = nowMs();
    dialLog.push({ callControlId: leg.callControlId, to, from, connectionId, commandId, clientState: leg.clientState, conferenceConfig: config, timeoutSecs, answeringMachineDetection: machineDetection, at });
    dialOutcomes.push({ to, commandId, status: 200, result: 'placed', callControlId: leg.callControlId, clientState: leg.clientState, at });
    leg.executed.push({ kind: 'dial', body, commandId, at });
    calls.emitCall(leg, 'call.initiated', { direction: 'outgoing', state: 'bridging', start_time: leg.startTime });
    calls.startRinging(leg, timeoutSecs, config ? bool(config, 'early_media') !== false : false, behavior);
    const outcome = ok({ record_type: 'call', call_control_id: leg.callControlId, call_leg_id: leg.callLegId, call_session_id: leg.callSessionId, is_alive: false });
    if (commandId !== undefined) dialReplies.set(commandId, { reply: outcome.reply, atMs: at });
    return outcome;
  }

  function callStatus(leg: Leg | undefined): Outcome {
    if (!leg) return rejected(replies.callNotFound());
    const end = leg.endTime ? Date.parse(leg.endTime) : nowMs();
    return ok({
      record_type: 'call',
      call_control_id: leg.callControlId,
      call_leg_id: leg.callLegId,
      call_session_id: leg.callSessionId,
      client_state: leg.clientState,
      is_alive: leg.state !== 'hangup',
      call_duration: Math.round((end - Date.parse(leg.startTime)) / 1000),
      start_time: leg.startTime,
      ...(leg.endTime ? { end_time: leg.endTime } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Conference commands

  function conferenceView(conference: SimConference): Record<string, unknown> {
    const expires = new Date(Date.parse(conference.createdAt) + 4 * 3600_000).toISOString();
    return {
      record_type: 'conference',
      id: conference.id,
      name: conference.name,
      created_at: conference.createdAt,
      expires_at: expires,
      updated_at: conference.endedAt ?? conference.createdAt,
      status: conference.status,
      region: 'sim',
      connection_id: conference.connectionId,
      ...(conference.endReason ? { end_reason: conference.endReason } : {}),
    };
  }

  function participantsView(conference: SimConference): Record<string, unknown>[] {
    return [...conference.participants.values()].map((p) => ({
      record_type: 'participant',
      id: p.callControlId,
      call_control_id: p.callControlId,
      call_leg_id: legs.get(p.callControlId)?.callLegId,
      conference: { id: conference.id, name: conference.name },
      muted: p.muted,
      on_hold: p.onHold,
      end_conference_on_exit: p.endConferenceOnExit,
      status: 'joined',
      whisper_call_control_ids: p.whisperCallControlIds,
    }));
  }

  const notParticipant = () => rejected(replies.badState('Call is not a participant of this conference.', '/call_control_id'));

  function conferenceAction(action: string, conference: SimConference | undefined, body: Body): Outcome {
    if (!conference) return rejected(replies.conferenceNotFound());
    const kind = `conference_${action}`;
    const targetId = str(body, 'call_control_id');
    const target = targetId ? legs.get(targetId) : undefined;
    switch (action) {
      case 'join': {
        if (!targetId) return rejected(replies.missing('call_control_id'));
        const commandId = str(body, 'command_id');
        const repeated = target !== undefined && commandId !== undefined && recall(target.commandIds, commandId) !== undefined;
        if (conference.status !== 'in_progress' && !repeated) return rejected(replies.conferenceNotFound());
        return onLeg(target, kind, body, true, (l) => {
          if (l.conferenceId) return rejected(replies.badState('Call is already in a conference.', '/call_control_id'));
          setClientState(l, body);
          calls.joinConference(conference, l, body);
          return ok();
        });
      }
      case 'leave':
        if (!targetId) return rejected(replies.missing('call_control_id'));
        return onLeg(target, kind, body, false, (l) => {
          if (!conference.participants.has(l.callControlId)) return notParticipant();
          calls.leaveConference(conference, l);
          return ok();
        });
      case 'update':
        if (!targetId) return rejected(replies.missing('call_control_id'));
        return onLeg(target, kind, body, false, (l) => {
          const participant = conference.participants.get(l.callControlId);
          if (!participant) return notParticipant();
          const role = str(body, 'supervisor_role');
          if (!role) return rejected(replies.missing('supervisor_role'));
          participant.supervisorRole = role;
          participant.whisperCallControlIds = strList(body, 'whisper_call_control_ids') ?? participant.whisperCallControlIds;
          return ok();
        });
      case 'gather_using_audio':
        if (!targetId) return rejected(replies.missing('call_control_id'));
        return onLeg(target, kind, body, true, (l) => {
          if (conference.status !== 'in_progress') return rejected(replies.conferenceNotFound());
          if (!conference.participants.has(l.callControlId)) return notParticipant();
          const audio = str(body, 'audio_url') ?? str(body, 'media_name');
          if (!audio) return rejected(replies.missing('audio_url'));
          const gather = gatherFrom('gather_using_audio', body, audio, str(body, 'invalid_audio_url') ?? str(body, 'invalid_media_name'));
          if (isRejection(gather)) return gather;
          setClientState(l, body);
          calls.startGather(l, gather);
          return ok();
        });
      case 'mute':
      case 'unmute':
      case 'hold':
      case 'unhold':
        return onConference(conference, kind, body, () => {
          const ids = strList(body, 'call_control_ids') ?? [];
          for (const id of ids.length > 0 ? ids : [...conference.participants.keys()]) {
            const p = conference.participants.get(id);
            if (!p) continue;
            if (action === 'mute' || action === 'unmute') p.muted = action === 'mute';
            else p.onHold = action === 'hold';
          }
          return ok();
        });
      case 'speak':
        return onConference(conference, kind, body, () => {
          const payload = str(body, 'payload');
          if (!payload) return rejected(replies.missing('payload'));
          if (!str(body, 'voice')) return rejected(replies.missing('voice'));
          const ids = strList(body, 'call_control_ids') ?? [];
          calls.speakIntoConference(conference, payload, ids.length > 0 ? ids.filter((id) => conference.participants.has(id)) : [...conference.participants.keys()]);
          return ok();
        });
      case 'end':
        return onConference(conference, kind, body, () => {
          calls.endConference(conference, 'ended_via_api');
          return ok();
        });
      default:
        return rejected(replies.notModelled(`conferences/actions/${action}`));
    }
  }

  function conferenceCreate(body: Body): Outcome {
    const id = str(body, 'call_control_id');
    if (!id) return rejected(replies.missing('call_control_id'));
    return onLeg(legs.get(id), 'conference_create', body, true, (l) => {
      const name = str(body, 'name');
      if (!name) return rejected(replies.missing('name'));
      if (l.conferenceId) return rejected(replies.badState('Call is already in a conference.', '/call_control_id'));
      setClientState(l, body);
      const conference = calls.createConference(l, name, str(body, 'client_state') ?? l.clientState);
      calls.joinConference(conference, l, body);
      return ok(conferenceView(conference));
    });
  }

  // -------------------------------------------------------------------------------------------
  // Routing

  function inOutage(kind: string, callControlId: string | undefined, body: Body): boolean {
    const now = nowMs();
    return outages.some(
      (o) => now >= o.fromMs && now < o.untilMs && (o.kinds === undefined || o.kinds.includes(kind)) && (o.affects === undefined || o.affects({ kind, callControlId, body })),
    );
  }

  function command(kind: string, body: Body, target: { callControlId?: string | undefined; conferenceId?: string }, run: () => Outcome): RoutedCommand {
    const commandId = str(body, 'command_id');
    return {
      kind,
      ...(target.callControlId !== undefined ? { callControlId: target.callControlId } : {}),
      ...(target.conferenceId !== undefined ? { conferenceId: target.conferenceId } : {}),
      ...(commandId !== undefined ? { commandId } : {}),
      run: () => {
        if (inOutage(kind, target.callControlId, body)) {
          const reply = replies.serviceUnavailable();
          if (kind === 'dial') dialOutcomes.push({ to: str(body, 'to') ?? '', commandId, status: reply.status, result: 'outage', callControlId: undefined, clientState: str(body, 'client_state') ?? null, at: nowMs() });
          return { ...reply, outcome: 'outage' };
        }
        const { reply, outcome } = run();
        return { status: reply.status, body: reply.body, outcome };
      },
    };
  }

  function route(method: string, path: string, rawBody: unknown, query: URLSearchParams = new URLSearchParams()): RoutedCommand | undefined {
    const body = asBody(rawBody);
    const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    if (parts[0] !== 'v2') return undefined;
    const [, resource, id, sub, action] = parts;
    if (resource === 'calls') {
      if (id === undefined && method === 'POST') return command('dial', body, {}, () => dial(body));
      if (id !== undefined && sub === undefined && method === 'GET') return command('retrieve_call', body, { callControlId: id }, () => callStatus(legs.get(id)));
      if (id !== undefined && sub === 'actions' && action !== undefined && parts.length === 5) {
        if (action === 'client_state_update' ? method !== 'PUT' : method !== 'POST') return undefined;
        return command(action, body, { callControlId: id }, () => callAction(action, legs.get(id), body));
      }
      return undefined;
    }
    if (resource !== 'conferences') return undefined;
    if (id === undefined && method === 'POST') return command('conference_create', body, { callControlId: str(body, 'call_control_id') }, () => conferenceCreate(body));
    if (id === undefined && method === 'GET') {
      const name = query.get('filter[name]');
      const status = query.get('filter[status]');
      const matching = () => [...conferences.values()].filter((c) => (!name || c.name === name) && (!status || c.status === status));
      return command('conference_list', body, {}, () => ({ reply: replies.list(matching().map(conferenceView)), outcome: 'executed' }));
    }
    const conference = id !== undefined ? conferences.get(id) : undefined;
    if (id !== undefined && sub === undefined && method === 'GET') {
      return command('conference_retrieve', body, { conferenceId: id }, () => (conference ? ok(conferenceView(conference)) : rejected(replies.conferenceNotFound())));
    }
    if (id !== undefined && sub === 'participants' && parts.length === 4 && method === 'GET') {
      return command('conference_participants', body, { conferenceId: id }, () =>
        conference ? { reply: replies.list(participantsView(conference)), outcome: 'executed' } : rejected(replies.conferenceNotFound()),
      );
    }
    if (id !== undefined && sub === 'actions' && action !== undefined && parts.length === 5 && method === 'POST') {
      return command(`conference_${action}`, body, { conferenceId: id, callControlId: str(body, 'call_control_id') }, () => conferenceAction(action, conference, body));
    }
    return undefined;
  }

  const legFor = (callControlId: string): Leg => {
    const leg = legs.get(callControlId);
    if (!leg) throw new Error(`No leg ${callControlId}`);
    return leg;
  };

  return {
    nowMs,
    legs,
    conferences,
    events: calls.events,
    errors,
    route,
    command(method, path, body, query) {
      const routed = route(method, path, body, query);
      if (!routed) return { ...replies.notModelled(`${method} ${path}`), outcome: 'rejected', kind: 'unknown' };
      return { ...routed.run(), kind: routed.kind };
    },
    observe(observer) {
      observers.add(observer);
      return () => void observers.delete(observer);
    },
    timers: () => [...calls.timers.values()].map((t) => t.timer),
    fire: calls.fire,
    placeInboundCall: (init) => calls.placeInboundCall({ from: init.from, to: init.to, connectionId: init.connectionId ?? inboundConnectionId }),
    press: (callControlId, digits) => calls.press(legFor(callControlId), digits),
    say: (callControlId, text, sayOptions = {}) => calls.say(legFor(callControlId), text, sayOptions.final ?? true, sayOptions.score),
    hangup: (callControlId) => calls.farEndHangsUp(legFor(callControlId)),
    answer: (callControlId) => calls.farEndAnswers(legFor(callControlId)),
    ringOut: (callControlId) => calls.ringOut(legFor(callControlId)),
    busy: (callControlId) => calls.farEndBusy(legFor(callControlId)),
    setDialBehavior: (toNumber, behavior) => void dialBehaviors.set(toNumber, behavior),
    setDialPolicy: (policy) => {
      dialPolicy = policy;
    },
    outage(window) {
      outages.push(window);
      return () => {
        const index = outages.indexOf(window);
        if (index >= 0) outages.splice(index, 1);
      };
    },
    setCallPromptsInConference: (mode) => {
      callPromptsInConference = mode;
    },
    dials: () => [...dialLog],
    dialOutcomes: () => [...dialOutcomes],
    commandsFor: (callControlId) => [...(legs.get(callControlId)?.executed ?? [])],
    retryPolicyFor(event) {
      const id = event.payload.call_control_id;
      return typeof id === 'string' ? legs.get(id)?.retryPolicies[event.event_type] : undefined;
    },
  };
}
