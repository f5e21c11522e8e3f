/**
 * Telnyx webhook signing, as the simulators and tests need it: an Ed25519 key pair whose public
 * half is in the portal's format (base64 of the raw 32-byte key, not PEM), and the headers
 * Telnyx sends, signing `${timestamp}|${rawBody}`.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface WebhookKeyPair {
  readonly privateKey: KeyObject;
  /** Base64 of the raw 32-byte public key: what `TELNYX_PUBLIC_KEY` holds. */
  readonly publicKeyBase64: string;
}

export function generateWebhookKeyPair(): WebhookKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('Ed25519 key export failed');
  return { privateKey, publicKeyBase64: Buffer.from(jwk.x, 'base64url').toString('base64') };
}

/**
 * The headers of a Telnyx webhook carrying `rawBody`. The timestamp is Unix seconds; a string
 * is signed as given (for tests of malformed timestamps).
 */
export function signedHeaders(privateKey: KeyObject, rawBody: string, timestampSeconds: number | string): Record<string, string> {
  const timestamp = String(timestampSeconds);
  return {
    'content-type': 'application/json',
    'user-agent': 'telnyx-webhooks',
    'telnyx-signature-ed25519': sign(null, Buffer.from(`${timestamp}|${rawBody}`, 'utf8'), privateKey).toString('base64'),
    'telnyx-timestamp': timestamp,
  };
}
