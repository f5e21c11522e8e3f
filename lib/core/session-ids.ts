import { createHash } from 'node:crypto';

/**
 * Session ids for a customer's call: ten digits (the analyzer dials the id as its DTMF code),
 * derived from the call's id so a redelivered `call.initiated` finds the same session. On the
 * rare collision with another live session the next candidate is used.
 */
export function* sessionIdCandidates(callControlId: string, count = 5): Generator<string> {
  for (let n = 0; n < count; n++) {
    const digest = createHash('sha256').update(`${callControlId}#${n}`).digest();
    // 40 bits give 10 decimal digits with little bias.
    const value = digest.readUIntBE(0, 5) % 10_000_000_000;
    yield value.toString().padStart(10, '0');
  }
}
