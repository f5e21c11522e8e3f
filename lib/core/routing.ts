/**
 * Routing: which session an incoming telephony event belongs to, and as which call-flow event.
 * Pure: it asks for the look-ups it needs, one at a time, and decides from their answers; the
 * caller runs them (a store read, recording an analyzer digit, scoring a transcript).
 */
import { createHash } from 'node:crypto';
import { codeFromDigits, codeFromGather, type HeardDigit } from './analyzer-code.js';
import { newSession } from './call-flow.js';
import { stampCommands } from './command-ids.js';
import { maskPhone } from './masking.js';
import type { CallEvent, Command, LegLink, LegTag, OperatorLegRef, SentimentSourceName, Session, StampedCommand } from './model.js';
import { sessionIdCandidates } from './session-ids.js';

export type GatherStatus = 'valid' | 'invalid' | 'timeout' | 'cancelled' | 'call_hangup' | 'other';

/** A verified, parsed webhook in the product's terms; the Telnyx adapter produces these. */
export type InboundEvent = {
  readonly id: string;
  readonly occurredAtMs: number | undefined;
  /** Our tag on the leg, when the event carried one we recognise. */
  readonly tag: LegTag | undefined;
} & (
  | { readonly type: 'call.incoming'; readonly callControlId: string; readonly from: string; readonly to: string }
  | { readonly type: 'call.outgoing'; readonly callControlId: string }
  | { readonly type: 'call.answered'; readonly callControlId: string }
  | { readonly type: 'call.hangup'; readonly callControlId: string; readonly cause: string }
  /** Answering-machine detection's verdict on a leg. */
  | { readonly type: 'call.machine'; readonly callControlId: string; readonly result: 'human' | 'machine' | 'not_sure' }
  | { readonly type: 'keypad.digit'; readonly callControlId: string; readonly digit: string }
  | { readonly type: 'keypad.gathered'; readonly callControlId: string; readonly digits: string; readonly status: GatherStatus }
  | {
      readonly type: 'speech.transcribed';
      readonly callControlId: string;
      readonly text: string;
      readonly isFinal: boolean;
      readonly track: 'inbound' | 'outbound' | undefined;
    }
  | { readonly type: 'conference.created'; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'conference.joined'; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'conference.left'; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'conference.ended'; readonly conferenceId: string }
  | { readonly type: 'ignored'; readonly eventType: string }
);

/** Something routing needs to know (or have done) before it can decide. */
export type Lookup =
  | { readonly kind: 'leg'; readonly callControlId: string }
  | { readonly kind: 'conference'; readonly conferenceId: string }
  /** Records one digit heard on a not-yet-identified analyzer leg, and answers with all of them. */
  | { readonly kind: 'analyzer-digit'; readonly callControlId: string; readonly digit: HeardDigit }
  | { readonly kind: 'score'; readonly text: string }
  /** Whether a caller turned out to be the analyzer before (calling from a number not configured as one). */
  | { readonly kind: 'caller'; readonly callerKey: string };

/** The look-ups' answers so far; `null` means looked up and not there. */
export interface Found {
  readonly leg?: LegLink | null;
  readonly conference?: string | null;
  readonly digits?: { readonly sessionId: string | undefined; readonly digits: readonly HeardDigit[] };
  readonly score?: number;
  readonly analyzerCaller?: boolean;
}

/** How a session route's outcome is reported. */
export type RouteLabel = 'plain' | 'analyzer-code' | 'known-analyzer';

export type Route =
  | { readonly kind: 'look-up'; readonly lookup: Lookup }
  | { readonly kind: 'ignore'; readonly outcome: string }
  /** Commands for a leg that belongs to no session (yet). */
  | { readonly kind: 'leg'; readonly commands: readonly StampedCommand[]; readonly outcome: string; readonly note: string }
  /** A new customer call: the first candidate whose id is free (or already this call's) takes it. */
  | { readonly kind: 'start'; readonly candidates: readonly Session[]; readonly event: CallEvent }
  | {
      readonly kind: 'session';
      readonly sessionId: string;
      readonly event: CallEvent;
      readonly label: RouteLabel;
      /** Run when no such session exists (an analyzer keying a code nobody knows: hang it up). */
      readonly orphan?: { readonly commands: readonly StampedCommand[]; readonly note: string };
    };

export interface RoutingSettings {
  readonly source: SentimentSourceName;
  /** The numbers the analyzer calls from. */
  readonly analyzerNumbers: readonly string[];
  readonly conferenceNamePrefix: string;
  /** Our own number: a call from it is a loop, never a customer. */
  readonly conferenceNumber: string;
  /** Whether transcripts are scored here (the Telnyx source). */
  readonly scoresTranscripts: boolean;
  /** Seconds an analyzer leg has to say which session it belongs to before it is hung up. */
  readonly analyzerIdentifySeconds: number;
}

