import type { KeyObject } from 'node:crypto';
import { route, routeOutcome, type Found, type InboundEvent, type Lookup, type RoutingSettings } from '../core/routing.js';
import { AppError, BadRequestError, PayloadTooLargeError } from '../errors.js';
import type { Log } from '../log.js';
import type { SentimentScorer } from '../sentiment/scorer.js';
import type { AnalyzerCallers, AnalyzerDigits, SessionLookups } from '../store/session-store.js';
import { verifyTelnyxSignature } from '../telnyx/signature.js';
import { parseWebhook } from '../telnyx/webhook-events.js';
import type { CallLoop } from './call-loop.js';

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

export interface WebhookAppDeps {
  readonly loop: CallLoop;
  readonly lookups: SessionLookups;
  readonly digits: AnalyzerDigits;
  readonly callers: AnalyzerCallers;
  readonly log: Log;
  readonly nowMs: () => number;
  /** Undefined only when signature checks are explicitly turned off (local use). */
  readonly publicKey: KeyObject | undefined;
  readonly routing: RoutingSettings;
  /** Scores transcripts when the source is Telnyx transcription. */
  readonly scorer: SentimentScorer | undefined;
}

/** Telnyx webhooks are a few KB; anything far larger is refused before parsing. */
export const maxBodyBytes = 64 * 1024;

const json = (status: number, body: object): WebhookResponse => ({ status, body: JSON.stringify(body) });

/** Look-ups routing asks for before an event can reach its session; at most a few per event. */
const maxLookups = 4;

/**
 * The webhook use case: verify, parse, route (asking the core which look-ups it needs), run the
 * call loop. Maps errors to HTTP in one place: 401 forged, 400 malformed, 413 too large, 200
 * ignored, 5xx worth a redelivery.
 */
export function createWebhookApp(deps: WebhookAppDeps) {
  const { log, loop } = deps;

  function decodeBody(request: WebhookRequest): string {
    const body = request.body ?? '';
    if (body.length > maxBodyBytes * 2) throw new PayloadTooLargeError(`Body over ${maxBodyBytes} bytes`);
    const raw = request.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
    if (Buffer.byteLength(raw, 'utf8') > maxBodyBytes) throw new PayloadTooLargeError(`Body over ${maxBodyBytes} bytes`);
    if (raw.length === 0) throw new BadRequestError('Empty body');
    return raw;
  }

  async function lookUp(lookup: Lookup): Promise<Found> {
    switch (lookup.kind) {
      case 'leg':
        return { leg: (await deps.lookups.findByLeg(lookup.callControlId)) ?? null };
      case 'conference':
        return { conference: (await deps.lookups.findByConference(lookup.conferenceId)) ?? null };
      case 'analyzer-digit':
        return { digits: await deps.digits.addAnalyzerDigit(lookup.callControlId, lookup.digit) };
      case 'score':
        return { score: deps.scorer ? deps.scorer.score(lookup.text) : 0 };
      case 'caller':
        return { analyzerCaller: await deps.callers.isAnalyzerCaller(lookup.callerKey) };
    }
  }

  async function handleEvent(event: InboundEvent): Promise<string> {
    let found: Found = {};
    for (let n = 0; ; n++) {
      const routed = route(event, found, deps.routing, deps.nowMs());
      switch (routed.kind) {
        case 'look-up':
          if (n >= maxLookups) throw new BadRequestError('Event needs too many look-ups');
          found = { ...found, ...(await lookUp(routed.lookup)) };
          continue;
        case 'ignore':
          return routed.outcome;
        case 'leg':
          await loop.runLoose(routed.commands);
          log.info(routed.note, { callControlId: 'callControlId' in event ? event.callControlId : undefined });
          return routed.outcome;
        case 'start':
          for (const candidate of routed.candidates) {
            const outcome = await loop.start(candidate, routed.event);
            if (outcome !== 'taken') {
              log.info('customer call', { sessionId: candidate.id, from: candidate.customer.fromMasked, outcome });
              return outcome;
            }
          }
          throw new BadRequestError('No free session id for this call');
        case 'session': {
          const outcome = await loop.apply(routed.sessionId, routed.event);
          if (outcome === 'no-session' && routed.orphan) {
            log.warn(routed.orphan.note, { callControlId: 'callControlId' in event ? event.callControlId : undefined });
            await loop.runLoose(routed.orphan.commands);
          }
          return routeOutcome(routed.label, outcome);
        }
      }
    }
  }

  return async function handle(request: WebhookRequest): Promise<WebhookResponse> {
    try {
      const rawBody = decodeBody(request);
      if (deps.publicKey) {
        verifyTelnyxSignature(deps.publicKey, { rawBody, headers: request.headers, nowSeconds: Math.floor(deps.nowMs() / 1000) });
      }
      const event = parseWebhook(rawBody);
      const outcome = await handleEvent(event);
      log.info('webhook handled', {
        eventId: event.id,
        eventType: event.type === 'ignored' ? event.eventType : event.type,
        callControlId: 'callControlId' in event ? event.callControlId : undefined,
        outcome,
      });
      return json(200, { outcome });
    } catch (error) {
      if (error instanceof AppError) {
        const level = error.status >= 500 ? 'error' : 'warn';
        log[level]('webhook rejected', { status: error.status, error: error.message });
        return json(error.status, { error: error.status >= 500 ? 'temporarily unavailable' : error.message });
      }
      log.error('webhook failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      return json(500, { error: 'internal error' });
    }
  };
}

export type WebhookApp = ReturnType<typeof createWebhookApp>;
