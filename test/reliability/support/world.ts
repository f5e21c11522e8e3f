/**
 * A small, deterministic model of the outside world for delivery-schedule tests: Telnyx Call
 * Control (legs, conferences, gathers, `command_id` dedupe), Symbl (token, PSTN connect/stop,
 * messages) and the SQS poll queue, answering the real SDKs in-process through `fetch`.
 *
 * Unlike the HTTP simulators in `local/sim`, nothing here runs on timers: a command's effects
 * become *generated* webhook events, and the far ends of the legs (a customer pressing 1, an
 * operator answering, the analyzer keying its code) are actions the schedule decides when to
 * take. Which generated event is delivered when, how often and alongside what, is the schedule's
 * choice; the model only guarantees causality: an event exists only after what caused it.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';

export type WorldLegState = 'parked' | 'bridging' | 'answered' | 'hangup';
export type WorldRole = 'customer' | 'analyzer' | 'operator';

export interface WorldEvent {
  readonly record_type: 'event';
  readonly event_type: string;
  readonly id: string;
  readonly occurred_at?: string;
  readonly payload: Readonly<Record<string, unknown>>;
  /** Generation order (not sent). */
  readonly seq: number;
}

interface Gather {
  readonly purpose: 'menu' | 'code';
  readonly validDigits: string;
  readonly minDigits: number;
  readonly maxDigits: number;
  readonly terminatingDigit: string;
  digits: string;
}

export interface WorldLeg {
  readonly id: string;
  readonly role: WorldRole;
  readonly direction: 'incoming' | 'outgoing';
  readonly from: string;
  readonly to: string;
  state: WorldLegState;
  clientState: string | null;
  conferenceId: string | undefined;
  gather: Gather | undefined;
  /** Telnyx remembers command_ids per leg and ignores a repeat, whatever its action. */
  readonly commandIds: Map<string, Reply>;
  readonly heard: string[];
  /** Dialed legs: the conference they join when answered. */
  pendingConference: string | undefined;
  hangupCause: string | undefined;
  /** Set once the far end has done its part (analyzer keyed its code, operator answered or gave up). */
  farEndDone: boolean;
}

export interface WorldConference {
  readonly id: string;
  readonly name: string;
  status: 'in_progress' | 'completed';
  readonly creator: string;
  readonly clientState: string | null;
  readonly participants: Map<string, { muted: boolean }>;
  readonly everJoined: string[];
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

interface Reply {
  readonly status: number;
  readonly body: unknown;
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

export interface WorldOptions {
  readonly rng: () => number;
  readonly telnyxBaseUrl: string;
  readonly symblBaseUrl: string;
  readonly symblNumber: string;
  readonly conferenceNumber: string;
  readonly faults?: CommandFaults;
  readonly key?: KeyObject;
}

const ok = (data: unknown = { result: 'ok' }): Reply => ({ status: 200, body: { data } });
const ended = (): Reply => ({ status: 422, body: { errors: [{ code: '90018', title: 'Call has already ended' }] } });
const notAnswered = (): Reply => ({ status: 422, body: { errors: [{ code: '10015', title: 'Call is not answered' }] } });
const noConference = (): Reply => ({ status: 404, body: { errors: [{ code: '10005', title: 'Conference not found or ended' }] } });
const bad = (detail: string): Reply => ({ status: 422, body: { errors: [{ code: '10015', title: 'Bad Request', detail }] } });

function str(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' ? v : undefined;
}

export type World = ReturnType<typeof createWorld>;

/** An event as Telnyx sends it (without the model's own bookkeeping). */
export function onTheWire(event: WorldEvent): Omit<WorldEvent, 'seq'> {
  return {
    record_type: event.record_type,
    event_type: event.event_type,
    id: event.id,
    ...(event.occurred_at !== undefined ? { occurred_at: event.occurred_at } : {}),
    payload: event.payload,
  };
}

/** A private key shared by the worlds of one test file (generating one per schedule is needless work). */
export function newWorldKey(): { privateKey: KeyObject; publicKeyBase64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { privateKey, publicKeyBase64: Buffer.from(String(jwk.x), 'base64url').toString('base64') };
}

export function createWorld(options: WorldOptions & { privateKey: KeyObject }) {
  const { rng } = options;
  const legs = new Map<string, WorldLeg>();
  const conferences = new Map<string, WorldConference>();
  const conferenceCommandIds = new Map<string, Map<string, Reply>>();
  const dialReplies = new Map<string, Reply>();
  const events: WorldEvent[] = [];
  const requests: WorldRequest[] = [];
  const connections = new Map<string, SymblConnection>();
  const queue: QueuedMessage[] = [];
  const said: Utterance[] = [];
  /** command_id → failing requests still to come (and whether the first one took effect). */
  const failing = new Map<string, { left: number; applyFirst: boolean }>();
  const decided = new Set<string>();
  let seq = 0;
  let clock = Date.now();
  const tick = () => (clock += 7);
  let tokenIssued: string | undefined;

  // ------------------------------------------------------------------ events

  function emit(eventType: string, payload: Record<string, unknown>, payloadTime = false): WorldEvent {
    const occurredAt = new Date(tick()).toISOString();
    const event: WorldEvent = payloadTime
      ? { record_type: 'event', event_type: eventType, id: randomUUID(), payload: { ...payload, occurred_at: occurredAt }, seq: seq++ }
      : { record_type: 'event', event_type: eventType, id: randomUUID(), occurred_at: occurredAt, payload, seq: seq++ };
    events.push(event);
    return event;
  }

  function callPayload(leg: WorldLeg, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      call_control_id: leg.id,
      connection_id: 'world-app',
      call_leg_id: `leg-${leg.id}`,
      call_session_id: `session-${leg.id}`,
      client_state: leg.clientState,
      from: leg.from,
      to: leg.to,
      ...extra,
    };
  }

