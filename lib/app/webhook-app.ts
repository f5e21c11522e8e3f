import type { KeyObject } from 'node:crypto';
import { route, routeOutcome, type Found, type InboundEvent, type Lookup, type RoutingSettings } from '../core/routing.js';
import { BadRequestError } from '../errors.js';
import type { Log } from '../log.js';
import type { SentimentScorer } from '../sentiment/scorer.js';
import type { AnalyzerCallers, AnalyzerDigits, SessionLookups } from '../store/session-store.js';
import { parseWebhook } from '../telnyx/webhook-events.js';
import type { CallLoop } from './call-loop.js';
import { createWebhookGate, errorResponse, json, type WebhookRequest, type WebhookResponse } from './webhook-gate.js';

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

/** Look-ups routing asks for before an event can reach its session; at most a few per event. */
const maxLookups = 4;

/**
 * The webhook use case: the gate (verify), then parse, route (asking the core which look-ups it
 * needs), run the call loop. `verified` skips the gate, for a handler that ran it already.
 * Errors map to HTTP in one place: 401 forged, 400 malformed, 413 too large, 200 ignored, 5xx
 * worth a redelivery.
 */
export function createWebhookApp(deps: WebhookAppDeps) {
  const { log, loop } = deps;

  const gate = createWebhookGate({ publicKey: deps.publicKey, nowMs: deps.nowMs, log });

  async function lookUp(lookup: Lookup): Promise<Found> {
    switch (lookup.kind) {
      case 'leg':
        return { leg: (await deps.lookups.findByLeg(lookup.callControlId)) ?? null };
      case 'conference':
        return { conference: (await deps.lookups.findByConference(lookup.conferenceId)) ?? null };
      case 'analyzer-digit':
        return { digits: await deps.digits.addAnalyzerDigit(lookup.callControlId, lookup.digit) };
      case 'score':
        return { score: deps.scorer ? await deps.scorer.score(lookup.text) : 0 };
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

  /** A body the gate let through: parse, route, run. */
  async function verified(rawBody: string): Promise<WebhookResponse> {
    try {
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
      return errorResponse(error, log);
    }
  }

  const handle = async (request: WebhookRequest): Promise<WebhookResponse> => {
    const checked = gate(request);
    return 'response' in checked ? checked.response : verified(checked.rawBody);
  };
  return Object.assign(handle, { verified });
}

export type WebhookApp = ReturnType<typeof createWebhookApp>;
