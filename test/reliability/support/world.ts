/**
 * The outside world of delivery-schedule tests, deterministic: Telnyx is the shared Telnyx
 * model (`local/sim/telnyx-model.ts`) with seeded ids on the world's clock; around it a Symbl
 * stand-in (token, PSTN connect/stop, messages) and the SQS poll queue, seeded and clocked
 * too, all answering the real SDKs in-process through `fetch`.
 *
 * Nothing runs on timers: a command's effects become *generated* webhook events and *pending*
 * model timers (a prompt finishing, the menu timing out, an operator's phone ringing out), and
 * the far ends (a customer pressing 1, an operator answering, the analyzer keying its code) are
 * actions. Which of those happens when, and which generated event is delivered when, how often
 * and alongside what, is the schedule's choice; the model only guarantees causality.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KeyObject } from 'node:crypto';
import { seededRandom } from '../../../local/sim/runtime.js';
import { createTelnyxModel, legHandle, seededIds, type ModelLeg, type PendingTimer, type TelnyxWebhookEvent } from '../../../local/sim/telnyx-model.js';
import { replies, str, type ModelReply } from '../../../local/sim/telnyx-model-replies.js';
import { deliveryPlan, type DeliveryAttempt, type DeliveryMode } from '../../../local/sim/webhook-delivery.js';
import { signedHeaders } from '../../../local/sim/webhook-signer.js';

export type WorldRole = 'customer' | 'analyzer' | 'operator';
export type WorldEvent = TelnyxWebhookEvent;

/** A leg of the model (a live view), seen with its part in the call. */
export interface WorldLeg extends Omit<ModelLeg, 'gather'> {
  readonly id: string;
  readonly role: WorldRole;
  /** The running gather: the customer's menu (gather_using_speak) or the analyzer's code (gather). */
  readonly gather: { readonly purpose: 'menu' | 'code'; readonly digits: string } | undefined;
  /** Set once the far end has done its part (analyzer keyed its code, operator answered or gave up). */
  readonly farEndDone: boolean;
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

export interface WorldRequest {
  readonly service: 'telnyx' | 'symbl';
  readonly method: string;
  readonly path: string;
  readonly kind: string;
  readonly body: Record<string, unknown>;
  readonly commandId: string | undefined;
  /** What Telnyx did with it: 'fault' when it failed before doing anything. */
  outcome: 'executed' | 'duplicate' | 'rejected' | 'fault';
  status: number;
  /** A 503 went back (whether or not the command took effect first). */
  faulted: boolean;
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
  /** Probability that a command's next requests fail with 503. */
  readonly failRate: number;
  /** Of those, the share where the first request took effect and only its response was lost. */
  readonly lostResponseShare: number;
  /** Failing requests in a row (the SDK sends three: one and two retries). */
  readonly failuresInARow: (rng: () => number) => number;
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
}

export type World = ReturnType<typeof createWorld>;

/** A person takes this long per key, and per sentence (so keys and words get times of their own). */
const keyGapMs = 100;
const sentenceMs = 1000;

const gatherTimerKinds: ReadonlySet<PendingTimer['kind']> = new Set(['gather-prompt', 'gather-timeout', 'gather-initial-timeout', 'gather-inter-digit']);

export function createWorld(options: WorldOptions) {
  const { rng } = options;
  const { clock } = options;
  const model = createTelnyxModel({ nowMs: clock.nowMs, ids: seededIds(options.seed).next, inboundConnectionId: 'world-app', onObserverError: (error) => { throw error; } });
  const ids = seededIds(options.seed ^ 0x5bd1e995);
  const digits = seededRandom(options.seed ^ 0x1b873593);
  const roles = new Map<string, WorldRole>();
  const done = new Set<string>();
  const views = new Map<string, WorldLeg>();
  const requests: WorldRequest[] = [];
  const connections = new Map<string, SymblConnection>();
  const queue: QueuedMessage[] = [];
  const said: Utterance[] = [];
  /** command_id → failing requests still to come (and whether the first one took effect). */
  const failing = new Map<string, { left: number; applyFirst: boolean }>();
  const decided = new Set<string>();
  let tokenIssued: string | undefined;

  // Symbl notices its leg going down.
  model.observe({
    event(event) {
      if (event.event_type !== 'call.hangup') return;
      for (const connection of connections.values()) {
        if (connection.leg === event.payload.call_control_id && (connection.status === 'connected' || connection.status === 'dialing')) connection.status = 'ended';
      }
    },
  });

  function viewOf(leg: ModelLeg): WorldLeg {
    const id = leg.callControlId;
    const known = views.get(id);
    if (known) return known;
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

  /** Scripted faults: the next requests of a kind fail, after taking effect or not. */
  const scripted = new Map<string, { apply: boolean }[]>();

  /** Decides once per command_id whether (and how) its requests fail. */
  function faultFor(commandId: string | undefined, kind: string): { fail: boolean; apply: boolean } {
    const next = scripted.get(kind)?.shift();
    if (next) return { fail: true, apply: next.apply };
    const faults = options.faults;
    if (!faults || commandId === undefined) return { fail: false, apply: false };
    if (!decided.has(commandId)) {
      decided.add(commandId);
      if (rng() < faults.failRate) failing.set(commandId, { left: faults.failuresInARow(rng), applyFirst: rng() < faults.lostResponseShare });
    }
    const plan = failing.get(commandId);
    if (!plan || plan.left <= 0) return { fail: false, apply: false };
    const apply = plan.applyFirst;
    plan.applyFirst = false;
    plan.left--;
    return { fail: true, apply };
  }

  function telnyx(method: string, path: string, body: Record<string, unknown>, query: URLSearchParams): ModelReply {
    const routed = model.route(method, path, body, query);
    const record: WorldRequest = { service: 'telnyx', method, path, kind: routed?.kind ?? 'unknown', body, commandId: str(body, 'command_id'), outcome: 'rejected', status: 0, faulted: false };
    requests.push(record);
    if (!routed) {
      const reply = replies.notModelled(`${method} ${path}`);
      record.status = reply.status;
      return reply;
    }
    const run = () => {
      const result = routed.run();
      if (result.outcome === 'outage') record.faulted = true;
      return { ...result, outcome: result.outcome === 'outage' ? ('fault' as const) : result.outcome };
    };
    const fault = faultFor(record.commandId, routed.kind);
    if (fault.fail) {
      record.outcome = fault.apply ? run().outcome : 'fault';
      record.faulted = true;
      record.status = 503;
      return replies.serviceUnavailable();
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
    const record: WorldRequest = { service: 'symbl', method, path, kind: 'other', body, commandId: undefined, outcome: 'executed', status: 200, faulted: false };
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
    // A failing Telnyx request asks the SDK to retry at once, so a schedule does not sleep.
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json', 'retry-after-ms': '0' } });
  };

  const sqs = {
    async send(command: { input: { MessageBody?: string; DelaySeconds?: number } }) {
      const messageId = ids.uuid();
      queue.push({ messageId, body: command.input.MessageBody ?? '', delaySeconds: command.input.DelaySeconds ?? 0, sentAtMs: clock.nowMs(), deliveries: 0, done: false });
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

    /** Moves the world's clock on (the model's dedupe window, outages, the product's own clock). */
    advance(ms: number): void {
      clock.advance(ms);
    },

    /**
     * Fails the next `count` requests of a Telnyx command kind with 503 (`answer`, `dial`,
     * `conference_join`, …); `apply` makes the first of them take effect first (a lost response).
     */
    failNext(kind: string, count: number, apply = false): void {
      const list = scripted.get(kind) ?? [];
      for (let i = 0; i < count; i++) list.push({ apply: apply && i === 0 });
      scripted.set(kind, list);
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

    operatorAnswers(leg: WorldLeg): void {
      done.add(leg.id);
      model.answer(leg.id);
    },

    operatorDoesNotAnswer(leg: WorldLeg): void {
      done.add(leg.id);
      model.ringOut(leg.id);
    },

    /** How Telnyx would deliver this event in `mode` (a leg's retry policy included). */
    deliveryPlan(event: WorldEvent, mode: DeliveryMode): DeliveryAttempt[] {
      return deliveryPlan(mode, { retriesMs: model.retryPolicyFor(event), failover: false });
    },

    /** Dials actually executed (a repeated command_id is not a second dial; a lost response is). */
    dials(): WorldRequest[] {
      return requests.filter((r) => r.kind === 'dial' && r.outcome === 'executed');
    },
  };
}