  const emitCall = (leg: WorldLeg, type: string, extra: Record<string, unknown> = {}) => emit(type, callPayload(leg, extra));

  function participantPayload(conference: WorldConference, leg: WorldLeg): Record<string, unknown> {
    return {
      conference_id: conference.id,
      call_control_id: leg.id,
      // Only the owner's client_state reaches conference webhooks (as with Telnyx).
      ...(leg.id === conference.creator ? { client_state: conference.clientState } : {}),
    };
  }

  // ------------------------------------------------------------------ legs and conferences

  function newLeg(init: { role: WorldRole; direction: 'incoming' | 'outgoing'; from: string; to: string; state: WorldLegState; clientState: string | null }): WorldLeg {
    const leg: WorldLeg = {
      id: `v3:${init.role.slice(0, 4)}-${randomUUID()}`,
      ...init,
      conferenceId: undefined,
      gather: undefined,
      commandIds: new Map(),
      heard: [],
      pendingConference: undefined,
      hangupCause: undefined,
      farEndDone: false,
    };
    legs.set(leg.id, leg);
    return leg;
  }

  function finishGather(leg: WorldLeg, status: string): void {
    const gather = leg.gather;
    if (!gather) return;
    leg.gather = undefined;
    emitCall(leg, 'call.gather.ended', { digits: gather.digits, status });
  }

  function removeParticipant(conference: WorldConference, leg: WorldLeg): void {
    if (!conference.participants.delete(leg.id)) return;
    if (leg.conferenceId === conference.id) leg.conferenceId = undefined;
    emit('conference.participant.left', participantPayload(conference, leg));
  }

  function endConference(conference: WorldConference, reason: string): void {
    if (conference.status !== 'in_progress') return;
    conference.status = 'completed';
    for (const id of [...conference.participants.keys()]) removeParticipant(conference, legs.get(id)!);
    emit('conference.ended', { conference_id: conference.id, call_control_id: conference.creator, client_state: conference.clientState, reason }, true);
  }

  function endLeg(leg: WorldLeg, cause: string): void {
    if (leg.state === 'hangup') return;
    if (leg.gather) finishGather(leg, 'call_hangup');
    leg.state = 'hangup';
    leg.hangupCause = cause;
    leg.pendingConference = undefined;
    emitCall(leg, 'call.hangup', { hangup_cause: cause, state: 'hangup' });
    const conference = leg.conferenceId ? conferences.get(leg.conferenceId) : undefined;
    if (conference) {
      removeParticipant(conference, leg);
      if (conference.status === 'in_progress' && conference.participants.size === 0) endConference(conference, 'all_left');
    }
    for (const connection of connections.values()) {
      if (connection.leg === leg.id && (connection.status === 'connected' || connection.status === 'dialing')) connection.status = 'ended';
    }
  }