/** A one-way key of a caller's number: enough to recognise it again, useless to call it. */
export function callerKeyOf(number: string): string {
  return createHash('sha256').update(`caller\u0000${number.replace(/[^\d+]/g, '')}`).digest('hex').slice(0, 32);
}

/** The outcome a webhook reports for a routed event, from what applying it did. */
export function routeOutcome(label: RouteLabel, applied: 'applied' | 'unchanged' | 'duplicate' | 'no-session'): string {
  if (label === 'known-analyzer') return applied === 'duplicate' ? 'analyzer-duplicate' : 'analyzer-known';
  if (label === 'analyzer-code') return `analyzer-${applied}`;
  return applied;
}

const legCommands = (eventId: string, commands: Command[]) => stampCommands(eventId, commands);

const operatorRef = (tag: LegTag | undefined): OperatorLegRef | undefined =>
  tag?.role === 'operator' && tag.attempt !== undefined && tag.round !== undefined ? { attempt: tag.attempt, round: tag.round } : undefined;

/** The session a leg's event names: its tag, or else its look-up entry. */
function sessionOfLeg(callControlId: string, tag: LegTag | undefined, found: Found): string | Route | null {
  if (tag?.sessionId) return tag.sessionId;
  if (found.leg === undefined) return { kind: 'look-up', lookup: { kind: 'leg', callControlId } };
  return found.leg?.sessionId ?? null;
}

/**
 * Decides where an event goes. Call again with each look-up's answer added to `found` until the
 * answer is not a look-up. `nowMs` stamps a new session.
 */
