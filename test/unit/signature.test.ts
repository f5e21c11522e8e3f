import type { KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import Telnyx from 'telnyx';
import { SignatureError } from '../../lib/errors.js';
import { importTelnyxPublicKey, verifyTelnyxSignature } from '../../lib/telnyx/signature.js';
import { generateWebhookKeyPair, signedHeaders } from '../../local/sim/webhook-signer.js';

let privateKey: KeyObject;
let publicKeyBase64: string;
let key: KeyObject;
const now = 1_750_000_000;
const body = JSON.stringify({ data: { event_type: 'call.answered', id: 'abc', payload: { call_control_id: 'v3:x' } } });

const signed = (payload: string, timestamp: number | string, signer = privateKey) => signedHeaders(signer, payload, timestamp)['telnyx-signature-ed25519']!;

beforeAll(() => {
  // The portal shows the raw 32-byte key in base64, which is what the pair gives.
  ({ privateKey, publicKeyBase64 } = generateWebhookKeyPair());
  key = importTelnyxPublicKey(publicKeyBase64);
});

const headers = (signature: string, timestamp: number | string) => ({ 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': String(timestamp) });

describe('Telnyx webhook signatures', () => {
  it('accepts a valid signature, headers in any case', () => {
    expect(() =>
      verifyTelnyxSignature(key, { rawBody: body, headers: { 'Telnyx-Signature-Ed25519': signed(body, now), 'TELNYX-TIMESTAMP': String(now) }, nowSeconds: now }),
    ).not.toThrow();
  });

  it.each([
    ['tampered body', () => ({ rawBody: body.replace('abc', 'abd'), headers: headers(signed(body, now), now), nowSeconds: now }), /does not match/],
    ['tampered timestamp', () => ({ rawBody: body, headers: headers(signed(body, now), now + 1), nowSeconds: now }), /does not match/],
    ['stale (301 s old)', () => ({ rawBody: body, headers: headers(signed(body, now - 301), now - 301), nowSeconds: now }), /301 s away/],
    ['future (301 s ahead)', () => ({ rawBody: body, headers: headers(signed(body, now + 301), now + 301), nowSeconds: now }), /301 s away/],
    ['missing signature', () => ({ rawBody: body, headers: { 'telnyx-timestamp': String(now) }, nowSeconds: now }), /Missing/],
    ['missing timestamp', () => ({ rawBody: body, headers: { 'telnyx-signature-ed25519': signed(body, now) }, nowSeconds: now }), /Missing/],
    ['non-numeric timestamp', () => ({ rawBody: body, headers: headers(signed(body, now), `${now}x`), nowSeconds: now }), /Unix time/],
    ['signature of the wrong length', () => ({ rawBody: body, headers: headers('AAAA', now), nowSeconds: now }), /64-byte/],
    [
      'wrong key',
      () => ({ rawBody: body, headers: headers(signed(body, now, generateWebhookKeyPair().privateKey), now), nowSeconds: now }),
      /does not match/,
    ],
  ])('rejects %s', (_name, input, message) => {
    expect(() => verifyTelnyxSignature(key, input())).toThrow(SignatureError);
    expect(() => verifyTelnyxSignature(key, input())).toThrow(message);
  });

  it('accepts exactly 300 s of skew either way', () => {
    for (const ts of [now - 300, now + 300]) {
      expect(() => verifyTelnyxSignature(key, { rawBody: body, headers: headers(signed(body, ts), ts), nowSeconds: now })).not.toThrow();
    }
  });

  it('verifies the raw bytes of a body API Gateway base64-encoded (non-ASCII kept)', () => {
    const unicode = JSON.stringify({ data: { note: 'café ☕' } });
    const encoded = Buffer.from(unicode, 'utf8').toString('base64');
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    expect(() => verifyTelnyxSignature(key, { rawBody: decoded, headers: headers(signed(unicode, now), now), nowSeconds: now })).not.toThrow();
    expect(() => verifyTelnyxSignature(key, { rawBody: encoded, headers: headers(signed(unicode, now), now), nowSeconds: now })).toThrow(SignatureError);
  });

  it('agrees with the telnyx SDK’s own verifier on the same key and body', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const client = new Telnyx({ apiKey: 'unused', publicKey: publicKeyBase64 });
    const event = await client.webhooks.unwrap(body, { headers: headers(signed(body, ts), ts) });
    expect(event).toMatchObject({ data: { id: 'abc' } });
    expect(() => verifyTelnyxSignature(key, { rawBody: body, headers: headers(signed(body, ts), ts), nowSeconds: ts })).not.toThrow();
  });

  it('refuses a key that is not 32 raw bytes (PEM, say)', () => {
    expect(() => importTelnyxPublicKey(Buffer.from('-----BEGIN PUBLIC KEY-----').toString('base64'))).toThrow(/32 raw/);
  });
});