  function join(conference: WorldConference, leg: WorldLeg, muted: boolean): void {
    conference.participants.set(leg.id, { muted });
    conference.everJoined.push(leg.id);
    leg.conferenceId = conference.id;
    emit('conference.participant.joined', participantPayload(conference, leg));
  }

  // ------------------------------------------------------------------ Telnyx commands

  function onLeg(leg: WorldLeg | undefined, body: Record<string, unknown>, needAnswered: boolean, run: (leg: WorldLeg) => Reply): { reply: Reply; outcome: WorldRequest['outcome'] } {
    if (!leg || leg.state === 'hangup') return { reply: ended(), outcome: 'rejected' };
    const commandId = str(body, 'command_id');
    if (commandId !== undefined) {
      const previous = leg.commandIds.get(commandId);
      if (previous) return { reply: previous, outcome: 'duplicate' };
    }
    if (needAnswered && leg.state !== 'answered') return { reply: notAnswered(), outcome: 'rejected' };
    const reply = run(leg);
    if (reply.status < 300 && commandId !== undefined) leg.commandIds.set(commandId, reply);
    return { reply, outcome: reply.status < 300 ? 'executed' : 'rejected' };
  }

  function onConference(conference: WorldConference | undefined, body: Record<string, unknown>, run: (c: WorldConference) => Reply): { reply: Reply; outcome: WorldRequest['outcome'] } {
    if (!conference) return { reply: noConference(), outcome: 'rejected' };
    const commandId = str(body, 'command_id');
    const seen = conferenceCommandIds.get(conference.id)!;
    if (commandId !== undefined && seen.has(commandId)) return { reply: seen.get(commandId)!, outcome: 'duplicate' };
    if (conference.status !== 'in_progress') return { reply: noConference(), outcome: 'rejected' };
    const reply = run(conference);
    if (reply.status < 300 && commandId !== undefined) seen.set(commandId, reply);
    return { reply, outcome: reply.status < 300 ? 'executed' : 'rejected' };
  }

  function callAction(action: string, leg: WorldLeg | undefined, body: Record<string, unknown>) {
    switch (action) {
      case 'answer':
        return onLeg(leg, body, false, (l) => {
          if (l.direction !== 'incoming' || l.state !== 'parked') return bad('cannot answer in this state');
          l.clientState = str(body, 'client_state') ?? l.clientState;
          l.state = 'answered';
          emitCall(l, 'call.answered', { state: 'answered' });
          return ok();
        });
      case 'hangup':
        return onLeg(leg, body, false, (l) => {
          endLeg(l, l.state === 'bridging' ? 'originator_cancel' : 'normal_clearing');
          return ok();
        });
      case 'gather_using_speak':
      case 'gather':
        return onLeg(leg, body, true, (l) => {
          if (l.gather) finishGather(l, 'cancelled');
          l.clientState = str(body, 'client_state') ?? l.clientState;
          const payload = str(body, 'payload');
          if (payload) l.heard.push(payload);
          l.gather = {
            purpose: action === 'gather' ? 'code' : 'menu',
            validDigits: str(body, 'valid_digits') ?? '0123456789#*',
            minDigits: typeof body.minimum_digits === 'number' ? body.minimum_digits : 1,
            maxDigits: typeof body.maximum_digits === 'number' ? body.maximum_digits : 128,
            terminatingDigit: str(body, 'terminating_digit') ?? '#',
            digits: '',
          };
          return ok();
        });
      case 'gather_stop':
        return onLeg(leg, body, false, (l) => {
          finishGather(l, 'cancelled');
          return ok();
        });
      case 'speak':
        return onLeg(leg, body, true, (l) => {
          l.clientState = str(body, 'client_state') ?? l.clientState;
          l.heard.push(str(body, 'payload') ?? '');
          return ok();
        });
      case 'transcription_start':
        return onLeg(leg, body, true, () => ok());
      default:
        return { reply: { status: 404, body: { errors: [{ detail: `calls/actions/${action} is not modelled` }] } }, outcome: 'rejected' as const };
    }
  }

