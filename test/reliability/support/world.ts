/**
 * The outside world of delivery-schedule tests, deterministic: Telnyx is the shared Telnyx
 * model (`local/sim/telnyx-model.ts`) with seeded ids on the world's clock; around it a Symbl
 * stand-in (token, PSTN connect/stop, messages) and the SQS queue, seeded and clocked too, all
 * answering the real SDKs in-process through `fetch`.
 *
 * Nothing runs on timers: a command's effects become *generated* webhook events and *pending*
 * model timers (a prompt finishing, the menu timing out, an operator's phone ringing out or
 * being answered, answering-machine detection ending, a screened operator pressing a key or
 * leaving), and the other far ends (a customer pressing 1, the analyzer keying its code) are
 * actions. Which of those happens when, and which generated event or queue message is
 * delivered when, how often and alongside what, is the schedule's choice; the model only
 * guarantees causality, and the queue that nothing arrives before its delay.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KeyObject } from 'node:crypto';
import { decodeClientState } from '../../../lib/telnyx/client-state.js';
import { seededRandom } from '../../../local/sim/runtime.js';
import { createTelnyxModel, legHandle, seededIds, type DialBehavior, type ModelLeg, type Outage, type PendingTimer, type TelnyxWebhookEvent } from '../../../local/sim/telnyx-model.js';
import { replies, str, type ModelReply } from '../../../local/sim/telnyx-model-replies.js';
import { deliveryPlan, type DeliveryAttempt } from '../../../local/sim/webhook-delivery.js';
import { signedHeaders } from '../../../local/sim/webhook-signer.js';

export type WorldRole = 'customer' | 'analyzer' | 'operator';
export type WorldEvent = TelnyxWebhookEvent;

/**
 * What the far end of one operator dial does. People: `takes-call` (hears the briefing, presses
 * 1), `listens` (says nothing: machine detection hears a person, the briefing's gather runs
 * out), `declines` (presses 2), `leaves` (takes the call, hangs up once connected), `silent`
 * (picks up, detection is not sure, never presses). Machines and the network: `voicemail`
 * (detection says machine), `no-answer` (rings out), `busy`, and dials Telnyx refuses with its
 * error body and no leg: `refused-403` (not permitted), `refused-422` (invalid destination).
 */
export type OperatorBehavior = 'takes-call' | 'listens' | 'declines' | 'leaves' | 'silent' | 'voicemail' | 'no-answer' | 'busy' | 'refused-403' | 'refused-422';

export const operatorBehaviors: readonly OperatorBehavior[] = ['takes-call', 'listens', 'declines', 'leaves', 'silent', 'voicemail', 'no-answer', 'busy', 'refused-403', 'refused-422'];

/** Which dial of a call: its escalation round and attempt (from our client_state on the dial). */
export interface DialRef {
  readonly round: number;
  readonly attempt: number;
}

/** The words of the briefing a screened operator answers. */
export const briefingCue = 'Press 1 to take the call';

/** The model's far end for a behaviour. */
export function dialBehaviorOf(behavior: OperatorBehavior): DialBehavior {
  const answers = { answerAfterMs: 200 } as const;
  switch (behavior) {
    case 'takes-call':
      return { ...answers, pressAfterPrompt: { digits: '1', whenPromptIncludes: briefingCue } };
    case 'listens':
      return answers;
    case 'declines':
      return { ...answers, pressAfterPrompt: { digits: '2', whenPromptIncludes: briefingCue } };
    case 'leaves':
      return { ...answers, pressAfterPrompt: { digits: '1', whenPromptIncludes: briefingCue }, hangupAfterMs: 5000 };
    case 'silent':
      return { ...answers, machineDetectionResult: 'not_sure' };
    case 'voicemail':
      return { ...answers, kind: 'voicemail' };
    case 'no-answer':
      return { noAnswer: true };
    case 'busy':
      return { busy: true };
    case 'refused-403':
      return { refused: 403 };
    case 'refused-422':
      return { refused: 422 };
  }
}

