import { callDetail, callSummary } from '../core/call-views.js';
import type { PolicySettings } from '../core/model.js';
import type { Log } from '../log.js';
import type { CallRecords, IndexPosition } from '../store/call-records.js';

/** A read request, as the HTTP API hands it over (query strings and the path's `sessionId`). */
export interface CallsRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
}

export interface CallsResponse {
  readonly status: number;
  readonly body: string;
}

export interface CallsApiDeps {
  readonly records: CallRecords;
  readonly policy: PolicySettings;
  readonly shadowPolicy?: PolicySettings;
  readonly log: Log;
}

const json = (status: number, body: object): CallsResponse => ({ status, body: JSON.stringify(body) });

/** A request the API refuses, naming what was wrong. */
class Refusal extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

const defaultLimit = 25;
const maxLimit = 100;
const sessionIdPattern = /^\d{10}$/;

/** The opaque `cursor`: base64url JSON of where the page ended, with the status it lists (a cursor of the other list is not valid). */
function encodeCursor(status: string, position: IndexPosition): string {
  return Buffer.from(JSON.stringify({ s: status, p: position.pk, k: position.gsi1sk }), 'utf8').toString('base64url');
}

function decodeCursor(status: 'live' | 'ended', cursor: string): IndexPosition {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const { s, p, k } = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const ours = s === status && typeof p === 'string' && /^S#\d{10}$/.test(p) && typeof k === 'string' && /^\d{15}#\d{10}$/.test(k);
  if (!ours) throw new Refusal(400, `cursor is not one this API gave for status=${status}`);
  return { pk: p as string, gsi1pk: status, gsi1sk: k as string };
}

function listQuery(query: CallsRequest['query']): { status: 'live' | 'ended'; limit: number; cursor: string | undefined } {
  const known = new Set(['status', 'limit', 'cursor']);
  const unknown = Object.keys(query).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Refusal(400, `unknown query parameter ${unknown.join(', ')} (status, limit and cursor are known)`);
  const status = query.status ?? 'live';
  if (status !== 'live' && status !== 'ended') throw new Refusal(400, 'status must be live or ended');
  const limitText = query.limit ?? String(defaultLimit);
  const limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : Number.NaN;
  if (!(limit >= 1 && limit <= maxLimit)) throw new Refusal(400, `limit must be a whole number from 1 to ${maxLimit}`);
  const cursor = query.cursor;
  if (cursor !== undefined && (cursor === '' || cursor.length > 500)) throw new Refusal(400, 'cursor is not one this API gave');
  return { status, limit, cursor };
}

/**
 * The call record API: `GET /calls` (a page of live or ended calls, newest first) and
 * `GET /calls/{sessionId}` (one call's transcript, escalation and timeline). Bad input is a 400
 * naming the parameter, an unknown call a 404; nothing is ever answered with a stack trace.
 */
export function createCallsApi(deps: CallsApiDeps) {
  async function list(query: CallsRequest['query']): Promise<CallsResponse> {
    const { status, limit, cursor } = listQuery(query);
    const after = cursor === undefined ? undefined : decodeCursor(status, cursor);
    const page = await deps.records.listCalls(status, limit, after);
    return json(200, { calls: page.sessions.map(callSummary), ...(page.next ? { cursor: encodeCursor(status, page.next) } : {}) });
  }

  async function one(sessionId: string): Promise<CallsResponse> {
    if (!sessionIdPattern.test(sessionId)) throw new Refusal(400, 'sessionId must be a ten-digit session id');
    const found = await deps.records.getCall(sessionId);
    if (!found) throw new Refusal(404, `no call ${sessionId}`);
    return json(200, callDetail(found.session, found.timeline, deps.policy, deps.shadowPolicy));
  }

  return async function handle(request: CallsRequest): Promise<CallsResponse> {
    try {
      const path = request.path.replace(/\/+$/, '');
      if (path === '/calls') return await list(request.query);
      const match = /^\/calls\/([^/]+)$/.exec(path);
      if (match) return await one(decodeURIComponent(match[1]!));
      throw new Refusal(404, 'no such resource');
    } catch (error) {
      if (error instanceof Refusal) return json(error.status, { error: error.message });
      deps.log.error('calls API failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      return json(500, { error: 'internal error' });
    }
  };
}

export type CallsApi = ReturnType<typeof createCallsApi>;