  function conferenceCreate(body: Record<string, unknown>) {
    const leg = legs.get(str(body, 'call_control_id') ?? '');
    return onLeg(leg, body, true, (l) => {
      if (l.conferenceId) return bad('already in a conference');
      const conference: WorldConference = {
        id: randomUUID(),
        name: str(body, 'name') ?? '',
        status: 'in_progress',
        creator: l.id,
        clientState: str(body, 'client_state') ?? l.clientState,
        participants: new Map(),
        everJoined: [],
      };
      conferences.set(conference.id, conference);
      conferenceCommandIds.set(conference.id, new Map());
      emit('conference.created', { conference_id: conference.id, call_control_id: l.id, client_state: conference.clientState }, true);
      join(conference, l, false);
      return ok({ record_type: 'conference', id: conference.id, name: conference.name, status: 'in_progress' });
    });
  }

  function conferenceAction(action: string, conference: WorldConference | undefined, body: Record<string, unknown>) {
    switch (action) {
      case 'join': {
        const leg = legs.get(str(body, 'call_control_id') ?? '');
        if (!conference || (conference.status !== 'in_progress' && !(leg && leg.commandIds.has(str(body, 'command_id') ?? '')))) {
          return { reply: noConference(), outcome: 'rejected' as const };
        }
        return onLeg(leg, body, true, (l) => {
          if (l.conferenceId) return bad('already in a conference');
          join(conference, l, body.mute === true);
          return ok();
        });
      }
      case 'speak':
        return onConference(conference, body, (c) => {
          const ids = Array.isArray(body.call_control_ids) ? (body.call_control_ids as string[]) : [...c.participants.keys()];
          for (const id of ids) if (c.participants.has(id)) legs.get(id)?.heard.push(str(body, 'payload') ?? '');
          return ok();
        });
      case 'end':
        return onConference(conference, body, (c) => {
          endConference(c, 'ended_via_api');
          return ok();
        });
      default:
        return { reply: { status: 404, body: { errors: [{ detail: `conferences/actions/${action} is not modelled` }] } }, outcome: 'rejected' as const };
    }
  }

  function dial(body: Record<string, unknown>) {
    const commandId = str(body, 'command_id');
    if (commandId !== undefined && dialReplies.has(commandId)) return { reply: dialReplies.get(commandId)!, outcome: 'duplicate' as const };
    const to = str(body, 'to');
    if (!to || !str(body, 'from') || !str(body, 'connection_id')) return { reply: bad('to, from and connection_id are required'), outcome: 'rejected' as const };
    const config = (body.conference_config ?? {}) as Record<string, unknown>;
    const conferenceId = str(config, 'id');
    const conference = conferenceId ? conferences.get(conferenceId) : undefined;
    if (conferenceId && (!conference || conference.status !== 'in_progress')) return { reply: bad('conference_config.id does not name an active conference'), outcome: 'rejected' as const };
    const leg = newLeg({ role: 'operator', direction: 'outgoing', from: str(body, 'from')!, to, state: 'bridging', clientState: str(body, 'client_state') ?? null });
    leg.pendingConference = conferenceId;
    emitCall(leg, 'call.initiated', { direction: 'outgoing', state: 'bridging' });
    const reply = ok({ record_type: 'call', call_control_id: leg.id, call_leg_id: `leg-${leg.id}`, is_alive: false });
    if (commandId !== undefined) dialReplies.set(commandId, reply);
    return { reply, outcome: 'executed' as const };
  }

