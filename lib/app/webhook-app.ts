import type { KeyObject } from 'node:crypto';
import { codeFromDigits, codeFromGather } from '../core/analyzer-code.js';
import { newSession } from '../core/call-flow.js';
import { encodeClientState } from '../core/client-state.js';
import { stampCommands } from '../core/command-ids.js';
import type { CallEvent, Command, OperatorLegRef } from '../core/model.js';
import { AppError, BadRequestError, PayloadTooLargeError } from '../errors.js';
import { maskPhone, type Log } from '../log.js';
import type { SentimentScorer } from '../sentiment/scorer.js';
import type { SessionStore } from '../store/session-store.js';
import { verifyTelnyxSignature } from '../telnyx/signature.js';
import { parseTelnyxEvent, type TelnyxEvent } from '../telnyx/webhook-events.js';
import { sessionIdCandidates } from './session-ids.js';
import type { CallService, CommandExecutor } from './call-service.js';

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
  readonly service: CallService;
  readonly store: SessionStore;
  readonly executor: CommandExecutor;
  readonly log: Log;
  readonly nowMs: () => number;
  /** Undefined only when signature checks are explicitly turned off (local use). */
  readonly publicKey: KeyObject | undefined;
  readonly analyzerNumbers: readonly string[];
  readonly conferenceNamePrefix: string;
  readonly source: 'symbl' | 'telnyx';
  /** Scores transcripts inline when the source is Telnyx transcription. */
  readonly scorer: SentimentScorer | undefined;
}

/** Telnyx webhooks are a few KB; anything far larger is refused before parsing. */
export const maxBodyBytes = 64 * 1024;

const json = (status: number, body: object): WebhookResponse => ({ status, body: JSON.stringify(body) });

/**
 * The webhook use case: verify, parse, route to the session, apply. Maps errors to HTTP in one
 * place: 401 forged, 400 malformed, 413 too large, 200 ignored, 5xx worth a redelivery.
 */
