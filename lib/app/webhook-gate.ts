import type { KeyObject } from 'node:crypto';
import { AppError, BadRequestError, PayloadTooLargeError } from '../errors.js';
import type { Log } from '../log.js';
import { parseSetting } from '../settings/table.js';
import { importTelnyxPublicKey, verifyTelnyxSignature } from '../telnyx/signature.js';

export interface WebhookRequest {
  /** As received; `isBase64Encoded` says whether to decode it first. */
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface WebhookResponse {
  readonly status: number;
  readonly body: string;
}

/** Telnyx webhooks are a few KB; anything far larger is refused before parsing. */
export const maxBodyBytes = 64 * 1024;

export const json = (status: number, body: object): WebhookResponse => ({ status, body: JSON.stringify(body) });

/** Maps an error to its one HTTP answer: the product's errors by their status, anything else 500, never a stack trace. */
export function errorResponse(error: unknown, log: Log): WebhookResponse {
  if (error instanceof AppError) {
    const level = error.status >= 500 ? 'error' : 'warn';
    log[level]('webhook rejected', { status: error.status, error: error.message });
    return json(error.status, { error: error.status >= 500 ? 'temporarily unavailable' : error.message });
  }
  log.error('webhook failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
  return json(500, { error: 'internal error' });
}

export interface WebhookGateDeps {
  /** Undefined only when signature checks are explicitly turned off (local use). */
  readonly publicKey: KeyObject | undefined;
  readonly nowMs: () => number;
  readonly log: Log;
}

/** The gate's answer: the verified raw body, or the response that refuses it. */
export type GateResult = { readonly rawBody: string } | { readonly response: WebhookResponse };

/**
 * What every request meets first, before anything is loaded or any network is touched: the body
 * decoded and bounded, its Ed25519 signature checked. A forged, stale or unsigned request costs
 * one signature check and is refused with 401; a too large one 413; an empty one 400.
 */
export function createWebhookGate(deps: WebhookGateDeps): (request: WebhookRequest) => GateResult {
  return (request) => {
    try {
      const body = request.body ?? '';
      if (body.length > maxBodyBytes * 2) throw new PayloadTooLargeError(`Body over ${maxBodyBytes} bytes`);
      const rawBody = request.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
      if (Buffer.byteLength(rawBody, 'utf8') > maxBodyBytes) throw new PayloadTooLargeError(`Body over ${maxBodyBytes} bytes`);
      if (rawBody.length === 0) throw new BadRequestError('Empty body');
      if (deps.publicKey) verifyTelnyxSignature(deps.publicKey, { rawBody, headers: request.headers, nowSeconds: Math.floor(deps.nowMs() / 1000) });
      return { rawBody };
    } catch (error) {
      return { response: errorResponse(error, deps.log) };
    }
  };
}

/**
 * The gate's key from the environment alone (the public key is a plain setting, not a secret),
 * so a cold start refuses a forged request before reading any secret. Undefined only when
 * `UNSAFE_SKIP_SIGNATURE_CHECK` says so; a missing or malformed key throws.
 */
export function gateKeyFromEnvironment(env: Readonly<Record<string, string | undefined>>): KeyObject | undefined {
  const skip = parseSetting('UNSAFE_SKIP_SIGNATURE_CHECK', env.UNSAFE_SKIP_SIGNATURE_CHECK);
  if (skip.value === true) return undefined;
  return importTelnyxPublicKey(env.TELNYX_PUBLIC_KEY ?? '');
}