  function routeTelnyx(method: string, path: string, body: Record<string, unknown>): { kind: string; run: () => { reply: Reply; outcome: WorldRequest['outcome'] } } {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [, resource, id, sub, action] = parts;
    if (method === 'POST' && resource === 'calls' && id === undefined) return { kind: 'dial', run: () => dial(body) };
    if (method === 'POST' && resource === 'calls' && sub === 'actions' && action) return { kind: action, run: () => callAction(action, legs.get(id!), body) };
    if (method === 'POST' && resource === 'conferences' && id === undefined) return { kind: 'conference_create', run: () => conferenceCreate(body) };
    if (method === 'POST' && resource === 'conferences' && sub === 'actions' && action) {
      return { kind: `conference_${action}`, run: () => conferenceAction(action, conferences.get(id!), body) };
    }
    return { kind: 'unknown', run: () => ({ reply: { status: 404, body: { errors: [{ detail: `${method} ${path}` }] } }, outcome: 'rejected' }) };
  }

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

  function telnyx(method: string, path: string, body: Record<string, unknown>): Reply {
    const routed = routeTelnyx(method, path, body);
    const commandId = str(body, 'command_id');
    const record: WorldRequest = { service: 'telnyx', method, path, kind: routed.kind, body, commandId, outcome: 'rejected', status: 0, faulted: false };
    requests.push(record);
    const fault = faultFor(commandId, routed.kind);
    if (fault.fail) {
      record.outcome = fault.apply ? routed.run().outcome : 'fault';
      record.faulted = true;
      record.status = 503;
      return { status: 503, body: { errors: [{ code: '10007', title: 'Service unavailable' }] } };
    }
    const { reply, outcome } = routed.run();
    record.outcome = outcome;
    record.status = reply.status;
    return reply;
  }

  // ------------------------------------------------------------------ Symbl