/** A leg of the model (a live view), seen with its part in the call. */
export interface WorldLeg extends Omit<ModelLeg, 'gather'> {
  readonly id: string;
  readonly role: WorldRole;
  /** The running gather: the customer's menu or an operator's briefing (gather_using_speak), or the analyzer's code (gather). */
  readonly gather: { readonly purpose: 'menu' | 'code'; readonly digits: string } | undefined;
  /** Set once the analyzer has keyed its code. */
  readonly farEndDone: boolean;
  /** For operator legs: which dial placed it, and what its far end does. */
  readonly dial: (DialRef & { readonly behavior: OperatorBehavior }) | undefined;
}

/** A conference of the model, as the schedule's checks read it. */
export interface WorldConference {
  readonly id: string;
  readonly name: string;
  readonly status: 'in_progress' | 'completed';
  readonly creator: string;
  readonly clientState: string | null;
  readonly participants: ReadonlyMap<string, { readonly muted: boolean }>;
  readonly everJoined: readonly string[];
}

/** How a Telnyx request fails for now: an error status, or no answer at all (the SDK's timeout). */
export type FaultError = '503' | '500' | '429' | 'timeout';

export interface WorldRequest {
  readonly service: 'telnyx' | 'symbl';
  readonly method: string;
  readonly path: string;
  readonly kind: string;
  readonly body: Record<string, unknown>;
  readonly commandId: string | undefined;
  /** The world's clock when it arrived. */
  readonly atMs: number;
  /** What Telnyx did with it: 'fault' when it failed before doing anything. */
  outcome: 'executed' | 'duplicate' | 'rejected' | 'fault';
  /** The status the product saw; 0 when no answer came (a timeout). */
  status: number;
  /** Failed for now (an injected fault or an outage window), whether or not it took effect first. */
  faulted: boolean;
  /** Which failure: an injected one, or 'outage' for a 503 window. */
  fault?: FaultError | 'outage';
}

export interface SymblConnection {
  readonly connectionId: string;
  readonly conversationId: string;
  readonly dtmf: string;
  status: 'dialing' | 'connected' | 'stopped' | 'ended';
  leg: string | undefined;
}

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly delaySeconds: number;
  /** The world's clock when the product sent it. */
  readonly sentAtMs: number;
  /** SQS delivers it no earlier than this (its DelaySeconds). */
  readonly dueAtMs: number;
  deliveries: number;
  /** Settled: handled without an error at least once (SQS deletes it then). */
  done: boolean;
}

export interface Utterance {
  readonly id: string;
  readonly text: string;
  readonly score: number;
  readonly atMs: number;
}

/** How commands fail: decided per command_id, the first time it is seen. */
export interface CommandFaults {
  /** Probability that a command's next requests fail for now. */
  readonly failRate: number;
  /** Of those, the share where the first request took effect and only its response was lost. */
  readonly lostResponseShare: number;
  /** Failing requests in a row (the executor tries twice inline; more go through the queue). */
  readonly failuresInARow: (rng: () => number) => number;
  /** How they fail; one is picked per command. Default 503. */
  readonly errors?: readonly FaultError[];
}

/** The world's time: logical by default, moved on by whoever drives it. */
export interface WorldClock {
  nowMs(): number;
  advance(ms: number): void;
}

/**
 * A clock that moves only when told to. Start it near the wall clock: DynamoDB Local expires
 * the product's items on theirs.
 */
export function logicalClock(startMs: number): WorldClock {
  let now = startMs;
  return {
    nowMs: () => now,
    advance: (ms) => {
      now += Math.max(0, ms);
    },
  };
}

export interface WorldOptions {
  /** Seeds every id the world makes: Telnyx's, Symbl's and the queue's. */
  readonly seed: number;
  /** Random choices for command faults. */
  readonly rng: () => number;
  readonly clock: WorldClock;
  readonly privateKey: KeyObject;
  readonly telnyxBaseUrl: string;
  readonly symblBaseUrl: string;
  readonly symblNumber: string;
  readonly conferenceNumber: string;
  readonly faults?: CommandFaults;
  /** What each operator dial's far end does (default: every operator takes the call). */
  readonly operators?: (dial: DialRef) => OperatorBehavior;
}

