/**
 * An HTTP-level stand-in for the three Symbl REST calls the product uses: token, telephony
 * `endpoint:connect` start/stop, and conversation messages with sentiment. Starting a PSTN
 * endpoint makes a simulated Symbl leg call our number through the Telnyx simulator and key in
 * its DTMF code; messages appear on a script's timeline once that leg is in a conference.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimAudio, SimCall, TelnyxSimulator, TelnyxWebhookEvent } from './telnyx-simulator.js';
import { seededRandom, simulatorState, startJsonServer, type HandlerResult, type JsonReply, type JsonRequest } from './runtime.js';

/** One scripted utterance: available `atMs` (scaled) after the Symbl leg joins a conference. */
export interface ScriptLine {
  readonly atMs: number;
  readonly text: string;
  readonly score: number;
}

export interface ConversationInfo {
  readonly conversationId: string;
  readonly connectionId: string;
  readonly dtmf: string;
  readonly phoneNumber: string;
  readonly startBody: unknown;
}

export type SymblFaultKind = 'token' | 'messages' | 'connect';

export interface SymblMessageRecord {
  readonly id: string;
  readonly conversationId: string;
  readonly text: string;
  readonly score: number;
  /** Epoch ms from which the messages API returns it. */
  readonly availableAt: number;
  readonly source: 'script' | 'release' | 'prompt' | 'caller';
}

export interface SymblConnection {
  readonly connectionId: string;
  readonly conversationId: string;
  readonly phoneNumber: string;
  readonly dtmf: string;
  readonly startBody: unknown;
  status: 'dialing' | 'connected' | 'stopped' | 'ended';
  call: SimCall | undefined;
  /** When the Symbl leg first joined a conference (the script's zero). */
  joinedAt: number | undefined;
  stopBody: unknown;
  /** Addresses a `sendSummaryEmail` action on stop would have mailed. */
  summaryEmailsSent: string[];
}

export interface SymblRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly kind: 'token' | 'connect' | 'messages' | 'other';
  readonly body: unknown;
  status: number;
  readonly at: number;
}

export interface SymblSimOptions {
  telnyx: TelnyxSimulator;
  appId: string;
  appSecret: string;
  /** The caller id of the Symbl leg. */
  symblNumber: string;
  timeScale?: number;
  seed?: number;
  /** Prompts spoken into the Symbl leg's conference become messages (score 0). Default true. */
  hearPrompts?: boolean;
  /** `SimCall.say` from another participant becomes a message with its score (default 0). Default true. */
  hearCallers?: boolean;
  /** Delay from start to the Symbl leg calling in, before timeScale. Default 300. */
  connectDelayMs?: number;
  /** Gap between DTMF digits, before timeScale. Default 100. */
  dtmfGapMs?: number;
}