  function symbl(method: string, path: string, body: Record<string, unknown>, authorization: string | undefined): Reply {
    const record: WorldRequest = { service: 'symbl', method, path, kind: 'other', body, commandId: undefined, outcome: 'executed', status: 200, faulted: false };
    requests.push(record);
    const reply = ((): Reply => {
      if (method === 'POST' && path === '/oauth2/token:generate') {
        Object.assign(record, { kind: 'token' });
        tokenIssued ??= randomUUID();
        return { status: 200, body: { accessToken: tokenIssued, expiresIn: 86_400 } };
      }
      if (authorization !== `Bearer ${tokenIssued}`) return { status: 401, body: { message: 'Unauthorized' } };
      if (method === 'POST' && path === '/v1/endpoint:connect') {
        if (body.operation === 'start') {
          Object.assign(record, { kind: 'start' });
          const endpoint = (body.endpoint ?? {}) as Record<string, unknown>;
          const connection: SymblConnection = {
            connectionId: randomUUID(),
            conversationId: String(Math.floor(rng() * 1e15)),
            dtmf: str(endpoint, 'dtmf') ?? '',
            status: 'dialing',
            leg: undefined,
          };
          connections.set(connection.connectionId, connection);
          return { status: 201, body: { connectionId: connection.connectionId, conversationId: connection.conversationId } };
        }
        if (body.operation === 'stop') {
          Object.assign(record, { kind: 'stop' });
          const connection = connections.get(str(body, 'connectionId') ?? '');
          if (!connection) return { status: 404, body: { message: 'connectionId not found' } };
          if (connection.status === 'dialing' || connection.status === 'connected') {
            connection.status = 'stopped';
            const leg = connection.leg ? legs.get(connection.leg) : undefined;
            if (leg) endLeg(leg, 'normal_clearing');
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
          body: {
            messages: said.map((u) => ({ id: u.id, text: u.text, startTime: new Date(u.atMs).toISOString(), sentiment: { polarity: { score: u.score } } })),
          },
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
      ? telnyx(method, url.pathname, body)
      : url.href.startsWith(options.symblBaseUrl)
        ? symbl(method, url.pathname, body, headers.get('authorization') ?? undefined)
        : { status: 404, body: {} };
    // A failing Telnyx request asks the SDK to retry at once, so a schedule does not sleep.
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json', 'retry-after-ms': '0' } });
  };

  const sqs = {
    async send(command: { input: { MessageBody?: string; DelaySeconds?: number } }) {
      const messageId = randomUUID();
      queue.push({ messageId, body: command.input.MessageBody ?? '', delaySeconds: command.input.DelaySeconds ?? 0, deliveries: 0, done: false });
      return { MessageId: messageId };
    },
  } as unknown as SQSClient;

  // ------------------------------------------------------------------ the far ends

  function press(leg: WorldLeg, digits: string): void {
    for (const digit of digits) {
      if (digit === ',' || leg.state !== 'answered') continue;
      emitCall(leg, 'call.dtmf.received', { digit });
      const gather = leg.gather;
      if (!gather) continue;
      if (gather.terminatingDigit !== '' && digit === gather.terminatingDigit) {
        finishGather(leg, gather.digits.length >= gather.minDigits ? 'valid' : 'invalid');
        continue;
      }
      gather.digits += digit;
      if (!gather.validDigits.includes(digit)) finishGather(leg, 'invalid');
      else if (gather.digits.length >= gather.maxDigits) finishGather(leg, 'valid');
    }
  }

  return {
    fetch: worldFetch,
    sqs,
    legs,
    conferences,
    events,
    requests,
    connections,
    queue,
    said,

    /**
     * Fails the next `count` requests of a Telnyx command kind with 503 (`answer`, `dial`,
     * `conference_join`, …); `apply` makes the first of them take effect first (a lost response).
     */
    failNext(kind: string, count: number, apply = false): void {
      const queue = scripted.get(kind) ?? [];
      for (let i = 0; i < count; i++) queue.push({ apply: apply && i === 0 });
      scripted.set(kind, queue);
    },

    /** The Telnyx headers for a body, signed with the world's key. */
    sign(rawBody: string, timestampSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
      const timestamp = String(timestampSeconds);
      return {
        'content-type': 'application/json',
        'telnyx-timestamp': timestamp,
        'telnyx-signature-ed25519': sign(null, Buffer.from(`${timestamp}|${rawBody}`), options.privateKey).toString('base64'),
      };
    },

    customerCalls(from: string): WorldLeg {
      const leg = newLeg({ role: 'customer', direction: 'incoming', from, to: options.conferenceNumber, state: 'parked', clientState: null });
      emitCall(leg, 'call.initiated', { direction: 'incoming', state: 'parked' });
      return leg;
    },

    /** Symbl's leg calls our number for a started connection. */
    analyzerDialsIn(connection: SymblConnection): WorldLeg {
      const leg = newLeg({ role: 'analyzer', direction: 'incoming', from: options.symblNumber, to: options.conferenceNumber, state: 'parked', clientState: null });
      connection.leg = leg.id;
      connection.status = 'connected';
      emitCall(leg, 'call.initiated', { direction: 'incoming', state: 'parked' });
      return leg;
    },

    /** The analyzer keys its DTMF code once its leg is answered. */
    analyzerKeysCode(leg: WorldLeg): void {
      const connection = [...connections.values()].find((c) => c.leg === leg.id);
      leg.farEndDone = true;
      if (connection) press(leg, connection.dtmf);
    },

    press,

    /** The customer says something the analyzer hears (while its leg is in the conference). */
    say(text: string, score: number): void {
      said.push({ id: `m-${said.length}-${randomUUID().slice(0, 8)}`, text, score, atMs: tick() });
    },

    hangup(leg: WorldLeg): void {
      endLeg(leg, 'normal_clearing');
    },

    /** The menu's gather runs out of time. */
    gatherTimesOut(leg: WorldLeg): void {
      const gather = leg.gather;
      if (gather) finishGather(leg, gather.digits === '' ? 'timeout' : 'invalid');
    },

    operatorAnswers(leg: WorldLeg): void {
      leg.farEndDone = true;
      if (leg.state !== 'bridging') return;
      leg.state = 'answered';
      emitCall(leg, 'call.answered', { state: 'answered' });
      const conference = leg.pendingConference ? conferences.get(leg.pendingConference) : undefined;
      leg.pendingConference = undefined;
      if (conference && conference.status === 'in_progress') join(conference, leg, false);
    },

    operatorDoesNotAnswer(leg: WorldLeg): void {
      leg.farEndDone = true;
      if (leg.state === 'bridging') endLeg(leg, 'timeout');
    },

    /** Dials actually executed (a repeated command_id is not a second dial; a lost response is). */
    dials(): WorldRequest[] {
      return requests.filter((r) => r.kind === 'dial' && r.outcome === 'executed');
    },
  };
}
