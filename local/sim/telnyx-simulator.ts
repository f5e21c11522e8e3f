/**
 * An HTTP-level stand-in for Telnyx Call Control, spoken to by the real `telnyx` SDK (baseURL
 * `…/v2`). What Telnyx does is the Telnyx model (`telnyx-model.ts`); this file is its driver:
 * the HTTP routes and bearer check, real timers (scaled) for whatever the model waits on, and
 * the webhooks it generates, signed with the simulator's own Ed25519 key and delivered over
 * HTTP or to a function, at least once, optionally duplicated, reordered, delayed, with
 * commands failing on request.
 *
 * The far end of each leg (a caller pressing keys, an operator not answering) is driven through
 * `placeInboundCall`, `SimCall` and `setDialBehavior`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { seededRandom, simulatorState, startJsonServer, waitUntil, type HandlerResult, type JsonReply, type JsonRequest, type JsonServer } from './runtime.js';
import { createTelnyxModel, legHandle, type IdSource, type ModelLeg, type Outage, type TelnyxModel } from './telnyx-model.js';
import { replies } from './telnyx-model-replies.js';
import type { DialBehavior, DialOutcome, DialPolicy, DialRecord, ExecutedCommand, LegState, SimAudio, SimConference, TelnyxWebhookEvent } from './telnyx-model-types.js';
import { deliveryPlan, type DeliveryMode } from './webhook-delivery.js';
import { generateWebhookKeyPair, signedHeaders } from './webhook-signer.js';

export type {
  CommandKind,
  DialBehavior,
  DialOutcome,
  DialPolicy,
  DialRecord,
  ExecutedCommand,
  FarEndScript,
  LegState,
  SimAudio,
  SimConference,
  SimParticipant,
  TelnyxWebhookEvent,
} from './telnyx-model-types.js';
export type { DeliveryMode } from './webhook-delivery.js';

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

export interface ApiRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly kind: string;
  readonly body: unknown;
  /** HTTP status sent; 0 when a 'timeout' fault dropped the connection. */
  status: number;
  readonly at: number;
  /** 'fault': failed on purpose (a fault or an outage window). */
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
  /** Which sink it went to ('failover' only in the 'telnyx' delivery mode). */
  readonly target: 'primary' | 'failover';
  readonly error?: string;
}

/** The far end of one leg, plus what happened on it (a live view of the model's leg). */
export interface SimCall
  extends Pick<ModelLeg, 'callControlId' | 'callLegId' | 'callSessionId' | 'direction' | 'from' | 'to' | 'state' | 'clientState' | 'conferenceId' | 'hangupCause' | 'events' | 'heard'> {
  readonly transcribing: boolean;
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
  /** The failover sink of the 'telnyx' delivery mode. */
  failover?: WebhookSink;
  /** How webhooks are retried (see `DeliveryMode`). Default 'retry-3'. */
  delivery?: DeliveryMode;
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
  /** Delivery attempts per event in the 'retry-3' mode. Default 3. */
  maxDeliveryAttempts?: number;
  /** Per-attempt timeout for a URL sink (real ms). Default 10000. */
  webhookTimeoutMs?: number;
  /** 'refused': call-level prompts on a conference participant are answered 422. Default 'allowed'. */
  callPromptsInConference?: 'allowed' | 'refused';
}

