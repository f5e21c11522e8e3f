/**
 * An HTTP-level stand-in for Telnyx Call Control: the `/v2/calls…` and `/v2/conferences…`
 * subset the product uses, spoken to by the real `telnyx` SDK (baseURL `…/v2`). It keeps legs
 * and conferences as state, answers like Telnyx (envelopes, 422 on ended legs, `command_id`
 * dedupe), and sends the follow-up webhooks, signed with its own Ed25519 key, at least once,
 * optionally duplicated, reordered, delayed, with commands failing on request.
 *
 * The far end of each leg (a caller pressing keys, an operator not answering) is driven through
 * `placeInboundCall`, `SimCall` and `setDialBehavior`.
 */
import { generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import {
  seededRandom,
  simulatorState,
  startJsonServer,
  waitIdle,
  waitUntil,
  type HandlerResult,
  type JsonReply,
  type JsonRequest,
  type JsonServer,
} from './runtime.js';

// ---------------------------------------------------------------------------------------------
// Public types

/** Where webhooks go: a URL (POSTed like Telnyx does) or a function given the raw body and headers. */
export type WebhookSink = { url: string } | ((rawBody: string, headers: Record<string, string>) => Promise<{ status: number }>);

export type CommandErrorKind = '500' | '503' | '429' | 'timeout';

/** Faults, all off by default; random choices come from the seeded generator. */
export interface FaultPlan {
  /** Probability that an event is delivered twice (same id), the copy possibly concurrently. */
  duplicateRate: number;
  /** Probability that an event skips its leg's ordered queue and is delivered after a random delay. */
  reorderRate: number;
  /** Upper bound of the random delay for reordered and duplicated events (real ms, not scaled). */
  maxDelayMs: number;
  /** Probability that a command fails with one of `commandErrorKinds`. */
  commandErrorRate: number;
  commandErrorKinds: readonly CommandErrorKind[];
  /** Command kinds eligible for `commandErrorRate` (see `CommandKind`); unset means every POST/PUT. */
  failCommands: ReadonlySet<string> | undefined;
  /** A 'timeout' holds the request this long (real ms) or until the client gives up, then drops the socket. */
  timeoutHoldMs: number;
  /**
   * Whether a 'timeout' command still takes effect (the response is what got lost: the case
   * `command_id` exists for). 5xx and 429 never take effect.
   */
  timeoutAppliesEffect: boolean;
}

export type LegState = 'parked' | 'bridging' | 'answered' | 'hangup';

export interface TelnyxWebhookEvent {
  readonly record_type: 'event';
  readonly event_type: string;
  readonly id: string;
  /** Absent on conference.created/ended/speak.*, which carry it inside the payload as Telnyx does. */
  readonly occurred_at?: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface ApiRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly kind: string;
  readonly body: unknown;
  /** HTTP status sent; 0 when a 'timeout' fault dropped the connection. */
  status: number;
  readonly at: number;
  outcome: 'executed' | 'duplicate' | 'rejected' | 'fault';
  fault?: CommandErrorKind;
  readonly callControlId?: string;
  readonly conferenceId?: string;
  readonly commandId?: string;
}

export interface WebhookDeliveryRecord {
  readonly event_type: string;
  readonly id: string;
  readonly attempt: number;
  /** HTTP status from the sink; 0 when it threw or timed out. */
  readonly status: number;
  readonly at: number;
  readonly callControlId: string | undefined;
  readonly conferenceId: string | undefined;
  /** The extra copy made by `duplicateRate`. */
  readonly duplicate: boolean;
  /** Taken out of order by `reorderRate`. */
  readonly delayed: boolean;
  readonly error?: string;
}

export interface ExecutedCommand {
  readonly kind: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly commandId: string | undefined;
  readonly at: number;
}

export interface DialRecord {
  readonly callControlId: string;
  readonly to: string;
  readonly from: string;
  readonly connectionId: string;
  readonly commandId: string | undefined;
  readonly clientState: string | null;
  readonly conferenceConfig: Readonly<Record<string, unknown>> | undefined;
  readonly timeoutSecs: number;
  readonly at: number;
}

export type DialBehavior = { answerAfterMs: number } | { noAnswer: true } | { busy: true };

/** Something audible happened; the Symbl simulator listens to decide what its leg "hears". */
export interface SimAudio {
  /** 'tts': a prompt played by a command; 'speech': a caller talking (`SimCall.say`). */
  readonly kind: 'tts' | 'speech';
  /** 'call': call-level speak/gather on one leg; 'conference': conference speak; 'caller': speech. */
  readonly via: 'call' | 'conference' | 'caller';
  readonly text: string;
  /** Conference of the leg spoken to (call-level), spoken into (conference), or speaking. */
  readonly conferenceId: string | undefined;
  /** Legs the prompt was addressed to (tts), or the speaker (speech). */
  readonly callControlIds: readonly string[];
  /** Speech from a muted participant does not reach the conference. */
  readonly muted: boolean;
  /** For speech: the sentiment a scripted caller meant (the Symbl simulator reports it). */
  readonly score: number | undefined;
  readonly at: number;
}

export interface SimParticipant {
  readonly callControlId: string;
  muted: boolean;
  onHold: boolean;
  supervisorRole: string;
  whisperCallControlIds: string[];
  endConferenceOnExit: boolean;
  readonly joinedAt: number;
}

export interface SimConference {
  readonly id: string;
  readonly name: string;
  status: 'in_progress' | 'completed';
  readonly creatorCallControlId: string;
  /** The owner's client_state: the only one conference webhooks carry. */
  readonly clientState: string | null;
  readonly connectionId: string;
  readonly createdAt: string;
  endedAt: string | undefined;
  endReason: string | undefined;
  readonly participants: Map<string, SimParticipant>;
  /** Everyone who was ever in it, in join order. */
  readonly history: { callControlId: string; joinedAt: number; leftAt: number | undefined }[];
}

/** The far end of one leg, plus what happened on it. */
export interface SimCall {
  readonly callControlId: string;
  readonly callLegId: string;
  readonly callSessionId: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly from: string;
  readonly to: string;
  readonly state: LegState;
  readonly clientState: string | null;
  readonly conferenceId: string | undefined;
  readonly transcribing: boolean;
  readonly hangupCause: string | undefined;
  /** Webhook events generated for this leg (each once, however often delivered). */
  readonly events: readonly TelnyxWebhookEvent[];
  /** Texts spoken to this leg: speak, gather_using_speak, conference speak reaching it. */
  readonly heard: readonly string[];
  /** Sends DTMF: one `call.dtmf.received` per digit, also fed to an active gather. `,` pauses 500 ms. */
  press(digits: string, gapMs?: number): Promise<void>;
  /** The far end hangs up. */
  hangup(): void;
  /** The far end talks: `call.transcription` when transcription is on for this leg (inbound track). */
  say(text: string, options?: { final?: boolean; score?: number }): void;
  waitForState(state: LegState, timeoutMs?: number): Promise<void>;
}

export interface TelnyxSimOptions {
  deliver: WebhookSink;
  /** Multiplies every simulated duration (ring, speech, timeouts, retry backoff). Default 1. */
  timeScale?: number;
  faults?: Partial<FaultPlan>;
  seed?: number;
  /** Simulated TTS duration per character, before timeScale. Default 40. */
  speakMsPerChar?: number;
  /** An inbound leg with no accepted command by then is hung up. Default 30000, scaled. */
  firstCommandTimeoutMs?: number;
  /** Connection (Call Control App) id on inbound legs. */
  connectionId?: string;
  /** When set, `Authorization: Bearer` must match it; otherwise any bearer token passes. */
  apiKey?: string;
  /** Delivery attempts per event. Default 3. */
  maxDeliveryAttempts?: number;
  /** Per-attempt timeout for a URL sink (real ms). Default 10000. */
  webhookTimeoutMs?: number;
}

export interface TelnyxSimulator {
  readonly baseUrl: string;
  readonly publicKeyBase64: string;
  readonly timeScale: number;
  readonly requests: readonly ApiRequestRecord[];
  readonly webhooks: readonly WebhookDeliveryRecord[];
  /** Every event generated, in generation order. */
  readonly events: readonly TelnyxWebhookEvent[];
  readonly calls: ReadonlyMap<string, SimCall>;
  readonly conferences: ReadonlyMap<string, SimConference>;
  /** Errors inside the simulator itself (a bug here, not in the product). */
  readonly errors: readonly unknown[];
  /**
   * The headers Telnyx would send with `rawBody` (content-type, `telnyx-signature-ed25519`,
   * `telnyx-timestamp`), signed with this simulator's key: for hand-made or replayed webhooks.
   */
  sign(rawBody: string, timestampSeconds?: number): Record<string, string>;
  placeInboundCall(options: { from: string; to: string; connectionId?: string }): SimCall;
  setDialBehavior(toNumber: string, behavior: DialBehavior): void;
  /**
   * Decides per dial how the far end behaves (before the per-number behaviour); undefined
   * falls through. Given the number and the conference the dial joins, if any.
   */
  setDialPolicy(policy: ((dial: { to: string; conferenceId: string | undefined }) => DialBehavior | undefined) | undefined): void;
  onDialAnswered(callback: (call: SimCall) => void): () => void;
  /** Called synchronously for every generated event, before delivery. */
  onEvent(listener: (event: TelnyxWebhookEvent) => void): () => void;
  onAudio(listener: (audio: SimAudio) => void): () => void;
  setFaults(faults: Partial<FaultPlan>): void;
  /** Fails the next `count` requests of `kind` (see `CommandKind`), regardless of rates. */
  failNext(kind: string, error: CommandErrorKind, count?: number): void;
  /** Executed (not deduplicated, not rejected) commands on a leg, conference commands naming it included. */
  commandsFor(callControlId: string): ExecutedCommand[];
  /** Dials actually executed (a repeated `command_id` is not a second dial). */
  dials(): DialRecord[];
  isIdle(): boolean;
  /** No webhook queued or in flight, no API request in progress, no short timer pending. */
  idle(timeoutMs?: number): Promise<void>;
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Command kinds, as used by `failCommands`/`failNext` and the request log: call actions by their
 * path segment ('answer', 'gather_using_speak', …, 'client_state_update'), 'dial',
 * 'retrieve_call', and conference commands as 'conference_' + action ('conference_create',
 * 'conference_join', 'conference_speak', 'conference_end', …, 'conference_retrieve').
 */
export type CommandKind = string;

const defaultFaults: FaultPlan = {
  duplicateRate: 0,
  reorderRate: 0,
  maxDelayMs: 0,
  commandErrorRate: 0,
  commandErrorKinds: ['500', '503', '429', 'timeout'],
  failCommands: undefined,
  timeoutHoldMs: 65_000,
  timeoutAppliesEffect: true,
};

// ---------------------------------------------------------------------------------------------
// Internal state

interface Speech {
  timer: NodeJS.Timeout | undefined;
}

interface Gather {
  readonly kind: 'gather' | 'gather_using_speak';
  readonly validDigits: string;
  readonly minDigits: number;
  readonly maxDigits: number;
  readonly terminatingDigit: string;
  readonly timeoutMs: number;
  readonly initialTimeoutMs: number | undefined;
  readonly interDigitTimeoutMs: number;
  readonly gatherId: string | undefined;
  readonly payload: string | undefined;
  readonly invalidPayload: string | undefined;
  triesLeft: number;
  digits: string;
  speaking: Speech | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
  digitTimer: NodeJS.Timeout | undefined;
}

interface Leg {
  readonly callControlId: string;
  readonly callLegId: string;
  readonly callSessionId: string;
  readonly connectionId: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly from: string;
  readonly to: string;
  readonly startTime: string;
  state: LegState;
  clientState: string | null;
  conferenceId: string | undefined;
  hangupCause: string | undefined;
  endTime: string | undefined;
  transcription: { tracks: string; engine: string | undefined } | undefined;
  gather: Gather | undefined;
  readonly speeches: Set<Speech>;
  readonly events: TelnyxWebhookEvent[];
  readonly heard: string[];
  /** command_id → the response first given for it. */
  readonly commandIds: Map<string, JsonReply>;
  readonly executed: ExecutedCommand[];
  firstCommandTimer: NodeJS.Timeout | undefined;
  ringTimers: NodeJS.Timeout[];
  /** For dialed legs: the conference to join on answer (or early media). */
  pendingConference: { config: Record<string, unknown> } | undefined;
  handle: SimCall | undefined;
}

type Body = Record<string, unknown>;

interface Routed {
  readonly kind: string;
  readonly callControlId?: string;
  readonly conferenceId?: string;
  readonly run: () => Outcome;
}

interface Outcome {
  readonly reply: JsonReply;
  readonly outcome: 'executed' | 'duplicate' | 'rejected';
}

// ---------------------------------------------------------------------------------------------
// Error replies shaped like Telnyx's

function apiError(status: number, code: string, title: string, detail: string, pointer?: string): Outcome {
  const error = { code, title, detail, ...(pointer ? { source: { pointer } } : {}) };
  return { reply: { status, body: { errors: [error] } }, outcome: 'rejected' };
}
const callEnded = (): Outcome => apiError(422, '90018', 'Call has already ended', 'This call is no longer active and can not receive commands.');
const notAnswered = (): Outcome => apiError(422, '10015', 'Bad Request', 'Call is not answered; answer it before issuing this command.');
const missing = (field: string): Outcome => apiError(422, '10004', 'Missing required parameter', `The '${field}' parameter is required.`, `/${field}`);
const invalid = (field: string, detail: string): Outcome => apiError(422, '10015', 'Bad Request', detail, `/${field}`);
const conferenceNotFound = (): Outcome => apiError(404, '10005', 'Resource not found', 'The requested conference could not be found or has ended.');
const ok = (data: unknown = { result: 'ok' }): Outcome => ({ reply: { status: 200, body: { data } }, outcome: 'executed' });

function faultReply(kind: Exclude<CommandErrorKind, 'timeout'>): JsonReply {
  switch (kind) {
    case '429':
      return { status: 429, body: { errors: [{ code: '10011', title: 'Too many requests', detail: 'You have exceeded the maximum number of allowed requests.' }] } };
    case '500':
      return { status: 500, body: { errors: [{ code: '10007', title: 'Unexpected error', detail: 'An unexpected error occured.' }] } };
    case '503':
      return { status: 503, body: { errors: [{ code: '10007', title: 'Service unavailable', detail: 'The service is temporarily unavailable.' }] } };
  }
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function asBody(value: unknown): Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Body) : {};
}
function str(body: Body, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' ? v : undefined;
}
function num(body: Body, key: string): number | undefined {
  const v = body[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function bool(body: Body, key: string): boolean | undefined {
  const v = body[key];
  return typeof v === 'boolean' ? v : undefined;
}
function strList(body: Body, key: string): string[] | undefined {
  const v = body[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

/** Telnyx call_control_ids look like `v3:<base64url>`. */
function newCallControlId(): string {
  return `v3:${randomBytes(27).toString('base64url')}`;
}

function rawPublicKeyBase64(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('Ed25519 key export failed');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

// ---------------------------------------------------------------------------------------------

export async function startTelnyxSimulator(opts: TelnyxSimOptions): Promise<TelnyxSimulator> {
  const scale = opts.timeScale ?? 1;
  const ms = (simulatedMs: number): number => simulatedMs * scale;
  const speakMsPerChar = opts.speakMsPerChar ?? 40;
  const inboundConnectionId = opts.connectionId ?? 'sim-call-control-app';
  const maxAttempts = Math.max(1, opts.maxDeliveryAttempts ?? 3);
  const webhookTimeoutMs = opts.webhookTimeoutMs ?? 10_000;
  const random = seededRandom(opts.seed ?? 1);
  let faults: FaultPlan = { ...defaultFaults, ...opts.faults };
  const failQueue = new Map<string, CommandErrorKind[]>();

  const { changes, changed, errors, recordError, timers } = simulatorState();
  let stopped = false;

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyBase64 = rawPublicKeyBase64(publicKey);

  const legs = new Map<string, Leg>();
  const calls = new Map<string, SimCall>();
  const conferences = new Map<string, SimConference>();
  const conferenceCommandIds = new Map<string, Map<string, JsonReply>>();
  const conferenceSpeeches = new Map<string, Set<Speech>>();
  const dialResponses = new Map<string, JsonReply>();
  const dialLog: DialRecord[] = [];
  const dialBehaviors = new Map<string, DialBehavior>();
  let dialPolicy: ((dial: { to: string; conferenceId: string | undefined }) => DialBehavior | undefined) | undefined;
  const requests: ApiRequestRecord[] = [];
  const webhooks: WebhookDeliveryRecord[] = [];
  const events: TelnyxWebhookEvent[] = [];
  const eventListeners = new Set<(event: TelnyxWebhookEvent) => void>();
  const audioListeners = new Set<(audio: SimAudio) => void>();
  const answeredListeners = new Set<(call: SimCall) => void>();
  let inFlightRequests = 0;
  let pendingDeliveries = 0;

  // -------------------------------------------------------------------------------------------
  // Webhook delivery

  const queues = new Map<string, { items: TelnyxWebhookEvent[]; running: boolean }>();
  const deliveredTo = 'url' in opts.deliver ? opts.deliver.url : 'sink';

  function signedHeaders(rawBody: string, timestampSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
    const timestamp = String(timestampSeconds);
    const signature = sign(null, Buffer.from(`${timestamp}|${rawBody}`, 'utf8'), privateKey).toString('base64');
    return {
      'content-type': 'application/json',
      'user-agent': 'telnyx-webhooks',
      'telnyx-signature-ed25519': signature,
      'telnyx-timestamp': timestamp,
    };
  }

  async function sendOnce(rawBody: string, headers: Record<string, string>): Promise<number> {
    const sink = opts.deliver;
    if (typeof sink === 'function') return (await sink(rawBody, headers)).status;
    const response = await fetch(sink.url, { method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(webhookTimeoutMs) });
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  }

  async function deliver(event: TelnyxWebhookEvent, flags: { duplicate: boolean; delayed: boolean }): Promise<void> {
    const payload = event.payload;
    const callControlId = typeof payload.call_control_id === 'string' ? payload.call_control_id : undefined;
    const conferenceId = typeof payload.conference_id === 'string' ? payload.conference_id : undefined;
    for (let attempt = 1; attempt <= maxAttempts && !stopped; attempt++) {
      const rawBody = JSON.stringify({ data: event, meta: { attempt, delivered_to: deliveredTo } });
      let status = 0;
      let error: string | undefined;
      try {
        status = await sendOnce(rawBody, signedHeaders(rawBody));
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      if (stopped) return;
      webhooks.push({ event_type: event.event_type, id: event.id, attempt, status, at: Date.now(), callControlId, conferenceId, ...flags, ...(error ? { error } : {}) });
      changed();
      if (status >= 200 && status < 300) return;
      if (attempt < maxAttempts) await timers.sleep(ms(250 * 2 ** (attempt - 1)));
    }
  }

  function tracked(run: () => Promise<void>): void {
    pendingDeliveries++;
    run()
      .catch(recordError)
      .finally(() => {
        pendingDeliveries--;
        changed();
      });
  }

  function drain(key: string): void {
    const queue = queues.get(key);
    if (!queue || queue.running) return;
    queue.running = true;
    void (async () => {
      for (let next = queue.items.shift(); next && !stopped; next = queue.items.shift()) {
        await deliver(next, { duplicate: false, delayed: false }).catch(recordError);
        pendingDeliveries--;
        changed();
      }
      queue.running = false;
      if (queue.items.length === 0) queues.delete(key);
    })();
  }

  function schedule(key: string, event: TelnyxWebhookEvent): void {
    const reorder = faults.reorderRate > 0 && random() < faults.reorderRate;
    const duplicate = faults.duplicateRate > 0 && random() < faults.duplicateRate;
    if (reorder) {
      const delay = random() * faults.maxDelayMs;
      tracked(async () => {
        await timers.sleep(delay);
        await deliver(event, { duplicate: false, delayed: true });
      });
    } else {
      pendingDeliveries++;
      const queue = queues.get(key) ?? { items: [], running: false };
      queues.set(key, queue);
      queue.items.push(event);
      drain(key);
    }
    if (duplicate) {
      const delay = random() * faults.maxDelayMs;
      tracked(async () => {
        if (delay > 0) await timers.sleep(delay);
        await deliver(event, { duplicate: true, delayed: false });
      });
    }
  }

  /** Creates an event, records it, tells listeners, queues delivery on `key`'s ordered stream. */
  function emit(key: string, eventType: string, payload: Record<string, unknown>, payloadTime = false): TelnyxWebhookEvent {
    const occurredAt = new Date().toISOString();
    const event: TelnyxWebhookEvent = payloadTime
      ? { record_type: 'event', event_type: eventType, id: randomUUID(), payload: { ...payload, occurred_at: occurredAt } }
      : { record_type: 'event', event_type: eventType, id: randomUUID(), occurred_at: occurredAt, payload };
    events.push(event);
    const leg = typeof payload.call_control_id === 'string' ? legs.get(payload.call_control_id) : undefined;
    leg?.events.push(event);
    for (const listener of eventListeners) {
      try {
        listener(event);
      } catch (error) {
        recordError(error);
      }
    }
    if (!stopped) schedule(key, event);
    changed();
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

  function emitCall(leg: Leg, eventType: string, extra: Record<string, unknown> = {}): void {
    emit(leg.callControlId, eventType, callPayload(leg, extra));
  }

  function audio(a: Omit<SimAudio, 'at'>): void {
    const full: SimAudio = { ...a, at: Date.now() };
    for (const listener of audioListeners) {
      try {
        listener(full);
      } catch (error) {
        recordError(error);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Legs

  function createLeg(init: { direction: 'incoming' | 'outgoing'; from: string; to: string; connectionId: string; clientState: string | null; state: LegState }): Leg {
    const leg: Leg = {
      callControlId: newCallControlId(),
      callLegId: randomUUID(),
      callSessionId: randomUUID(),
      connectionId: init.connectionId,
      direction: init.direction,
      from: init.from,
      to: init.to,
      startTime: new Date().toISOString(),
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
      ringTimers: [],
      pendingConference: undefined,
      handle: undefined,
    };
    legs.set(leg.callControlId, leg);
    const handle = makeHandle(leg);
    leg.handle = handle;
    calls.set(leg.callControlId, handle);
    return leg;
  }

  function makeHandle(leg: Leg): SimCall {
    return {
      callControlId: leg.callControlId,
      callLegId: leg.callLegId,
      callSessionId: leg.callSessionId,
      direction: leg.direction,
      from: leg.from,
      to: leg.to,
      get state() {
        return leg.state;
      },
      get clientState() {
        return leg.clientState;
      },
      get conferenceId() {
        return leg.conferenceId;
      },
      get transcribing() {
        return leg.transcription !== undefined;
      },
      get hangupCause() {
        return leg.hangupCause;
      },
      events: leg.events,
      heard: leg.heard,
      press: (digits, gapMs = 100) => press(leg, digits, gapMs),
      hangup: () => {
        endLeg(leg, 'normal_clearing', leg.direction === 'incoming' ? 'caller' : 'callee', '200');
      },
      say: (text, options = {}) => {
        say(leg, text, options.final ?? true, options.score);
      },
      waitForState: async (state, timeoutMs = 5000) => {
        await waitUntil(changes, () => leg.state === state, timeoutMs, `leg ${leg.callControlId} to be ${state}`);
      },
    };
  }

  function clearLegTimers(leg: Leg): void {
    timers.cancel(leg.firstCommandTimer);
    leg.firstCommandTimer = undefined;
    for (const t of leg.ringTimers) timers.cancel(t);
    leg.ringTimers = [];
  }

  function stopSpeech(speech: Speech): void {
    timers.cancel(speech.timer);
    speech.timer = undefined;
  }

  /** A leg goes down: gather and speech end with 'call_hangup', then `call.hangup`, then it leaves its conference. */
  function endLeg(leg: Leg, cause: string, source: 'caller' | 'callee' | 'unknown', sipCause: string): void {
    if (leg.state === 'hangup' || stopped) return;
    clearLegTimers(leg);
    if (leg.gather) finishGather(leg, 'call_hangup');
    for (const speech of leg.speeches) {
      stopSpeech(speech);
      emitCall(leg, 'call.speak.ended', { status: 'call_hangup' });
    }
    leg.speeches.clear();
    leg.state = 'hangup';
    leg.hangupCause = cause;
    leg.endTime = new Date().toISOString();
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

  function answerLeg(leg: Leg): void {
    leg.state = 'answered';
    emitCall(leg, 'call.answered', { state: 'answered', start_time: leg.startTime });
  }

  function placeInboundCall(options: { from: string; to: string; connectionId?: string }): SimCall {
    const leg = createLeg({ direction: 'incoming', from: options.from, to: options.to, connectionId: options.connectionId ?? inboundConnectionId, clientState: null, state: 'parked' });
    emitCall(leg, 'call.initiated', { direction: 'incoming', state: 'parked', caller_id_name: options.from, start_time: leg.startTime });
    leg.firstCommandTimer = timers.after(
      ms(opts.firstCommandTimeoutMs ?? 30_000),
      () => {
        leg.firstCommandTimer = undefined;
        endLeg(leg, 'timeout', 'unknown', '408');
      },
      true,
    );
    return leg.handle as SimCall;
  }

  // -------------------------------------------------------------------------------------------
  // Media: speech, DTMF, gathers, transcription

  function speechMs(text: string): number {
    return ms(text.length * speakMsPerChar);
  }

  function playToLeg(leg: Leg, text: string): void {
    leg.heard.push(text);
    audio({ kind: 'tts', via: 'call', text, conferenceId: leg.conferenceId, callControlIds: [leg.callControlId], muted: false, score: undefined });
  }

  function startSpeak(leg: Leg, text: string): void {
    playToLeg(leg, text);
    emitCall(leg, 'call.speak.started');
    const speech: Speech = { timer: undefined };
    speech.timer = timers.after(speechMs(text), () => {
      leg.speeches.delete(speech);
      if (leg.state !== 'hangup') emitCall(leg, 'call.speak.ended', { status: 'completed' });
    });
    leg.speeches.add(speech);
  }

  function gatherPrompt(leg: Leg, gather: Gather, text: string): void {
    playToLeg(leg, text);
    emitCall(leg, 'call.speak.started');
    const speech: Speech = { timer: undefined };
    speech.timer = timers.after(speechMs(text), () => {
      if (leg.gather !== gather) return;
      gather.speaking = undefined;
      armGatherTimeout(leg, gather);
    });
    gather.speaking = speech;
  }

  function armGatherTimeout(leg: Leg, gather: Gather): void {
    timers.cancel(gather.timeoutTimer);
    gather.timeoutTimer = timers.after(ms(gather.timeoutMs), () => gatherTimedOut(leg, gather), true);
    if (gather.initialTimeoutMs !== undefined && gather.digits === '') {
      timers.cancel(gather.digitTimer);
      gather.digitTimer = timers.after(ms(gather.initialTimeoutMs), () => gatherTimedOut(leg, gather), true);
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

  /** One try is over; gather_using_speak replays while tries remain, else the gather ends. */
  function attemptEnded(leg: Leg, gather: Gather, status: 'valid' | 'invalid' | 'timeout'): void {
    if (status !== 'valid' && gather.kind === 'gather_using_speak' && gather.triesLeft > 1) {
      gather.triesLeft--;
      gather.digits = '';
      timers.cancel(gather.timeoutTimer);
      timers.cancel(gather.digitTimer);
      gather.timeoutTimer = undefined;
      gather.digitTimer = undefined;
      const replay = status === 'invalid' && gather.invalidPayload ? gather.invalidPayload : (gather.payload ?? '');
      gatherPrompt(leg, gather, replay);
      return;
    }
    finishGather(leg, status);
  }

  function finishGather(leg: Leg, status: string): void {
    const gather = leg.gather;
    if (!gather) return;
    leg.gather = undefined;
    timers.cancel(gather.timeoutTimer);
    timers.cancel(gather.digitTimer);
    if (gather.speaking) stopSpeech(gather.speaking);
    emitCall(leg, 'call.gather.ended', { digits: gather.digits, status, ...(gather.gatherId !== undefined ? { gather_id: gather.gatherId } : {}) });
  }

  function dtmf(leg: Leg, digit: string): void {
    if (leg.state !== 'answered') return;
    emitCall(leg, 'call.dtmf.received', { digit });
    const gather = leg.gather;
    if (!gather) return;
    if (gather.speaking) {
      // DTMF interrupts the prompt.
      stopSpeech(gather.speaking);
      gather.speaking = undefined;
      if (gather.timeoutTimer === undefined) armGatherTimeout(leg, gather);
    }
    timers.cancel(gather.digitTimer);
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
    gather.digitTimer = timers.after(ms(gather.interDigitTimeoutMs), () => gatherTimedOut(leg, gather), true);
  }

  async function press(leg: Leg, digits: string, gapMs: number): Promise<void> {
    let first = true;
    for (const ch of digits) {
      if (stopped || leg.state === 'hangup') return;
      if (ch === ',') {
        await timers.sleep(ms(500));
        continue;
      }
      if (!/^[0-9*#A-Da-d]$/.test(ch)) throw new Error(`Not a DTMF digit: ${JSON.stringify(ch)}`);
      if (!first && gapMs > 0) await timers.sleep(ms(gapMs));
      first = false;
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

  function createConference(leg: Leg, name: string, clientState: string | null): SimConference {
    const conference: SimConference = {
      id: randomUUID(),
      name,
      status: 'in_progress',
      creatorCallControlId: leg.callControlId,
      clientState,
      connectionId: leg.connectionId,
      createdAt: new Date().toISOString(),
      endedAt: undefined,
      endReason: undefined,
      participants: new Map(),
      history: [],
    };
    conferences.set(conference.id, conference);
    conferenceCommandIds.set(conference.id, new Map());
    emit(leg.callControlId, 'conference.created', conferencePayload(conference), true);
    return conference;
  }

  function joinConference(conference: SimConference, leg: Leg, options: Body): void {
    const participant: SimParticipant = {
      callControlId: leg.callControlId,
      muted: bool(options, 'mute') ?? false,
      onHold: bool(options, 'hold') ?? false,
      supervisorRole: str(options, 'supervisor_role') ?? 'none',
      whisperCallControlIds: strList(options, 'whisper_call_control_ids') ?? [],
      endConferenceOnExit: bool(options, 'end_conference_on_exit') ?? false,
      joinedAt: Date.now(),
    };
    conference.participants.set(leg.callControlId, participant);
    conference.history.push({ callControlId: leg.callControlId, joinedAt: participant.joinedAt, leftAt: undefined });
    leg.conferenceId = conference.id;
    emit(leg.callControlId, 'conference.participant.joined', participantPayload(conference, leg));
  }

  function removeParticipant(conference: SimConference, leg: Leg): boolean {
    if (!conference.participants.delete(leg.callControlId)) return false;
    if (leg.conferenceId === conference.id) leg.conferenceId = undefined;
    const entry = [...conference.history].reverse().find((h) => h.callControlId === leg.callControlId && h.leftAt === undefined);
    if (entry) entry.leftAt = Date.now();
    emit(leg.callControlId, 'conference.participant.left', participantPayload(conference, leg));
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
    for (const speech of conferenceSpeeches.get(conference.id) ?? []) stopSpeech(speech);
    conferenceSpeeches.delete(conference.id);
    conference.endedAt = new Date().toISOString();
    conference.endReason = reason;
    emit(conference.creatorCallControlId, 'conference.ended', { ...conferencePayload(conference), reason }, true);
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
    const id = str(pending.config, 'id');
    const name = str(pending.config, 'conference_name');
    let conference = id ? conferences.get(id) : name ? activeConferenceByName(name) : undefined;
    if (!conference && !id && name) conference = createConference(leg, name, leg.clientState);
    if (!conference || conference.status !== 'in_progress') return;
    joinConference(conference, leg, pending.config);
  }

  // -------------------------------------------------------------------------------------------
  // Dial behaviour (the far end of outbound legs)

  function startRinging(leg: Leg, timeoutSecs: number, earlyMedia: boolean): void {
    const conferenceId = leg.pendingConference ? str(leg.pendingConference.config, 'id') : undefined;
    const behavior = dialPolicy?.({ to: leg.to, conferenceId }) ?? dialBehaviors.get(leg.to) ?? { answerAfterMs: 200 };
    const timeoutMs = ms(timeoutSecs * 1000);
    const ring = (delay: number, fn: () => void): void => {
      const t = timers.after(delay, fn);
      if (t) leg.ringTimers.push(t);
    };
    if ('busy' in behavior) {
      ring(ms(100), () => {
        endLeg(leg, 'user_busy', 'callee', '486');
      });
      return;
    }
    if (earlyMedia && leg.pendingConference) enterPendingConference(leg);
    if ('answerAfterMs' in behavior && ms(behavior.answerAfterMs) < timeoutMs) {
      ring(ms(behavior.answerAfterMs), () => {
        if (leg.state !== 'bridging') return;
        clearLegTimers(leg);
        answerLeg(leg);
        for (const listener of answeredListeners) {
          try {
            listener(leg.handle as SimCall);
          } catch (error) {
            recordError(error);
          }
        }
        enterPendingConference(leg);
      });
      return;
    }
    ring(timeoutMs, () => {
      endLeg(leg, 'timeout', 'unknown', '408');
    });
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /** Checks a leg can take a command; returns a rejection or undefined. */
  function legProblem(leg: Leg | undefined, needAnswered: boolean): Outcome | undefined {
    if (!leg || leg.state === 'hangup') return callEnded();
    if (needAnswered && leg.state !== 'answered') return notAnswered();
    return undefined;
  }

  function clientStateProblem(body: Body): Outcome | undefined {
    const cs = body.client_state;
    if (cs === undefined || cs === null) return undefined;
    if (typeof cs !== 'string' || !base64Pattern.test(cs)) return invalid('client_state', 'client_state must be a valid Base64 string.');
    return undefined;
  }

  /** Runs a command on a leg with command_id dedupe in the leg's namespace. */
  function onLeg(leg: Leg | undefined, kind: string, body: Body, needAnswered: boolean, run: (leg: Leg) => Outcome): Outcome {
    const problem = legProblem(leg, needAnswered && str(body, 'command_id') === undefined);
    if (problem || !leg) return problem ?? callEnded();
    const commandId = str(body, 'command_id');
    if (commandId !== undefined) {
      const previous = leg.commandIds.get(commandId);
      if (previous) return { reply: previous, outcome: 'duplicate' };
      if (needAnswered && leg.state !== 'answered') return notAnswered();
    }
    const bad = clientStateProblem(body);
    if (bad) return bad;
    const outcome = run(leg);
    if (outcome.outcome === 'executed') {
      if (commandId !== undefined) leg.commandIds.set(commandId, outcome.reply);
      leg.executed.push({ kind, body, commandId, at: Date.now() });
      timers.cancel(leg.firstCommandTimer);
      leg.firstCommandTimer = undefined;
    }
    return outcome;
  }

  function setClientState(leg: Leg, body: Body): void {
    const cs = str(body, 'client_state');
    if (cs !== undefined) leg.clientState = cs;
  }

  function callAction(action: string, leg: Leg | undefined, body: Body): Outcome {
    switch (action) {
      case 'answer':
        return onLeg(leg, action, body, false, (l) => {
          if (l.direction !== 'incoming' || l.state !== 'parked') return apiError(422, '10015', 'Bad Request', 'Call can not be answered in its current state.');
          setClientState(l, body);
          if (bool(body, 'transcription') === true) {
            const config = asBody(body.transcription_config);
            l.transcription = { tracks: str(config, 'transcription_tracks') ?? 'inbound', engine: str(config, 'transcription_engine') };
          }
          answerLeg(l);
          return ok();
        });
      case 'hangup':
        return onLeg(leg, action, body, false, (l) => {
          setClientState(l, body);
          const source = l.direction === 'incoming' ? 'callee' : 'caller';
          const cause = l.state === 'bridging' ? 'originator_cancel' : 'normal_clearing';
          endLeg(l, cause, source, cause === 'originator_cancel' ? '487' : '200');
          return ok();
        });
      case 'speak':
        return onLeg(leg, action, body, true, (l) => {
          const payload = str(body, 'payload');
          if (!payload) return missing('payload');
          if (!str(body, 'voice')) return missing('voice');
          setClientState(l, body);
          startSpeak(l, payload);
          return ok();
        });
      case 'gather_using_speak':
      case 'gather':
        return onLeg(leg, action, body, true, (l) => {
          const payload = str(body, 'payload');
          if (action === 'gather_using_speak') {
            if (!payload) return missing('payload');
            if (!str(body, 'voice')) return missing('voice');
          }
          const min = num(body, 'minimum_digits') ?? 1;
          const max = num(body, 'maximum_digits') ?? 128;
          if (min < 1 || max > 128 || min > max) return invalid('maximum_digits', 'minimum_digits/maximum_digits out of range.');
          setClientState(l, body);
          if (l.gather) finishGather(l, 'cancelled');
          const gather: Gather = {
            kind: action,
            validDigits: str(body, 'valid_digits') ?? '0123456789#*',
            minDigits: min,
            maxDigits: max,
            terminatingDigit: str(body, 'terminating_digit') ?? '#',
            timeoutMs: num(body, 'timeout_millis') ?? 60_000,
            initialTimeoutMs: num(body, 'initial_timeout_millis'),
            interDigitTimeoutMs: num(body, 'inter_digit_timeout_millis') ?? 5000,
            gatherId: str(body, 'gather_id'),
            payload,
            invalidPayload: str(body, 'invalid_payload'),
            triesLeft: action === 'gather_using_speak' ? Math.max(1, num(body, 'maximum_tries') ?? 3) : 1,
            digits: '',
            speaking: undefined,
            timeoutTimer: undefined,
            digitTimer: undefined,
          };
          l.gather = gather;
          if (action === 'gather_using_speak' && payload) gatherPrompt(l, gather, payload);
          else armGatherTimeout(l, gather);
          return ok();
        });
      case 'gather_stop':
        return onLeg(leg, action, body, false, (l) => {
          setClientState(l, body);
          if (l.gather) finishGather(l, 'cancelled');
          return ok();
        });
      case 'transcription_start':
        return onLeg(leg, action, body, true, (l) => {
          setClientState(l, body);
          l.transcription = { tracks: str(body, 'transcription_tracks') ?? 'inbound', engine: str(body, 'transcription_engine') };
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
          if (str(body, 'client_state') === undefined) return missing('client_state');
          setClientState(l, body);
          return ok();
        });
      default:
        return apiError(404, '10005', 'Resource not found', `The simulator does not implement calls/actions/${action}.`);
    }
  }

  function dial(body: Body): Outcome {
    const commandId = str(body, 'command_id');
    if (commandId !== undefined) {
      const previous = dialResponses.get(commandId);
      if (previous) return { reply: previous, outcome: 'duplicate' };
    }
    const connectionId = str(body, 'connection_id');
    const from = str(body, 'from');
    const toRaw = body.to;
    const to = typeof toRaw === 'string' ? toRaw : Array.isArray(toRaw) && typeof toRaw[0] === 'string' ? toRaw[0] : undefined;
    if (!connectionId) return missing('connection_id');
    if (!from) return missing('from');
    if (!to) return missing('to');
    const bad = clientStateProblem(body);
    if (bad) return bad;
    const timeoutSecs = num(body, 'timeout_secs') ?? 30;
    if (timeoutSecs < 5 || timeoutSecs > 600) return invalid('timeout_secs', 'timeout_secs must be between 5 and 600.');
    const config = body.conference_config === undefined ? undefined : asBody(body.conference_config);
    if (config) {
      const id = str(config, 'id');
      if (!id && !str(config, 'conference_name')) return invalid('conference_config', 'conference_config needs id or conference_name.');
      const conference = id ? conferences.get(id) : undefined;
      if (id && (!conference || conference.status !== 'in_progress')) return apiError(422, '10005', 'Resource not found', 'conference_config.id does not name an active conference.', '/conference_config/id');
    }
    const leg = createLeg({ direction: 'outgoing', from, to, connectionId, clientState: str(body, 'client_state') ?? null, state: 'bridging' });
    if (config) leg.pendingConference = { config };
    if (bool(body, 'transcription') === true) {
      const tc = asBody(body.transcription_config);
      leg.transcription = { tracks: str(tc, 'transcription_tracks') ?? 'inbound', engine: str(tc, 'transcription_engine') };
    }
    dialLog.push({ callControlId: leg.callControlId, to, from, connectionId, commandId, clientState: leg.clientState, conferenceConfig: config, timeoutSecs, at: Date.now() });
    leg.executed.push({ kind: 'dial', body, commandId, at: Date.now() });
    emitCall(leg, 'call.initiated', { direction: 'outgoing', state: 'bridging', start_time: leg.startTime });
    startRinging(leg, timeoutSecs, config ? bool(config, 'early_media') !== false : false);
    const outcome = ok({
      record_type: 'call',
      call_control_id: leg.callControlId,
      call_leg_id: leg.callLegId,
      call_session_id: leg.callSessionId,
      is_alive: false,
    });
    if (commandId !== undefined) dialResponses.set(commandId, outcome.reply);
    return outcome;
  }

  function callStatus(leg: Leg | undefined): Outcome {
    if (!leg) return apiError(404, '10005', 'Resource not found', 'The requested call could not be found.');
    const end = leg.endTime ? Date.parse(leg.endTime) : Date.now();
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

  /** Conference commands without a single leg dedupe on the conference's own command_ids. */
  function onConference(conference: SimConference, kind: string, body: Body, run: () => Outcome): Outcome {
    const commandId = str(body, 'command_id');
    const seen = conferenceCommandIds.get(conference.id) ?? new Map<string, JsonReply>();
    if (commandId !== undefined) {
      const previous = seen.get(commandId);
      if (previous) return { reply: previous, outcome: 'duplicate' };
    }
    if (conference.status !== 'in_progress') return conferenceNotFound();
    const outcome = run();
    if (outcome.outcome === 'executed' && commandId !== undefined) seen.set(commandId, outcome.reply);
    if (outcome.outcome === 'executed') {
      for (const id of strList(body, 'call_control_ids') ?? []) legs.get(id)?.executed.push({ kind, body, commandId, at: Date.now() });
    }
    return outcome;
  }

  function conferenceAction(action: string, conference: SimConference | undefined, body: Body): Outcome {
    if (!conference) return conferenceNotFound();
    const kind = `conference_${action}`;
    const targetId = str(body, 'call_control_id');
    const target = targetId ? legs.get(targetId) : undefined;
    switch (action) {
      case 'join': {
        if (!targetId) return missing('call_control_id');
        const commandId = str(body, 'command_id');
        const repeated = target !== undefined && commandId !== undefined && target.commandIds.has(commandId);
        if (conference.status !== 'in_progress' && !repeated) return conferenceNotFound();
        return onLeg(target, kind, body, true, (l) => {
          if (l.conferenceId) return apiError(422, '10015', 'Bad Request', 'Call is already in a conference.', '/call_control_id');
          setClientState(l, body);
          joinConference(conference, l, body);
          return ok();
        });
      }
      case 'leave':
        if (!targetId) return missing('call_control_id');
        return onLeg(target, kind, body, false, (l) => {
          if (!conference.participants.has(l.callControlId)) return apiError(422, '10015', 'Bad Request', 'Call is not a participant of this conference.', '/call_control_id');
          leaveConference(conference, l);
          return ok();
        });
      case 'update':
        if (!targetId) return missing('call_control_id');
        return onLeg(target, kind, body, false, (l) => {
          const participant = conference.participants.get(l.callControlId);
          if (!participant) return apiError(422, '10015', 'Bad Request', 'Call is not a participant of this conference.', '/call_control_id');
          const role = str(body, 'supervisor_role');
          if (!role) return missing('supervisor_role');
          participant.supervisorRole = role;
          participant.whisperCallControlIds = strList(body, 'whisper_call_control_ids') ?? participant.whisperCallControlIds;
          return ok();
        });
      case 'mute':
      case 'unmute':
      case 'hold':
      case 'unhold':
        return onConference(conference, kind, body, () => {
          const ids = strList(body, 'call_control_ids') ?? [];
          const targets = ids.length > 0 ? ids : [...conference.participants.keys()];
          for (const id of targets) {
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
          if (!payload) return missing('payload');
          if (!str(body, 'voice')) return missing('voice');
          const ids = strList(body, 'call_control_ids') ?? [];
          const targets = ids.length > 0 ? ids.filter((id) => conference.participants.has(id)) : [...conference.participants.keys()];
          for (const id of targets) legs.get(id)?.heard.push(payload);
          audio({ kind: 'tts', via: 'conference', text: payload, conferenceId: conference.id, callControlIds: targets, muted: false, score: undefined });
          const speakPayload = (): Record<string, unknown> => ({
            conference_id: conference.id,
            creator_call_session_id: legs.get(conference.creatorCallControlId)?.callSessionId,
          });
          emit(conference.creatorCallControlId, 'conference.speak.started', speakPayload(), true);
          const speech: Speech = { timer: undefined };
          const set = conferenceSpeeches.get(conference.id) ?? new Set<Speech>();
          conferenceSpeeches.set(conference.id, set);
          set.add(speech);
          speech.timer = timers.after(speechMs(payload), () => {
            set.delete(speech);
            if (conference.status === 'in_progress') emit(conference.creatorCallControlId, 'conference.speak.ended', speakPayload(), true);
          });
          return ok();
        });
      case 'end':
        return onConference(conference, kind, body, () => {
          endConference(conference, 'ended_via_api');
          return ok();
        });
      default:
        return apiError(404, '10005', 'Resource not found', `The simulator does not implement conferences/actions/${action}.`);
    }
  }

  function conferenceCreate(body: Body): Outcome {
    const id = str(body, 'call_control_id');
    if (!id) return missing('call_control_id');
    const leg = legs.get(id);
    return onLeg(leg, 'conference_create', body, true, (l) => {
      const name = str(body, 'name');
      if (!name) return missing('name');
      if (l.conferenceId) return apiError(422, '10015', 'Bad Request', 'Call is already in a conference.', '/call_control_id');
      setClientState(l, body);
      const conference = createConference(l, name, str(body, 'client_state') ?? l.clientState);
      joinConference(conference, l, body);
      return ok(conferenceView(conference));
    });
  }

  function listReply(items: unknown[]): Outcome {
    return { reply: { status: 200, body: { data: items, meta: { page_number: 1, page_size: items.length, total_pages: 1, total_results: items.length } } }, outcome: 'executed' };
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  function route(method: string, path: string, body: Body, query: URLSearchParams): Routed | undefined {
    const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    if (parts[0] !== 'v2') return undefined;
    const [, resource, id, sub, action] = parts;
    if (resource === 'calls') {
      if (id === undefined && method === 'POST') return { kind: 'dial', run: () => dial(body) };
      if (id !== undefined && sub === undefined && method === 'GET') return { kind: 'retrieve_call', callControlId: id, run: () => callStatus(legs.get(id)) };
      if (id !== undefined && sub === 'actions' && action !== undefined && parts.length === 5) {
        if (action === 'client_state_update' ? method !== 'PUT' : method !== 'POST') return undefined;
        return { kind: action, callControlId: id, run: () => callAction(action, legs.get(id), body) };
      }
      return undefined;
    }
    if (resource === 'conferences') {
      if (id === undefined && method === 'POST') return { kind: 'conference_create', callControlId: str(body, 'call_control_id'), run: () => conferenceCreate(body) };
      if (id === undefined && method === 'GET') {
        const name = query.get('filter[name]');
        const status = query.get('filter[status]');
        return {
          kind: 'conference_list',
          run: () => listReply([...conferences.values()].filter((c) => (!name || c.name === name) && (!status || c.status === status)).map(conferenceView)),
        };
      }
      if (id !== undefined && sub === undefined && method === 'GET') {
        return {
          kind: 'conference_retrieve',
          conferenceId: id,
          run: () => {
            const c = conferences.get(id);
            return c ? ok(conferenceView(c)) : conferenceNotFound();
          },
        };
      }
      if (id !== undefined && sub === 'participants' && parts.length === 4 && method === 'GET') {
        return {
          kind: 'conference_participants',
          conferenceId: id,
          run: () => {
            const c = conferences.get(id);
            if (!c) return conferenceNotFound();
            return listReply(
              [...c.participants.values()].map((p) => ({
                record_type: 'participant',
                id: p.callControlId,
                call_control_id: p.callControlId,
                call_leg_id: legs.get(p.callControlId)?.callLegId,
                conference: { id: c.id, name: c.name },
                muted: p.muted,
                on_hold: p.onHold,
                end_conference_on_exit: p.endConferenceOnExit,
                status: 'joined',
                whisper_call_control_ids: p.whisperCallControlIds,
              })),
            );
          },
        };
      }
      if (id !== undefined && sub === 'actions' && action !== undefined && parts.length === 5 && method === 'POST') {
        return { kind: `conference_${action}`, conferenceId: id, callControlId: str(body, 'call_control_id'), run: () => conferenceAction(action, conferences.get(id), body) };
      }
    }
    return undefined;
  }

  function pickFault(kind: string, method: string): CommandErrorKind | undefined {
    const queued = failQueue.get(kind);
    if (queued && queued.length > 0) return queued.shift();
    if (faults.commandErrorRate <= 0 || faults.commandErrorKinds.length === 0) return undefined;
    const eligible = faults.failCommands ? faults.failCommands.has(kind) : method !== 'GET';
    if (!eligible || random() >= faults.commandErrorRate) return undefined;
    return faults.commandErrorKinds[Math.floor(random() * faults.commandErrorKinds.length)];
  }

  async function handle(req: JsonRequest): Promise<HandlerResult> {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    if (!token || (opts.apiKey !== undefined && token !== opts.apiKey)) {
      return { status: 401, body: { errors: [{ code: '10009', title: 'Authentication failed', detail: 'The required authentication headers were either invalid or not included in the request.' }] } };
    }
    const body = asBody(req.body);
    const routed = route(req.method, req.path, body, req.query);
    if (!routed) {
      return { status: 404, body: { errors: [{ code: '10005', title: 'Resource not found', detail: `${req.method} ${req.path} is not simulated.` }] } };
    }
    const record: ApiRequestRecord = {
      method: req.method,
      path: req.path,
      kind: routed.kind,
      body: req.body,
      status: 0,
      at: Date.now(),
      outcome: 'rejected',
      ...(routed.callControlId !== undefined ? { callControlId: routed.callControlId } : {}),
      ...(routed.conferenceId !== undefined ? { conferenceId: routed.conferenceId } : {}),
      ...(str(body, 'command_id') !== undefined ? { commandId: str(body, 'command_id') } : {}),
    };
    requests.push(record);
    inFlightRequests++;
    try {
      const fault = pickFault(routed.kind, req.method);
      if (fault !== undefined && fault !== 'timeout') {
        // Fails before doing anything, so a retry with the same body succeeds.
        record.outcome = 'fault';
        record.fault = fault;
        const reply = faultReply(fault);
        record.status = reply.status;
        return reply;
      }
      if (fault === 'timeout') {
        record.outcome = 'fault';
        record.fault = 'timeout';
        if (faults.timeoutAppliesEffect) routed.run();
        const hold = timers.after(faults.timeoutHoldMs, () => req.res.destroy(), true);
        req.res.on('close', () => timers.cancel(hold));
        return 'held';
      }
      const result = routed.run();
      record.outcome = result.outcome;
      record.status = result.reply.status;
      return result.reply;
    } finally {
      inFlightRequests--;
      changed();
    }
  }

  const server: JsonServer = await startJsonServer(handle, recordError);

  // -------------------------------------------------------------------------------------------

  const isIdle = (): boolean => pendingDeliveries === 0 && inFlightRequests === 0 && timers.shortPending() === 0;

  return {
    baseUrl: `http://127.0.0.1:${server.port}/v2`,
    publicKeyBase64,
    timeScale: scale,
    requests,
    webhooks,
    events,
    calls,
    conferences,
    errors,
    sign: (rawBody, timestampSeconds) => signedHeaders(rawBody, timestampSeconds),
    placeInboundCall,
    setDialBehavior: (toNumber, behavior) => {
      dialBehaviors.set(toNumber, behavior);
    },
    setDialPolicy: (policy) => {
      dialPolicy = policy;
    },
    onDialAnswered: (callback) => {
      answeredListeners.add(callback);
      return () => answeredListeners.delete(callback);
    },
    onEvent: (listener) => {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onAudio: (listener) => {
      audioListeners.add(listener);
      return () => audioListeners.delete(listener);
    },
    setFaults: (partial) => {
      faults = { ...faults, ...partial };
    },
    failNext: (kind, error, count = 1) => {
      const queue = failQueue.get(kind) ?? [];
      for (let i = 0; i < count; i++) queue.push(error);
      failQueue.set(kind, queue);
    },
    commandsFor: (callControlId) => [...(legs.get(callControlId)?.executed ?? [])],
    dials: () => [...dialLog],
    isIdle,
    idle: (timeoutMs = 30_000) => waitIdle(changes, isIdle, timeoutMs),
    waitFor: (predicate, timeoutMs = 5000) => waitUntil(changes, predicate, timeoutMs),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      timers.clearAll();
      queues.clear();
      await server.close();
      changed();
    },
  };
}