/** A scripted failure of the next matching request of a kind. */
export interface ScriptedFault {
  /** The first request takes effect before its response is lost. */
  readonly apply?: boolean;
  readonly error?: FaultError;
  /** Only requests this picks (one leg's, say). */
  readonly affects?: (request: { readonly callControlId: string | undefined; readonly body: Readonly<Record<string, unknown>> }) => boolean;
}

export type World = ReturnType<typeof createWorld>;

/** A person takes this long per key, and per sentence (so keys and words get times of their own). */
const keyGapMs = 100;
const sentenceMs = 1000;

const gatherTimerKinds: ReadonlySet<PendingTimer['kind']> = new Set(['gather-prompt', 'gather-timeout', 'gather-initial-timeout', 'gather-inter-digit']);

/** What the product sees of a fault: an error reply, or a request that never answers. */
function faultReply(error: FaultError): ModelReply | 'no-answer' {
  switch (error) {
    case '503':
      return replies.serviceUnavailable();
    case '500':
      return replies.unexpected();
    case '429':
      return replies.tooManyRequests();
    case 'timeout':
      return 'no-answer';
  }
}

/** The error fetch rejects with when the SDK's request timer fires (the SDK maps it to APIConnectionTimeoutError). */
function timedOut(): Error {
  const error = new Error('The operation was aborted due to timeout');
  error.name = 'AbortError';
  return error;
}

