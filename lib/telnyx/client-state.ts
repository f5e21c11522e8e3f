import type { LegTag, Role } from '../core/model.js';

/**
 * A leg's tag on the wire: Telnyx's `client_state`, base64 of compact JSON
 * (`{ r: role, s: session, a: attempt, n: round }`), echoed on that leg's later webhooks.
 */
export function encodeClientState(tag: LegTag): string {
  const compact: Record<string, string | number> = { r: tag.role };
  if (tag.sessionId !== undefined) compact.s = tag.sessionId;
  if (tag.attempt !== undefined) compact.a = tag.attempt;
  if (tag.round !== undefined) compact.n = tag.round;
  return Buffer.from(JSON.stringify(compact), 'utf8').toString('base64');
}

const roles: readonly Role[] = ['customer', 'analyzer', 'operator'];

/** Decodes our own client_state; anything else (absent, foreign, malformed) is undefined. */
export function decodeClientState(encoded: string | null | undefined): LegTag | undefined {
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
