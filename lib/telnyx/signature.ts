import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { SignatureError } from '../errors.js';

/** Telnyx's fixed tolerance between the signed timestamp and our clock. */
export const signatureToleranceSeconds = 300;

// DER prefix that turns a raw 32-byte Ed25519 key into SubjectPublicKeyInfo.
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');

/** Imports Telnyx's public key as shown in the portal: base64 of the raw 32-byte Ed25519 key. */
export function importTelnyxPublicKey(base64: string): KeyObject {
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== 32) throw new Error('A Telnyx public key is the base64 of 32 raw Ed25519 bytes');
  return createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki' });
}

export interface SignatureInput {
  /** The exact bytes Telnyx sent, already base64-decoded when API Gateway encoded them. */
  readonly rawBody: string;
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly nowSeconds: number;
}

function header(headers: SignatureInput['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/**
 * Verifies a Telnyx webhook: Ed25519 over `${telnyx-timestamp}|${rawBody}`, timestamp within
 * ±300 s of `nowSeconds`. Throws SignatureError with what was wrong; returns nothing.
 */
export function verifyTelnyxSignature(key: KeyObject, input: SignatureInput): void {
  const signature = header(input.headers, 'telnyx-signature-ed25519');
  const timestamp = header(input.headers, 'telnyx-timestamp');
  if (!signature || !timestamp) throw new SignatureError('Missing telnyx-signature-ed25519 or telnyx-timestamp header');
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureError('telnyx-timestamp is not a Unix time in seconds');
  const skew = Math.abs(input.nowSeconds - Number(timestamp));
  if (skew > signatureToleranceSeconds) throw new SignatureError(`Webhook timestamp is ${skew} s away from now (limit ${signatureToleranceSeconds} s)`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) throw new SignatureError('telnyx-signature-ed25519 is not base64');
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length !== 64) throw new SignatureError('telnyx-signature-ed25519 is not a 64-byte Ed25519 signature');
  const valid = verify(null, Buffer.from(`${timestamp}|${input.rawBody}`, 'utf8'), key, bytes);
  if (!valid) throw new SignatureError('Webhook signature does not match');
}