export function createWorld(options: WorldOptions) {
  const { rng } = options;
  const { clock } = options;
  const model = createTelnyxModel({
    nowMs: clock.nowMs,
    ids: seededIds(options.seed).next,
    inboundConnectionId: 'world-app',
    onObserverError: (error) => {
      throw error;
    },
  });
  const ids = seededIds(options.seed ^ 0x5bd1e995);
  const digits = seededRandom(options.seed ^ 0x1b873593);
  const roles = new Map<string, WorldRole>();
  const done = new Set<string>();
  const views = new Map<string, WorldLeg>();
  const requests: WorldRequest[] = [];
  const connections = new Map<string, SymblConnection>();
  const queue: QueuedMessage[] = [];
  const said: Utterance[] = [];
  /** command_id → failing requests still to come (and whether the next one takes effect first). */
  const failing = new Map<string, { left: number; applyFirst: boolean; error: FaultError }>();
  const decided = new Set<string>();
  let tokenIssued: string | undefined;
  const operators = options.operators ?? (() => 'takes-call' as const);

  // Each operator dial's far end, by the round and attempt on its client_state.
  model.setDialPolicy(({ clientState }) => {
    const tag = decodeClientState(clientState);
    return tag?.role === 'operator' ? dialBehaviorOf(operators({ round: tag.round ?? 0, attempt: tag.attempt ?? 0 })) : undefined;
  });

  // Symbl notices its leg going down.
  model.observe({
    event(event) {
      if (event.event_type !== 'call.hangup') return;
      for (const connection of connections.values()) {
        if (connection.leg === event.payload.call_control_id && (connection.status === 'connected' || connection.status === 'dialing')) connection.status = 'ended';
      }
    },
  });

  function dialOf(id: string): WorldLeg['dial'] {
    const record = model.dials().find((d) => d.callControlId === id);
    const tag = decodeClientState(record?.clientState);
    if (!record || tag?.role !== 'operator') return undefined;
    const ref = { round: tag.round ?? 0, attempt: tag.attempt ?? 0 };
    return { ...ref, behavior: operators(ref) };
  }

  function viewOf(leg: ModelLeg): WorldLeg {
    const id = leg.callControlId;
    const known = views.get(id);
    if (known) return known;
    const dial = roles.has(id) ? undefined : dialOf(id);
    const view = legHandle(leg, {
      id,
      role: roles.get(id) ?? 'operator',
      get gather() {
        const gather = leg.gather;
        return gather ? { purpose: gather.kind === 'gather' ? ('code' as const) : ('menu' as const), digits: gather.digits } : undefined;
      },
      get farEndDone() {
        return done.has(id);
      },
      dial,
    });
    views.set(id, view);
    return view;
  }

  function legs(): Map<string, WorldLeg> {
    return new Map([...model.legs.values()].map((leg) => [leg.callControlId, viewOf(leg)]));
  }

  function conferences(): Map<string, WorldConference> {
    return new Map(
      [...model.conferences.values()].map((c) => [
        c.id,
        {
          id: c.id,
          name: c.name,
          status: c.status,
          creator: c.creatorCallControlId,
          clientState: c.clientState,
          participants: new Map([...c.participants.values()].map((p) => [p.callControlId, { muted: p.muted }])),
          everJoined: c.history.map((h) => h.callControlId),
        },
      ]),
    );
  }

  function press(leg: WorldLeg, keys: string): void {
    for (const key of keys.replaceAll(',', '')) {
      model.press(leg.id, key);
      clock.advance(keyGapMs);
    }
  }

  function inboundLeg(role: WorldRole, from: string): WorldLeg {
    const leg = model.placeInboundCall({ from, to: options.conferenceNumber });
    roles.set(leg.callControlId, role);
    return viewOf(leg);
  }

  // ------------------------------------------------------------------ Telnyx, with faults

  /** Scripted faults: the next matching requests of a kind fail, after taking effect or not. */
  const scripted = new Map<string, ScriptedFault[]>();

  /** Decides once per command_id whether (and how) its requests fail. */
  function faultFor(commandId: string | undefined, kind: string, target: { callControlId: string | undefined; body: Record<string, unknown> }): { error: FaultError; apply: boolean } | undefined {
    const list = scripted.get(kind) ?? [];
    const index = list.findIndex((f) => f.affects === undefined || f.affects(target));
    if (index >= 0) {
      const [next] = list.splice(index, 1);
      return { error: next!.error ?? '503', apply: next!.apply === true };
    }
    const faults = options.faults;
    if (!faults || commandId === undefined) return undefined;
    if (!decided.has(commandId)) {
      decided.add(commandId);
      if (rng() < faults.failRate) {
        const errors = faults.errors ?? ['503'];
        failing.set(commandId, { left: faults.failuresInARow(rng), applyFirst: rng() < faults.lostResponseShare, error: errors[Math.floor(rng() * errors.length)]! });
      }
    }
    const plan = failing.get(commandId);
    if (!plan || plan.left <= 0) return undefined;
    const apply = plan.applyFirst;
    plan.applyFirst = false;
    plan.left--;
    return { error: plan.error, apply };
  }

  function telnyx(method: string, path: string, body: Record<string, unknown>, query: URLSearchParams): ModelReply | 'no-answer' {
    const routed = model.route(method, path, body, query);
    const record: WorldRequest = {
      service: 'telnyx',
      method,
      path,
      kind: routed?.kind ?? 'unknown',
      body,
      commandId: str(body, 'command_id'),
      atMs: clock.nowMs(),
      outcome: 'rejected',
      status: 0,
      faulted: false,
    };
    requests.push(record);
    if (!routed) {
      const reply = replies.notModelled(`${method} ${path}`);
      record.status = reply.status;
      return reply;
    }
    const run = () => {
      const result = routed.run();
      if (result.outcome === 'outage') Object.assign(record, { faulted: true, fault: 'outage' });
      return { ...result, outcome: result.outcome === 'outage' ? ('fault' as const) : result.outcome };
    };
    const fault = faultFor(record.commandId, routed.kind, { callControlId: routed.callControlId, body });
    if (fault) {
      record.outcome = fault.apply ? run().outcome : 'fault';
      record.faulted = true;
      record.fault = fault.error;
      const reply = faultReply(fault.error);
      record.status = reply === 'no-answer' ? 0 : reply.status;
      return reply;
    }
    const result = run();
    record.outcome = result.outcome;
    record.status = result.status;
    return result;
  }

  // ------------------------------------------------------------------ Symbl

  function conversationId(): string {
    let id = String(1 + Math.floor(digits() * 9));
    while (id.length < 15) id += String(Math.floor(digits() * 10));
    return id;
  }

  function symbl(method: string, path: string, body: Record<string, unknown>, authorization: string | undefined): ModelReply {
    const record: WorldRequest = { service: 'symbl', method, path, kind: 'other', body, commandId: undefined, atMs: clock.nowMs(), outcome: 'executed', status: 200, faulted: false };
    requests.push(record);
    const reply = ((): ModelReply => {
      if (method === 'POST' && path === '/oauth2/token:generate') {
        Object.assign(record, { kind: 'token' });
        tokenIssued ??= ids.uuid();
        return { status: 200, body: { accessToken: tokenIssued, expiresIn: 86_400 } };
      }
      if (authorization !== `Bearer ${tokenIssued}`) return { status: 401, body: { message: 'Unauthorized' } };
      if (method === 'POST' && path === '/v1/endpoint:connect') {
        if (body.operation === 'start') {
          Object.assign(record, { kind: 'start' });
          const endpoint = (body.endpoint ?? {}) as Record<string, unknown>;
          const connection: SymblConnection = { connectionId: ids.uuid(), conversationId: conversationId(), dtmf: str(endpoint, 'dtmf') ?? '', status: 'dialing', leg: undefined };
          connections.set(connection.connectionId, connection);
          return { status: 201, body: { connectionId: connection.connectionId, conversationId: connection.conversationId } };
        }
        if (body.operation === 'stop') {
          Object.assign(record, { kind: 'stop' });
          const connection = connections.get(str(body, 'connectionId') ?? '');
          if (!connection) return { status: 404, body: { message: 'connectionId not found' } };
          if (connection.status === 'dialing' || connection.status === 'connected') {
            connection.status = 'stopped';
            if (connection.leg && model.legs.get(connection.leg)?.state !== 'hangup') model.hangup(connection.leg);
          }
          return { status: 200, body: { connectionId: connection.connectionId, conversationId: connection.conversationId } };
        }
      }
      const match = /^\/v1\/conversations\/([^/]+)\/messages$/.exec(path);
      if (method === 'GET' && match) {
        Object.assign(record, { kind: 'messages' });
        const connection = [...connections.values()].find((c) => c.conversationId === decodeURIComponent(match[1]!));
        if (!connection) return { status: 404, body: { message: 'Conversation not found' } };
        return {
          status: 200,
          body: { messages: said.map((u) => ({ id: u.id, text: u.text, startTime: new Date(u.atMs).toISOString(), sentiment: { polarity: { score: u.score } } })) },
        };
      }
      return { status: 404, body: { message: 'not modelled' } };
    })();
    record.status = reply.status;
    if (reply.status >= 300) record.outcome = 'rejected';
    return reply;
  }

  // ------------------------------------------------------------------ fetch and SQS, as the SDKs see them

  const worldFetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const text = typeof init?.body === 'string' ? init.body : '';
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const headers = new Headers(init?.headers);
    const reply = url.href.startsWith(options.telnyxBaseUrl)
      ? telnyx(method, url.pathname, body, url.searchParams)
      : url.href.startsWith(options.symblBaseUrl)
        ? symbl(method, url.pathname, body, headers.get('authorization') ?? undefined)
        : { status: 404, body: {} };
    if (reply === 'no-answer') throw timedOut();
    // A failing Telnyx request asks the executor to retry almost at once (the executor reads a 0 as no
    // advice and backs off 250 ms of real time), so a schedule hardly sleeps.
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json', 'retry-after-ms': '1' } });
  };

  const sqs = {
    async send(command: { input: { MessageBody?: string; DelaySeconds?: number } }) {
      const messageId = ids.uuid();
      const delaySeconds = command.input.DelaySeconds ?? 0;
      const sentAtMs = clock.nowMs();
      queue.push({ messageId, body: command.input.MessageBody ?? '', delaySeconds, sentAtMs, dueAtMs: sentAtMs + delaySeconds * 1000, deliveries: 0, done: false });
      return { MessageId: messageId };
    },
  } as unknown as SQSClient;

  return {
    fetch: worldFetch,
    sqs,
    model,
    nowMs: clock.nowMs,
    get legs() {
      return legs();
    },
    get conferences() {
      return conferences();
    },
    events: model.events,
    requests,
    connections,
    queue,
    said,

    /** Moves the world's clock on (the model's dedupe window, outages, queue delays, the product's own clock). */
    advance(ms: number): void {
      clock.advance(ms);
    },

    /**
     * Fails the next `count` requests of a Telnyx command kind (`answer`, `dial`,
     * `conference_join`, …) that `fault.affects` picks; `fault.apply` makes the first of them
     * take effect first (a lost response).
     */
    failNext(kind: string, count: number, fault: ScriptedFault = {}): void {
      const list = scripted.get(kind) ?? [];
      for (let i = 0; i < count; i++) list.push({ ...fault, apply: fault.apply === true && i === 0 });
      scripted.set(kind, list);
    },

    /** Telnyx answers 503 to the window's kinds, on the world's clock; the function returned ends it early. */
    outage(window: Outage): () => void {
      return model.outage(window);
    },

    /** The Telnyx headers for a body, signed with the world's key at the world's time. */
    sign(rawBody: string, timestampSeconds = Math.floor(clock.nowMs() / 1000)): Record<string, string> {
      return signedHeaders(options.privateKey, rawBody, timestampSeconds);
    },

    customerCalls(from: string): WorldLeg {
      return inboundLeg('customer', from);
    },

    /** Symbl's leg calls our number for a started connection. */
    analyzerDialsIn(connection: SymblConnection): WorldLeg {
      const leg = inboundLeg('analyzer', options.symblNumber);
      connection.leg = leg.id;
      connection.status = 'connected';
      return leg;
    },

    /** The analyzer keys its DTMF code once its leg is answered. */
    analyzerKeysCode(leg: WorldLeg): void {
      const connection = [...connections.values()].find((c) => c.leg === leg.id);
      done.add(leg.id);
      if (connection) press(leg, connection.dtmf);
    },

    /** The far end presses keys, one after the other. */
    press,

    /** The customer says something the analyzer hears (while its leg is in the conference). */
    say(text: string, score: number): void {
      said.push({ id: `m-${said.length}-${ids.uuid().slice(0, 8)}`, text, score, atMs: clock.nowMs() });
      clock.advance(sentenceMs);
    },

    hangup(leg: WorldLeg): void {
      model.hangup(leg.id);
    },

    /** What the model waits for, optionally of one leg. */
    timers(leg?: WorldLeg): PendingTimer[] {
      return model.timers().filter((t) => leg === undefined || t.callControlId === leg.id);
    },

    fire(timer: PendingTimer): void {
      model.fire(timer.id);
    },

    /** The leg's gather runs out of time: its prompt finishes, then its timeouts fire, until it ends. */
    gatherTimesOut(leg: WorldLeg): void {
      const gather = model.legs.get(leg.id)?.gather;
      if (!gather) return;
      for (let left = 10; left > 0 && model.legs.get(leg.id)?.gather !== undefined; left--) {
        const timers = model.timers().filter((t) => t.callControlId === leg.id && gatherTimerKinds.has(t.kind));
        const next = timers.find((t) => t.kind === 'gather-prompt') ?? timers.sort((a, b) => a.afterMs - b.afterMs)[0];
        if (!next) return;
        model.fire(next.id);
      }
    },

    /** Whether the leg has a gather whose timers could run out. */
    hasGatherTimers(leg: WorldLeg): boolean {
      return model.timers().some((t) => t.callControlId === leg.id && gatherTimerKinds.has(t.kind));
    },

    /** How Telnyx would deliver this event: the primary, its leg's retry policy for the type, the failover once. */
    deliveryPlan(event: WorldEvent): DeliveryAttempt[] {
      return deliveryPlan('telnyx', { retriesMs: model.retryPolicyFor(event), failover: true });
    },

    /** Dials actually executed (a repeated command_id is not a second dial; a lost response is). */
    dials(): WorldRequest[] {
      return requests.filter((r) => r.kind === 'dial' && r.outcome === 'executed');
    },

    /** Every dial request (placed, refused, failed for now), with the round and attempt it was for. */
    dialRequests(): (WorldRequest & { readonly ref: DialRef })[] {
      return requests
        .filter((r) => r.kind === 'dial')
        .map((r) => {
          const tag = decodeClientState(str(r.body, 'client_state'));
          return { ...r, ref: { round: tag?.round ?? -1, attempt: tag?.attempt ?? -1 } };
        });
    },

    /** The far end each dial of a call gets. */
    operatorBehavior: operators,
  };
}