export function createWebhookApp(deps: WebhookAppDeps) {
  const { log, store, service } = deps;

  function decodeBody(request: WebhookRequest): string {
    const body = request.body ?? '';
    if (body.length > maxBodyBytes * 2) throw new PayloadTooLargeError(`Body over ${maxBodyBytes} bytes`);
    const raw = request.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
    if (Buffer.byteLength(raw, 'utf8') > maxBodyBytes) throw new PayloadTooLargeError(`Body over ${maxBodyBytes} bytes`);
    if (raw.length === 0) throw new BadRequestError('Empty body');
    return raw;
  }

  /** Runs commands that belong to no session yet (the analyzer's leg before it is identified). */
  async function runLoose(eventId: string, commands: Command[]) {
    for (const command of stampCommands(eventId, commands)) await deps.executor.run(command, undefined);
  }

  const sessionOfLeg = async (event: { callControlId: string; clientState: TelnyxEvent['clientState'] }) =>
    event.clientState?.sessionId ?? (await store.findByLeg(event.callControlId))?.sessionId;

  const operatorRef = (event: TelnyxEvent): OperatorLegRef | undefined =>
    event.clientState?.role === 'operator' && event.clientState.attempt !== undefined && event.clientState.round !== undefined
      ? { attempt: event.clientState.attempt, round: event.clientState.round }
      : undefined;

  async function onIncoming(event: Extract<TelnyxEvent, { type: 'call.initiated' }>): Promise<string> {
    if (deps.source === 'symbl' && deps.analyzerNumbers.includes(event.from)) {
      // The analyzer dialing in: answer, and listen for the session code it is about to send.
      const clientState = encodeClientState({ role: 'analyzer' });
      await runLoose(event.id, [
        { kind: 'answer', callControlId: event.callControlId, clientState },
        { kind: 'collectCode', callControlId: event.callControlId, clientState },
      ]);
      log.info('analyzer leg answered', { callControlId: event.callControlId });
      return 'analyzer-answered';
    }
    const incoming: CallEvent = { type: 'customer.incoming', id: event.id, callControlId: event.callControlId };
    for (const sessionId of sessionIdCandidates(event.callControlId)) {
      const session = newSession(
        {
          id: sessionId,
          customerCallControlId: event.callControlId,
          fromMasked: maskPhone(event.from),
          conferenceNamePrefix: deps.conferenceNamePrefix,
          source: deps.source,
        },
        deps.nowMs(),
      );
      const outcome = await service.start(session, incoming);
      if (outcome !== 'taken') {
        log.info('customer call', { sessionId, from: maskPhone(event.from), outcome });
        return outcome;
      }
    }
    throw new BadRequestError('No free session id for this call');
  }

  /**
   * A digit or gather on an analyzer leg already tied to a session. If this very event tied it
   * (a redelivery after the join failed), applying it again replays the recorded join.
   */
  async function onKnownAnalyzer(event: TelnyxEvent & { callControlId: string }, sessionId: string): Promise<string> {
    const outcome = await service.apply(sessionId, { type: 'analyzer.identified', id: `${event.id}:identified`, callControlId: event.callControlId });
    return outcome === 'duplicate' ? 'analyzer-duplicate' : 'analyzer-known';
  }

  /** A digit or gather on a leg not yet tied to a session: the analyzer sending its code. */
  async function onAnalyzerCode(event: TelnyxEvent & { callControlId: string }, code: string | undefined): Promise<string> {
    if (code === undefined) return 'code-incomplete';
    const outcome = await service.apply(code, { type: 'analyzer.identified', id: `${event.id}:identified`, callControlId: event.callControlId });
    if (outcome === 'no-session') {
      log.warn('analyzer sent an unknown session code', { callControlId: event.callControlId });
      await runLoose(event.id, [{ kind: 'hangup', callControlId: event.callControlId }]);
    }
    return `analyzer-${outcome}`;
  }

  async function route(event: TelnyxEvent): Promise<string> {
    switch (event.type) {
      case 'ignored':
        return 'ignored';
      case 'call.initiated': {
        if (event.direction === 'incoming') return onIncoming(event);
        const operator = operatorRef(event);
        const sessionId = event.clientState?.sessionId;
        if (!operator || !sessionId) return 'ignored';
        return service.apply(sessionId, { type: 'operator.initiated', id: event.id, callControlId: event.callControlId, operator });
      }
      case 'call.answered':
      case 'call.hangup': {
        const sessionId = await sessionOfLeg(event);
        if (!sessionId) return 'unknown-leg';
        const operator = operatorRef(event);
        const base = { id: event.id, callControlId: event.callControlId, ...(operator ? { operator } : {}) };
        return service.apply(
          sessionId,
          event.type === 'call.answered' ? { type: 'call.answered', ...base } : { type: 'call.hangup', ...base, cause: event.cause, occurredAtMs: event.occurredAtMs },
        );
      }
      case 'call.dtmf.received': {
        if (event.clientState?.role === 'analyzer' && !event.clientState.sessionId) {
          const leg = await store.addAnalyzerDigit(event.callControlId, { digit: event.digit, atMs: event.occurredAtMs ?? deps.nowMs(), eventId: event.id });
          if (leg.sessionId) return onKnownAnalyzer(event, leg.sessionId);
          return onAnalyzerCode(event, codeFromDigits(leg.digits));
        }
        const sessionId = await sessionOfLeg(event);
        if (!sessionId) return 'unknown-leg';
        return service.apply(sessionId, { type: 'call.dtmf', id: event.id, callControlId: event.callControlId, digit: event.digit, occurredAtMs: event.occurredAtMs });
      }
      case 'call.gather.ended': {
        if (event.clientState?.role === 'analyzer' && !event.clientState.sessionId) {
          const known = await store.findByLeg(event.callControlId);
          if (known?.sessionId) return onKnownAnalyzer(event, known.sessionId);
          return onAnalyzerCode(event, codeFromGather(event.digits));
        }
        const sessionId = await sessionOfLeg(event);
        if (!sessionId) return 'unknown-leg';
        return service.apply(sessionId, {
          type: 'gather.ended',
          id: event.id,
          callControlId: event.callControlId,
          digits: event.digits,
          status: event.status,
          occurredAtMs: event.occurredAtMs,
        });
      }
      case 'call.transcription': {
        // Only the customer's own voice counts: final results of the inbound track.
        if (!event.isFinal || event.track === 'outbound' || !deps.scorer) return 'ignored';
        if (event.clientState?.role !== undefined && event.clientState.role !== 'customer') return 'ignored';
        const text = event.transcript.trim();
        if (text === '') return 'ignored';
        const sessionId = await sessionOfLeg(event);
        if (!sessionId) return 'unknown-leg';
        const score = deps.scorer.score(text);
        const atMs = event.occurredAtMs ?? deps.nowMs();
        return service.apply(sessionId, { type: 'utterances.heard', id: event.id, callControlId: event.callControlId, utterances: [{ id: event.id, text, score, atMs }] });
      }
      case 'conference.created':
      case 'conference.participant.joined':
      case 'conference.participant.left': {
        const sessionId =
          (event.clientState?.role === 'customer' ? event.clientState.sessionId : undefined) ??
          (await store.findByConference(event.conferenceId)) ??
          (await store.findByLeg(event.callControlId))?.sessionId;
        if (!sessionId) return 'unknown-conference';
        const type = event.type === 'conference.created' ? 'conference.created' : event.type === 'conference.participant.joined' ? 'participant.joined' : 'participant.left';
        return service.apply(sessionId, { type, id: event.id, conferenceId: event.conferenceId, callControlId: event.callControlId });
      }
      case 'conference.ended': {
        const sessionId = await store.findByConference(event.conferenceId);
        if (!sessionId) return 'unknown-conference';
        return service.apply(sessionId, { type: 'conference.ended', id: event.id, conferenceId: event.conferenceId });
      }
    }
  }

  return async function handle(request: WebhookRequest): Promise<WebhookResponse> {
    try {
      const rawBody = decodeBody(request);
      if (deps.publicKey) {
        verifyTelnyxSignature(deps.publicKey, { rawBody, headers: request.headers, nowSeconds: Math.floor(deps.nowMs() / 1000) });
      }
      const event = parseTelnyxEvent(rawBody);
      const outcome = await route(event);
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
