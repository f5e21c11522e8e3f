/**
 * Where the Telnyx model's ids come from: injected, so a seeded source replays a run exactly.
 */
import { seededRandom } from './runtime.js';

export type IdKind = 'call_control_id' | 'call_leg_id' | 'call_session_id' | 'conference_id' | 'event_id';

/** A new id of the given kind: call_control_ids look like `v3:<base64url>`, the others are UUIDs. */
export type IdSource = (kind: IdKind) => string;

/** UUID-shaped strings (version 4 bits set) from 16 bytes. */
export function uuidFromBytes(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Buffer.from(b).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A deterministic id source: the same seed gives the same ids in the same order. */
export function seededIds(seed: number): { readonly next: IdSource; uuid(): string } {
  const random = seededRandom(seed);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const uuid = (): string => uuidFromBytes(bytes(16));
  return {
    next: (kind) => (kind === 'call_control_id' ? `v3:${Buffer.from(bytes(27)).toString('base64url')}` : uuid()),
    uuid,
  };
}