export function route(event: InboundEvent, found: Found, settings: RoutingSettings, nowMs: number): Route {
  const { tag } = event;
  const toSession = (sessionId: string | Route | null, build: (id: string) => CallEvent, miss = 'unknown-leg'): Route => {
    if (sessionId === null) return { kind: 'ignore', outcome: miss };
    if (typeof sessionId !== 'string') return sessionId;
    return { kind: 'session', sessionId, event: build(sessionId), label: 'plain' };
  };
  /** The analyzer's leg while it has not told us its session: answered by its digits or its gather. */
  const unidentifiedAnalyzer = tag?.role === 'analyzer' && !tag.sessionId;
  const identified = (callControlId: string, sessionId: string, label: RouteLabel): Route => ({
    kind: 'session',
    sessionId,
    event: { type: 'analyzer.identified', id: `${event.id}:identified`, callControlId },
    label,
    ...(label === 'analyzer-code'
      ? { orphan: { commands: legCommands(event.id, [{ kind: 'hangup', callControlId }]), note: 'analyzer sent an unknown session code' } }
      : {}),
  });

  switch (event.type) {
    case 'ignored':
      return { kind: 'ignore', outcome: 'ignored' };

    case 'call.incoming': {
      if (event.from === settings.conferenceNumber) {
        // Our own number calling us is a loop (a misrouted dial, an analyzer pointed at itself): refused.
        return { kind: 'leg', outcome: 'own-number-refused', note: 'a call from our own number was refused', commands: legCommands(event.id, [{ kind: 'hangup', callControlId: event.callControlId }]) };
      }
      const callerKey = callerKeyOf(event.from);
      if (settings.source === 'symbl' && !settings.analyzerNumbers.includes(event.from) && found.analyzerCaller === undefined) {
        return { kind: 'look-up', lookup: { kind: 'caller', callerKey } };
      }
      if (settings.source === 'symbl' && (settings.analyzerNumbers.includes(event.from) || found.analyzerCaller === true)) {
        // The analyzer dialing in: answer, listen for the session code it is about to send, and
        // hang it up if it never says.
        const analyzerTag: LegTag = { role: 'analyzer' };
        return {
          kind: 'leg',
          outcome: 'analyzer-answered',
          note: 'analyzer leg answered',
          commands: legCommands(event.id, [
            { kind: 'answer', callControlId: event.callControlId, tag: analyzerTag },
            { kind: 'collectCode', callControlId: event.callControlId, tag: analyzerTag },
            { kind: 'scheduleWakeup', wakeup: { kind: 'leg-check', callControlId: event.callControlId }, delaySeconds: settings.analyzerIdentifySeconds },
          ]),
        };
      }
      const candidates = [...sessionIdCandidates(event.callControlId)].map((id) =>
        newSession(
          {
            id,
            customerCallControlId: event.callControlId,
            fromMasked: maskPhone(event.from),
            conferenceNamePrefix: settings.conferenceNamePrefix,
            source: settings.source,
            ...(settings.source === 'symbl' ? { callerKey } : {}),
          },
          nowMs,
        ),
      );
      return { kind: 'start', candidates, event: { type: 'customer.incoming', id: event.id, callControlId: event.callControlId } };
    }

    case 'call.outgoing': {
      const operator = operatorRef(tag);
      if (!operator || !tag?.sessionId) return { kind: 'ignore', outcome: 'ignored' };
      return toSession(tag.sessionId, () => ({ type: 'operator.initiated', id: event.id, callControlId: event.callControlId, operator }));
    }

    case 'call.answered':
    case 'call.hangup':
    case 'call.machine': {
      const operator = operatorRef(tag);
      const base = { id: event.id, callControlId: event.callControlId, ...(operator ? { operator } : {}) };
      return toSession(sessionOfLeg(event.callControlId, tag, found), () => {
        if (event.type === 'call.answered') return { type: 'call.answered', ...base };
        if (event.type === 'call.machine') return { type: 'operator.machine', ...base, result: event.result };
        return { type: 'call.hangup', ...base, cause: event.cause, occurredAtMs: event.occurredAtMs };
      });
    }

    case 'keypad.digit': {
      if (unidentifiedAnalyzer) {
        if (found.digits === undefined) {
          const digit = { digit: event.digit, atMs: event.occurredAtMs ?? nowMs, eventId: event.id };
          return { kind: 'look-up', lookup: { kind: 'analyzer-digit', callControlId: event.callControlId, digit } };
        }
        if (found.digits.sessionId) return identified(event.callControlId, found.digits.sessionId, 'known-analyzer');
        const code = codeFromDigits(found.digits.digits);
        return code === undefined ? { kind: 'ignore', outcome: 'code-incomplete' } : identified(event.callControlId, code, 'analyzer-code');
      }
      return toSession(sessionOfLeg(event.callControlId, tag, found), () => ({
        type: 'call.dtmf',
        id: event.id,
        callControlId: event.callControlId,
        digit: event.digit,
        occurredAtMs: event.occurredAtMs,
      }));
    }

    case 'keypad.gathered': {
      if (unidentifiedAnalyzer) {
        if (found.leg === undefined) return { kind: 'look-up', lookup: { kind: 'leg', callControlId: event.callControlId } };
        if (found.leg?.sessionId) return identified(event.callControlId, found.leg.sessionId, 'known-analyzer');
        const code = codeFromGather(event.digits);
        return code === undefined ? { kind: 'ignore', outcome: 'code-incomplete' } : identified(event.callControlId, code, 'analyzer-code');
      }
      return toSession(sessionOfLeg(event.callControlId, tag, found), () => ({
        type: 'gather.ended',
        id: event.id,
        callControlId: event.callControlId,
        digits: event.digits,
        status: event.status,
        occurredAtMs: event.occurredAtMs,
      }));
    }

    case 'speech.transcribed': {
      // Only the customer's own voice counts: final results of the inbound track.
      if (!event.isFinal || event.track === 'outbound' || !settings.scoresTranscripts) return { kind: 'ignore', outcome: 'ignored' };
      if (tag?.role !== undefined && tag.role !== 'customer') return { kind: 'ignore', outcome: 'ignored' };
      const text = event.text.trim();
      if (text === '') return { kind: 'ignore', outcome: 'ignored' };
      const sessionId = sessionOfLeg(event.callControlId, tag, found);
      if (typeof sessionId === 'string' && found.score === undefined) return { kind: 'look-up', lookup: { kind: 'score', text } };
      const score = found.score ?? 0;
      return toSession(sessionId, () => ({
        type: 'utterances.heard',
        id: event.id,
        callControlId: event.callControlId,
        utterances: [{ id: event.id, text, score, atMs: event.occurredAtMs ?? nowMs }],
      }));
    }

    case 'conference.created':
    case 'conference.joined':
    case 'conference.left': {
      const build = (): CallEvent => {
        const type = event.type === 'conference.created' ? 'conference.created' : event.type === 'conference.joined' ? 'participant.joined' : 'participant.left';
        return { type, id: event.id, conferenceId: event.conferenceId, callControlId: event.callControlId };
      };
      // Only the conference owner's tag reaches conference webhooks: the customer's.
      if (tag?.role === 'customer' && tag.sessionId) return toSession(tag.sessionId, build);
      if (found.conference === undefined) return { kind: 'look-up', lookup: { kind: 'conference', conferenceId: event.conferenceId } };
      if (found.conference) return toSession(found.conference, build);
      if (found.leg === undefined) return { kind: 'look-up', lookup: { kind: 'leg', callControlId: event.callControlId } };
      return toSession(found.leg?.sessionId ?? null, build, 'unknown-conference');
    }

    case 'conference.ended': {
      if (found.conference === undefined) return { kind: 'look-up', lookup: { kind: 'conference', conferenceId: event.conferenceId } };
      return toSession(found.conference ?? null, () => ({ type: 'conference.ended', id: event.id, conferenceId: event.conferenceId }), 'unknown-conference');
    }

    default: {
      const unhandled: never = event;
      throw new Error(`Unhandled inbound event ${(unhandled as InboundEvent).type}`);
    }
  }
}
