import type { Role } from './model.js';

/**
 * What we put in Telnyx `client_state`: the session and the leg's role, so later webhooks
 * find their session without a look-up. It comes back from the wire, so it is a routing
 * hint only; the session's stored legs decide whether it is believed.
 */
export interface ClientState {
  readonly sessionId?: string;
  readonly role: Role;
  /** Operator legs: which attempt of which escalation round dialed them. */
  readonly attempt?: number;
  readonly round?: number;
}

export function encodeClientState(state: ClientState): string {
  const compact: Record<string, string | number> = { r: state.role };
  if (state.sessionId !== undefined) compact.s = state.sessionId;
  if (state.attempt !== undefined) compact.a = state.attempt;
  if (state.round !== undefined) compact.n = state.round;
  return Buffer.from(JSON.stringify(compact), 'utf8').toString('base64');
}

const roles: readonly Role[] = ['customer', 'analyzer', 'operator'];

/** Decodes our own client_state; anything else (absent, foreign, malformed) is undefined. */
export function decodeClientState(encoded: string | null | undefined): ClientState | undefined {
  if (!encoded || encoded.length > 512) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { r, s, a, n } = raw as Record<string, unknown>;
  if (typeof r !== 'string' || !roles.includes(r as Role)) return undefined;
  if (s !== undefined && (typeof s !== 'string' || !/^\d{10}$/.test(s))) return undefined;
  const isIndex = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 0 && (v as number) < 100);
  if (!isIndex(a) || !isIndex(n)) return undefined;
  return {
    role: r as Role,
    ...(s !== undefined ? { sessionId: s as string } : {}),
    ...(a !== undefined ? { attempt: a as number } : {}),
    ...(n !== undefined ? { round: n as number } : {}),
  };
}