export interface TelnyxSimulator {
  readonly baseUrl: string;
  readonly publicKeyBase64: string;
  readonly timeScale: number;
  /** The Telnyx model behind the routes (timers, outages, far-end actions). */
  readonly model: TelnyxModel;
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
  setDialPolicy(policy: DialPolicy | undefined): void;
  /**
   * 503s, before anything happens, on the given command kinds within a window of the model's
   * clock (wall-clock ms here); the function returned ends it early.
   */
  outage(window: Outage): () => void;
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
  /** Every dial request but repeats, refused ones included. */
  dialOutcomes(): DialOutcome[];
  isIdle(): boolean;
  /** No webhook queued or in flight, no API request in progress, no short timer pending. */
  idle(timeoutMs?: number): Promise<void>;
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

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

function faultReply(kind: Exclude<CommandErrorKind, 'timeout'>): JsonReply {
  switch (kind) {
    case '429':
      return replies.tooManyRequests();
    case '500':
      return replies.unexpected();
    case '503':
      return replies.serviceUnavailable();
  }
}

/** Real Telnyx-looking ids: call_control_ids are `v3:<base64url>`, the rest UUIDs. */
const randomIds: IdSource = (kind) => (kind === 'call_control_id' ? `v3:${randomBytes(27).toString('base64url')}` : randomUUID());

// ---------------------------------------------------------------------------------------------

export async function startTelnyxSimulator(opts: TelnyxSimOptions): Promise<TelnyxSimulator> {
  const scale = opts.timeScale ?? 1;
  const ms = (simulatedMs: number): number => simulatedMs * scale;
  const deliveryMode = opts.delivery ?? 'retry-3';
  const webhookTimeoutMs = opts.webhookTimeoutMs ?? 10_000;
  const random = seededRandom(opts.seed ?? 1);
  let faults: FaultPlan = { ...defaultFaults, ...opts.faults };
  const failQueue = new Map<string, CommandErrorKind[]>();

  const state = simulatorState();
  const { changes, changed, errors, recordError, timers, isStopped } = state;
  const { privateKey, publicKeyBase64 } = generateWebhookKeyPair();
  const sign = (rawBody: string, timestampSeconds = Math.floor(Date.now() / 1000)): Record<string, string> => signedHeaders(privateKey, rawBody, timestampSeconds);

  // The model keeps wall-clock time (webhook timestamps, the 60 s command_id window); its
  // durations are simulated ms, scaled into real timers below.
  const model = createTelnyxModel({
    nowMs: Date.now,
    ids: randomIds,
    speakMsPerChar: opts.speakMsPerChar ?? 40,
    firstCommandTimeoutMs: opts.firstCommandTimeoutMs ?? 30_000,
    inboundConnectionId: opts.connectionId ?? 'sim-call-control-app',
    callPromptsInConference: opts.callPromptsInConference ?? 'allowed',
    onObserverError: recordError,
  });

  const calls = new Map<string, SimCall>();
  const requests: ApiRequestRecord[] = [];
  const webhooks: WebhookDeliveryRecord[] = [];
  const eventListeners = new Set<(event: TelnyxWebhookEvent) => void>();
  const audioListeners = new Set<(audio: SimAudio) => void>();
  const answeredListeners = new Set<(call: SimCall) => void>();
  const realTimers = new Map<number, NodeJS.Timeout>();
  let inFlightRequests = 0;
  let pendingDeliveries = 0;

  function tell<T>(listeners: ReadonlySet<(value: T) => void>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        recordError(error);
      }
    }
  }

  model.observe({
    event(event) {
      const id = event.payload.call_control_id;
      const leg = typeof id === 'string' ? model.legs.get(id) : undefined;
      if (leg && !calls.has(leg.callControlId)) calls.set(leg.callControlId, handleOf(leg));
      tell(eventListeners, event);
      if (!isStopped()) schedule(streamOf(event), event);
      changed();
    },
    audio: (audio) => tell(audioListeners, audio),
    answered: (leg) => {
      const call = calls.get(leg.callControlId);
      if (call) tell(answeredListeners, call);
    },
    timerSet(timer) {
      const handle = timers.after(
        ms(timer.afterMs),
        () => {
          realTimers.delete(timer.id);
          model.fire(timer.id);
        },
        timer.waitsOnCaller,
      );
      if (handle) realTimers.set(timer.id, handle);
    },
    timerCleared(timerId) {
      timers.cancel(realTimers.get(timerId));
      realTimers.delete(timerId);
    },
  });

  // -------------------------------------------------------------------------------------------
  // Webhook delivery

  const queues = new Map<string, { items: TelnyxWebhookEvent[]; running: boolean }>();
  const deliveredTo = (sink: WebhookSink): string => ('url' in sink ? sink.url : 'sink');

  /** Events of one leg (conference events: of the leg named, else the creator's) go out in order. */
  function streamOf(event: TelnyxWebhookEvent): string {
    const { call_control_id: callControlId, conference_id: conferenceId } = event.payload;
    if (typeof callControlId === 'string') return callControlId;
    return (typeof conferenceId === 'string' ? model.conferences.get(conferenceId)?.creatorCallControlId : undefined) ?? 'conference';
  }

  async function sendOnce(sink: WebhookSink, rawBody: string, headers: Record<string, string>): Promise<number> {
    if (typeof sink === 'function') return (await sink(rawBody, headers)).status;
    const response = await fetch(sink.url, { method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(webhookTimeoutMs) });
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  }

  async function deliver(event: TelnyxWebhookEvent, flags: { duplicate: boolean; delayed: boolean }): Promise<void> {
    const payload = event.payload;
    const callControlId = typeof payload.call_control_id === 'string' ? payload.call_control_id : undefined;
    const conferenceId = typeof payload.conference_id === 'string' ? payload.conference_id : undefined;
    const plan = deliveryPlan(deliveryMode, { retriesMs: model.retryPolicyFor(event), failover: opts.failover !== undefined, maxAttempts: opts.maxDeliveryAttempts });
    for (const [index, step] of plan.entries()) {
      if (isStopped()) return;
      if (index > 0 && step.delayMs > 0) await timers.sleep(ms(step.delayMs));
      const sink = step.target === 'failover' && opts.failover ? opts.failover : opts.deliver;
      const attempt = index + 1;
      const rawBody = JSON.stringify({ data: event, meta: { attempt, delivered_to: deliveredTo(sink) } });
      let status = 0;
      let error: string | undefined;
      try {
        status = await sendOnce(sink, rawBody, sign(rawBody));
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      if (isStopped()) return;
      webhooks.push({ event_type: event.event_type, id: event.id, attempt, status, at: Date.now(), callControlId, conferenceId, ...flags, target: step.target, ...(error ? { error } : {}) });
      changed();
      if (status >= 200 && status < 300) return;
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
      for (let next = queue.items.shift(); next && !isStopped(); next = queue.items.shift()) {
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

  // -------------------------------------------------------------------------------------------
  // The far ends

  async function press(leg: ModelLeg, digits: string, gapMs: number): Promise<void> {
    let first = true;
    for (const ch of digits) {
      if (isStopped() || leg.state === 'hangup') return;
      if (ch === ',') {
        await timers.sleep(ms(500));
        continue;
      }
      if (!/^[0-9*#A-Da-d]$/.test(ch)) throw new Error(`Not a DTMF digit: ${JSON.stringify(ch)}`);
      if (!first && gapMs > 0) await timers.sleep(ms(gapMs));
      first = false;
      model.press(leg.callControlId, ch);
    }
  }

  function handleOf(leg: ModelLeg): SimCall {
    const id = leg.callControlId;
    const handle = legHandle(leg, {
      get transcribing() {
        return leg.transcription !== undefined;
      },
      press: (digits: string, gapMs = 100) => press(leg, digits, gapMs),
      hangup: () => {
        if (!isStopped()) model.hangup(id);
      },
      say: (text: string, options: { final?: boolean; score?: number } = {}) => {
        model.say(id, text, options);
      },
      waitForState: async (wanted: LegState, timeoutMs = 5000) => {
        await waitUntil(changes, () => leg.state === wanted, timeoutMs, `leg ${id} to be ${wanted}`);
      },
    });
    return handle;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  function pickFault(kind: string, method: string): CommandErrorKind | undefined {
    const queued = failQueue.get(kind);
    if (queued && queued.length > 0) return queued.shift();
    if (faults.commandErrorRate <= 0 || faults.commandErrorKinds.length === 0) return undefined;
    const eligible = faults.failCommands ? faults.failCommands.has(kind) : method !== 'GET';
    if (!eligible || random() >= faults.commandErrorRate) return undefined;
    return faults.commandErrorKinds[Math.floor(random() * faults.commandErrorKinds.length)];
  }

  async function handle(req: JsonRequest): Promise<HandlerResult> {
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token || (opts.apiKey !== undefined && token !== opts.apiKey)) return replies.unauthorized();
    const routed = model.route(req.method, req.path, req.body, req.query);
    if (!routed) return replies.notModelled(`${req.method} ${req.path}`);
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
      ...(routed.commandId !== undefined ? { commandId: routed.commandId } : {}),
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
      record.outcome = result.outcome === 'outage' ? 'fault' : result.outcome;
      if (result.outcome === 'outage') record.fault = '503';
      record.status = result.status;
      return { status: result.status, body: result.body };
    } finally {
      inFlightRequests--;
      changed();
    }
  }

  const server: JsonServer = await startJsonServer(handle, recordError);

  // -------------------------------------------------------------------------------------------

  const isIdle = (): boolean => pendingDeliveries === 0 && inFlightRequests === 0 && timers.shortPending() === 0;
  const subscribe =
    <T>(listeners: Set<(value: T) => void>) =>
    (listener: (value: T) => void): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };

  return {
    baseUrl: `http://127.0.0.1:${server.port}/v2`,
    publicKeyBase64,
    timeScale: scale,
    model,
    requests,
    webhooks,
    events: model.events,
    calls,
    conferences: model.conferences,
    errors,
    sign,
    placeInboundCall: (options) => {
      const leg = model.placeInboundCall(options);
      return calls.get(leg.callControlId) ?? handleOf(leg);
    },
    setDialBehavior: (toNumber, behavior) => model.setDialBehavior(toNumber, behavior),
    setDialPolicy: (policy) => model.setDialPolicy(policy),
    outage: (window) => model.outage(window),
    onDialAnswered: subscribe(answeredListeners),
    onEvent: subscribe(eventListeners),
    onAudio: subscribe(audioListeners),
    setFaults: (partial) => {
      faults = { ...faults, ...partial };
    },
    failNext: (kind, error, count = 1) => {
      const queue = failQueue.get(kind) ?? [];
      for (let i = 0; i < count; i++) queue.push(error);
      failQueue.set(kind, queue);
    },
    commandsFor: (callControlId) => model.commandsFor(callControlId),
    dials: () => model.dials(),
    dialOutcomes: () => model.dialOutcomes(),
    ...state.controls(isIdle, async () => {
      queues.clear();
      await server.close();
    }),
  };
}