export interface SymblSimulator {
  readonly baseUrl: string;
  readonly requests: readonly SymblRequestRecord[];
  readonly connections: ReadonlyMap<string, SymblConnection>;
  readonly tokenRequests: number;
  readonly errors: readonly unknown[];
  /** Supplies a script per conversation at start; the first callback returning lines wins. */
  onConversation(callback: (info: ConversationInfo) => ScriptLine[] | undefined): () => void;
  /** Adds a message available now; returns its id. */
  release(conversationId: string, text: string, score: number): string;
  availableAt(messageId: string): number | undefined;
  /** Every message of a conversation, released or not yet. */
  messagesOf(conversationId: string): SymblMessageRecord[];
  connectionFor(conversationId: string): SymblConnection | undefined;
  /** Makes every issued token invalid (the next call gets 401). */
  expireTokens(): void;
  failNext(kind: SymblFaultKind, status: 401 | 429 | 500 | 503, count?: number): void;
  /** Adds this many real ms before every response. */
  setLatency(ms: number): void;
  isIdle(): boolean;
  idle(timeoutMs?: number): Promise<void>;
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

const tokenLifetimeSeconds = 86_400;

function suggested(score: number): 'positive' | 'neutral' | 'negative' {
  if (score > 0.3) return 'positive';
  if (score < -0.3) return 'negative';
  return 'neutral';
}

function errorReply(status: number): JsonReply {
  const message = status === 401 ? 'Unauthorized' : status === 429 ? 'Too Many Requests' : status === 503 ? 'Service Unavailable' : 'Internal Server Error';
  return { status, body: { message } };
}

function asBody(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function summaryEmails(body: Record<string, unknown>, invokeOn: string): string[] {
  const actions = Array.isArray(body.actions) ? body.actions : [];
  const emails: string[] = [];
  for (const raw of actions) {
    const action = asBody(raw);
    if (action.name !== 'sendSummaryEmail' || action.invokeOn !== invokeOn) continue;
    const list = asBody(action.parameters).emails;
    if (Array.isArray(list)) for (const e of list) if (typeof e === 'string') emails.push(e);
  }
  return emails;
}

export async function startSymblSimulator(opts: SymblSimOptions): Promise<SymblSimulator> {
  const scale = opts.timeScale ?? 1;
  const ms = (simulatedMs: number): number => simulatedMs * scale;
  const hearPrompts = opts.hearPrompts ?? true;
  const hearCallers = opts.hearCallers ?? true;
  const telnyx = opts.telnyx;

  const state = simulatorState();
  const { changed, errors, recordError, timers } = state;
  let inFlight = 0;
  let latencyMs = 0;
  let tokenRequests = 0;

  const validTokens = new Map<string, number>(); // token → expiry epoch ms
  let currentToken: string | undefined;
  const failQueue = new Map<SymblFaultKind, number[]>();
  const requests: SymblRequestRecord[] = [];
  const connections = new Map<string, SymblConnection>();
  const byConversation = new Map<string, SymblConnection>();
  const byCallControlId = new Map<string, SymblConnection>();
  const messages = new Map<string, SymblMessageRecord[]>();
  const messageIndex = new Map<string, SymblMessageRecord>();
  const pendingScripts = new Map<string, ScriptLine[]>();
  const connectTimers = new Map<string, NodeJS.Timeout>();
  const scriptCallbacks = new Set<(info: ConversationInfo) => ScriptLine[] | undefined>();
  const conversationStart = new Map<string, number>();

  const random = seededRandom(opts.seed ?? 1);
  /** Symbl ids are long digit strings. */
  function digitId(): string {
    let id = String(1 + Math.floor(random() * 9));
    while (id.length < 16) id += String(Math.floor(random() * 10));
    return id;
  }

  function addMessage(conversationId: string, text: string, score: number, availableAt: number, source: SymblMessageRecord['source']): string {
    const record: SymblMessageRecord = { id: digitId(), conversationId, text, score, availableAt, source };
    const list = messages.get(conversationId) ?? [];
    messages.set(conversationId, list);
    list.push(record);
    list.sort((a, b) => a.availableAt - b.availableAt);
    messageIndex.set(record.id, record);
    changed();
    return record.id;
  }

  /** A call that ended drops whatever its script had not said yet. */
  function dropFuture(conversationId: string): void {
    const list = messages.get(conversationId);
    if (!list) return;
    const now = Date.now();
    const kept = list.filter((m) => m.availableAt <= now);
    for (const m of list) if (m.availableAt > now) messageIndex.delete(m.id);
    messages.set(conversationId, kept);
    pendingScripts.delete(conversationId);
  }

  function messageView(m: SymblMessageRecord, withSentiment: boolean): Record<string, unknown> {
    const words = m.text.split(/\s+/).filter(Boolean).length;
    const durationSec = Math.max(1, Math.round(words * 0.4));
    const start = conversationStart.get(m.conversationId) ?? m.availableAt;
    return {
      id: m.id,
      text: m.text,
      from: {},
      startTime: new Date(m.availableAt - durationSec * 1000).toISOString(),
      endTime: new Date(m.availableAt).toISOString(),
      timeOffset: Math.max(0, Math.round((m.availableAt - durationSec * 1000 - start) / 100) / 10),
      duration: durationSec,
      conversationId: m.conversationId,
      phrases: [],
      ...(withSentiment ? { sentiment: { polarity: { score: m.score }, suggested: suggested(m.score) } } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // The Symbl leg, as seen through the Telnyx simulator

  function onTelnyxEvent(event: TelnyxWebhookEvent): void {
    const callControlId = event.payload.call_control_id;
    if (typeof callControlId !== 'string') return;
    const connection = byCallControlId.get(callControlId);
    if (!connection) return;
    switch (event.event_type) {
      case 'call.answered':
        if (connection.status === 'dialing') {
          connection.status = 'connected';
          connection.call?.press(connection.dtmf, opts.dtmfGapMs ?? 100).catch(recordError);
        }
        break;
      case 'conference.participant.joined':
        if (connection.joinedAt === undefined && connection.status === 'connected') {
          const now = Date.now();
          connection.joinedAt = now;
          conversationStart.set(connection.conversationId, now);
          for (const line of pendingScripts.get(connection.conversationId) ?? []) {
            addMessage(connection.conversationId, line.text, line.score, now + ms(line.atMs), 'script');
          }
          pendingScripts.delete(connection.conversationId);
        }
        break;
      case 'call.hangup':
        if (connection.status === 'dialing' || connection.status === 'connected') connection.status = 'ended';
        dropFuture(connection.conversationId);
        break;
      default:
        break;
    }
    changed();
  }

  function onTelnyxAudio(audio: SimAudio): void {
    if (audio.conferenceId === undefined) return;
    for (const connection of connections.values()) {
      const call = connection.call;
      if (connection.status !== 'connected' || !call || call.conferenceId !== audio.conferenceId) continue;
      if (audio.kind === 'tts') {
        if (!hearPrompts) continue;
        if (audio.via === 'conference' && !audio.callControlIds.includes(call.callControlId)) continue;
        addMessage(connection.conversationId, audio.text, 0, Date.now(), 'prompt');
      } else {
        if (!hearCallers || audio.muted || audio.callControlIds.includes(call.callControlId)) continue;
        addMessage(connection.conversationId, audio.text, audio.score ?? 0, Date.now(), 'caller');
      }
    }
  }

  const unsubscribe = [telnyx.onEvent(onTelnyxEvent), telnyx.onAudio(onTelnyxAudio)];

  function startConnection(body: Record<string, unknown>): JsonReply {
    const endpoint = asBody(body.endpoint);
    if (endpoint.type !== 'pstn') return { status: 400, body: { message: "endpoint.type must be 'pstn' in this simulator" } };
    const phoneNumber = endpoint.phoneNumber;
    if (typeof phoneNumber !== 'string' || !/^\d{7,15}$/.test(phoneNumber)) {
      return { status: 400, body: { message: 'endpoint.phoneNumber must be digits with country code and no +' } };
    }
    const dtmf = typeof endpoint.dtmf === 'string' ? endpoint.dtmf : '';
    if (!/^[0-9*#,]*$/.test(dtmf)) return { status: 400, body: { message: 'endpoint.dtmf may hold only digits, *, # and ,' } };
    const connectionId = randomUUID();
    const conversationId = digitId();
    const connection: SymblConnection = {
      connectionId,
      conversationId,
      phoneNumber,
      dtmf,
      startBody: body,
      status: 'dialing',
      call: undefined,
      joinedAt: undefined,
      stopBody: undefined,
      summaryEmailsSent: [],
    };
    connections.set(connectionId, connection);
    byConversation.set(conversationId, connection);
    messages.set(conversationId, []);
    const info: ConversationInfo = { conversationId, connectionId, dtmf, phoneNumber, startBody: body };
    for (const callback of scriptCallbacks) {
      const lines = callback(info);
      if (lines) {
        pendingScripts.set(conversationId, [...lines]);
        break;
      }
    }
    const timer = timers.after(ms(opts.connectDelayMs ?? 300), () => {
      connectTimers.delete(connectionId);
      if (connection.status !== 'dialing') return;
      const call = telnyx.placeInboundCall({ from: opts.symblNumber, to: `+${phoneNumber}` });
      connection.call = call;
      byCallControlId.set(call.callControlId, connection);
    });
    if (timer) connectTimers.set(connectionId, timer);
    const base = `http://127.0.0.1:${port}`;
    return {
      status: 201,
      body: { eventUrl: `${base}/v1/event/${connectionId}`, resultWebSocketUrl: `ws://127.0.0.1:${port}/events/${connectionId}`, connectionId, conversationId },
    };
  }

  function stopConnection(body: Record<string, unknown>): JsonReply {
    const connectionId = body.connectionId;
    const connection = typeof connectionId === 'string' ? connections.get(connectionId) : undefined;
    if (!connection) return { status: 404, body: { message: 'connectionId not found' } };
    if (connection.status === 'dialing' || connection.status === 'connected') {
      timers.cancel(connectTimers.get(connection.connectionId));
      connectTimers.delete(connection.connectionId);
      connection.status = 'stopped';
      connection.stopBody = body;
      connection.summaryEmailsSent.push(...summaryEmails(asBody(connection.startBody), 'stop'));
      dropFuture(connection.conversationId);
      if (connection.call && connection.call.state !== 'hangup') connection.call.hangup();
    }
    return { status: 200, body: { connectionId: connection.connectionId, conversationId: connection.conversationId } };
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  function takeFault(kind: SymblFaultKind): number | undefined {
    const queue = failQueue.get(kind);
    return queue && queue.length > 0 ? queue.shift() : undefined;
  }

  function authorized(req: JsonRequest): boolean {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const legacy = req.headers['x-api-key'];
    const token = bearer ?? (typeof legacy === 'string' ? legacy : undefined);
    if (!token) return false;
    const expiry = validTokens.get(token);
    return expiry !== undefined && expiry > Date.now();
  }

  function route(req: JsonRequest): { kind: SymblRequestRecord['kind']; run: () => JsonReply } {
    const body = asBody(req.body);
    if (req.method === 'POST' && req.path === '/oauth2/token:generate') {
      return {
        kind: 'token',
        run: () => {
          tokenRequests++;
          const fault = takeFault('token');
          if (fault !== undefined) return errorReply(fault);
          if (body.type !== 'application' || body.appId !== opts.appId || body.appSecret !== opts.appSecret) return errorReply(401);
          const now = Date.now();
          // Symbl hands back the same token while it is valid, with the remaining lifetime.
          const expiry = currentToken ? validTokens.get(currentToken) : undefined;
          if (!currentToken || expiry === undefined || expiry <= now) {
            currentToken = randomBytes(32).toString('base64url');
            validTokens.set(currentToken, now + tokenLifetimeSeconds * 1000);
          }
          const remaining = Math.floor(((validTokens.get(currentToken) ?? now) - now) / 1000);
          return { status: 200, body: { accessToken: currentToken, expiresIn: remaining } };
        },
      };
    }
    if (req.method === 'POST' && req.path === '/v1/endpoint:connect') {
      return {
        kind: 'connect',
        run: () => {
          if (!authorized(req)) return errorReply(401);
          const fault = takeFault('connect');
          if (fault !== undefined) return errorReply(fault);
          if (body.operation === 'start') return startConnection(body);
          if (body.operation === 'stop') return stopConnection(body);
          return { status: 400, body: { message: "operation must be 'start' or 'stop'" } };
        },
      };
    }
    const match = /^\/v1\/conversations\/([^/]+)\/messages$/.exec(req.path);
    if (req.method === 'GET' && match?.[1] !== undefined) {
      const conversationId = decodeURIComponent(match[1]);
      return {
        kind: 'messages',
        run: () => {
          if (!authorized(req)) return errorReply(401);
          const fault = takeFault('messages');
          if (fault !== undefined) return errorReply(fault);
          const list = messages.get(conversationId);
          if (!list) return { status: 404, body: { message: 'Conversation not found' } };
          const now = Date.now();
          const withSentiment = req.query.get('sentiment') === 'true';
          return { status: 200, body: { messages: list.filter((m) => m.availableAt <= now).map((m) => messageView(m, withSentiment)) } };
        },
      };
    }
    return { kind: 'other', run: () => ({ status: 404, body: { message: `${req.method} ${req.path} is not simulated` } }) };
  }

  async function handle(req: JsonRequest): Promise<HandlerResult> {
    const { kind, run } = route(req);
    const record: SymblRequestRecord = { method: req.method, path: req.path, kind, body: req.body, status: 0, at: Date.now() };
    requests.push(record);
    inFlight++;
    try {
      if (latencyMs > 0) await timers.sleep(latencyMs);
      const reply = run();
      record.status = reply.status;
      return reply;
    } finally {
      inFlight--;
      changed();
    }
  }

  const server = await startJsonServer(handle, recordError);
  const port = server.port;
  const isIdle = (): boolean => inFlight === 0 && timers.shortPending() === 0;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    connections,
    get tokenRequests() {
      return tokenRequests;
    },
    errors,
    onConversation: (callback) => {
      scriptCallbacks.add(callback);
      return () => scriptCallbacks.delete(callback);
    },
    release: (conversationId, text, score) => addMessage(conversationId, text, score, Date.now(), 'release'),
    availableAt: (messageId) => messageIndex.get(messageId)?.availableAt,
    messagesOf: (conversationId) => [...(messages.get(conversationId) ?? [])],
    connectionFor: (conversationId) => byConversation.get(conversationId),
    expireTokens: () => {
      validTokens.clear();
      currentToken = undefined;
    },
    failNext: (kind, status, count = 1) => {
      const queue = failQueue.get(kind) ?? [];
      for (let i = 0; i < count; i++) queue.push(status);
      failQueue.set(kind, queue);
    },
    setLatency: (value) => {
      latencyMs = Math.max(0, value);
    },
    ...state.controls(isIdle, async () => {
      for (const off of unsubscribe) off();
      await server.close();
    }),
  };
}
