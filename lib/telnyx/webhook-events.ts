import * as z from 'zod/mini';
import type { LegTag } from '../core/model.js';
import type { GatherStatus, InboundEvent } from '../core/routing.js';
import { decodeClientState } from './client-state.js';
import { BadRequestError } from '../errors.js';

/** A Telnyx webhook in our own terms: one variant per event type the product acts on. */
export type TelnyxEvent = {
  readonly id: string;
  readonly occurredAtMs: number | undefined;
  readonly clientState: LegTag | undefined;
} & (
  | { readonly type: 'call.initiated'; readonly callControlId: string; readonly direction: 'incoming' | 'outgoing'; readonly from: string; readonly to: string }
  | { readonly type: 'call.answered'; readonly callControlId: string }
  | { readonly type: 'call.hangup'; readonly callControlId: string; readonly cause: string }
  | { readonly type: 'call.machine.detection.ended' | 'call.machine.premium.detection.ended'; readonly callControlId: string; readonly result: string }
  | { readonly type: 'call.dtmf.received'; readonly callControlId: string; readonly digit: string }
  | { readonly type: 'call.gather.ended'; readonly callControlId: string; readonly digits: string; readonly status: GatherStatus }
  | { readonly type: 'call.transcription'; readonly callControlId: string; readonly transcript: string; readonly isFinal: boolean; readonly track: 'inbound' | 'outbound' | undefined }
  | { readonly type: 'conference.created'; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'conference.participant.joined'; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'conference.participant.left'; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'conference.ended'; readonly conferenceId: string }
  | { readonly type: 'ignored'; readonly eventType: string }
);

export type { GatherStatus };

const id = z.string().check(z.minLength(1), z.maxLength(200));
const text = (max: number) => z.string().check(z.maxLength(max));
const clientState = z.nullish(text(4096));

const envelope = z.object({
  data: z.object({
    record_type: z.literal('event'),
    event_type: z.string().check(z.minLength(1), z.maxLength(100)),
    id,
    occurred_at: z.optional(text(64)),
    payload: z.optional(z.record(z.string(), z.unknown())),
  }),
});

const callLeg = z.object({ call_control_id: id, client_state: clientState });
const conferenceLeg = z.object({ conference_id: id, call_control_id: id, client_state: clientState });

const payloads = {
  'call.initiated': z.extend(callLeg, { direction: z.enum(['incoming', 'outgoing']), from: text(200), to: text(200) }),
  'call.answered': callLeg,
  'call.hangup': z.extend(callLeg, { hangup_cause: z.nullish(text(100)) }),
  'call.machine.detection.ended': z.extend(callLeg, { result: z.nullish(text(50)) }),
  'call.machine.premium.detection.ended': z.extend(callLeg, { result: z.nullish(text(50)) }),
  'call.dtmf.received': z.extend(callLeg, { digit: z.string().check(z.regex(/^[0-9*#A-D]$/)) }),
  'call.gather.ended': z.extend(callLeg, { digits: z.nullish(text(128)), status: text(50) }),
  'call.transcription': z.extend(callLeg, {
    transcription_data: z.object({
      transcript: text(10_000),
      is_final: z.boolean(),
      transcription_track: z.nullish(z.enum(['inbound', 'outbound'])),
    }),
  }),
  'conference.created': conferenceLeg,
  'conference.participant.joined': conferenceLeg,
  'conference.participant.left': conferenceLeg,
  'conference.ended': z.object({ conference_id: id }),
} as const;

type KnownType = keyof typeof payloads;
const isKnown = (type: string): type is KnownType => Object.hasOwn(payloads, type);

const gatherStatuses: readonly GatherStatus[] = ['valid', 'invalid', 'timeout', 'cancelled', 'call_hangup'];

function occurredAt(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  return Number.isFinite(ms) ? ms : undefined;
}

function describe(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/**
 * Parses a verified webhook body. Malformed JSON or a known event with missing or mistyped
 * fields is a BadRequestError; an event type the product does not use comes back as `ignored`.
 */
export function parseTelnyxEvent(rawBody: string): TelnyxEvent {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch (cause) {
    throw new BadRequestError('Body is not valid JSON', { cause });
  }
  const outer = envelope.safeParse(json);
  if (!outer.success) throw new BadRequestError(`Not a Telnyx event envelope: ${describe(outer.error)}`);
  const { data } = outer.data;
  const type = data.event_type;
  const payloadRaw = data.payload ?? {};
  // conference.* events carry occurred_at inside the payload.
  const inner = typeof payloadRaw.occurred_at === 'string' ? payloadRaw.occurred_at : undefined;
  const base = { id: data.id, occurredAtMs: occurredAt(data.occurred_at ?? inner) };
  if (!isKnown(type)) return { ...base, clientState: undefined, type: 'ignored', eventType: type };

  const parsed = payloads[type].safeParse(payloadRaw);
  if (!parsed.success) throw new BadRequestError(`Invalid ${type} payload: ${describe(parsed.error)}`);
  const p = parsed.data as Record<string, unknown>;
  const clientState = decodeClientState(p.client_state as string | null | undefined);
  const callControlId = p.call_control_id as string;
  const withState = { ...base, clientState };

  switch (type) {
    case 'call.initiated':
      return { ...withState, type, callControlId, direction: p.direction as 'incoming' | 'outgoing', from: p.from as string, to: p.to as string };
    case 'call.answered':
      return { ...withState, type, callControlId };
    case 'call.hangup':
      return { ...withState, type, callControlId, cause: (p.hangup_cause as string | null | undefined) ?? 'unspecified' };
    case 'call.machine.detection.ended':
    case 'call.machine.premium.detection.ended':
      return { ...withState, type, callControlId, result: (p.result as string | null | undefined) ?? 'not_sure' };
    case 'call.dtmf.received':
      return { ...withState, type, callControlId, digit: p.digit as string };
    case 'call.gather.ended': {
      const status = p.status as string;
      return {
        ...withState,
        type,
        callControlId,
        digits: (p.digits as string | null | undefined) ?? '',
        status: gatherStatuses.includes(status as GatherStatus) ? (status as GatherStatus) : 'other',
      };
    }
    case 'call.transcription': {
      const t = p.transcription_data as { transcript: string; is_final: boolean; transcription_track?: 'inbound' | 'outbound' | null };
      return { ...withState, type, callControlId, transcript: t.transcript, isFinal: t.is_final, track: t.transcription_track ?? undefined };
    }
    case 'conference.created':
    case 'conference.participant.joined':
    case 'conference.participant.left':
      return { ...withState, type, conferenceId: p.conference_id as string, callControlId };
    case 'conference.ended':
      return { ...base, clientState: undefined, type, conferenceId: p.conference_id as string };
  }
}

/**
 * Answering-machine detection's result, standard or premium, as a person, a machine, or not
 * known: premium's residence and business are people; a fax or silence is no person either.
 */
export function machineVerdict(result: string): 'human' | 'machine' | 'not_sure' {
  if (result === 'human' || result === 'human_residence' || result === 'human_business') return 'human';
  if (result === 'machine' || result === 'fax_detected' || result === 'silence') return 'machine';
  return 'not_sure';
}

/** A parsed Telnyx event in the product's terms: the vocabulary routing decides on. */
export function toInbound(event: TelnyxEvent): InboundEvent {
  const base = { id: event.id, occurredAtMs: event.occurredAtMs, tag: event.clientState };
  switch (event.type) {
    case 'call.initiated':
      return event.direction === 'incoming'
        ? { ...base, type: 'call.incoming', callControlId: event.callControlId, from: event.from, to: event.to }
        : { ...base, type: 'call.outgoing', callControlId: event.callControlId };
    case 'call.answered':
      return { ...base, type: 'call.answered', callControlId: event.callControlId };
    case 'call.hangup':
      return { ...base, type: 'call.hangup', callControlId: event.callControlId, cause: event.cause };
    case 'call.machine.detection.ended':
    case 'call.machine.premium.detection.ended':
      return { ...base, type: 'call.machine', callControlId: event.callControlId, result: machineVerdict(event.result) };
    case 'call.dtmf.received':
      return { ...base, type: 'keypad.digit', callControlId: event.callControlId, digit: event.digit };
    case 'call.gather.ended':
      return { ...base, type: 'keypad.gathered', callControlId: event.callControlId, digits: event.digits, status: event.status };
    case 'call.transcription':
      return { ...base, type: 'speech.transcribed', callControlId: event.callControlId, text: event.transcript, isFinal: event.isFinal, track: event.track };
    case 'conference.created':
      return { ...base, type: 'conference.created', conferenceId: event.conferenceId, callControlId: event.callControlId };
    case 'conference.participant.joined':
      return { ...base, type: 'conference.joined', conferenceId: event.conferenceId, callControlId: event.callControlId };
    case 'conference.participant.left':
      return { ...base, type: 'conference.left', conferenceId: event.conferenceId, callControlId: event.callControlId };
    case 'conference.ended':
      return { ...base, type: 'conference.ended', conferenceId: event.conferenceId };
    case 'ignored':
      return { ...base, type: 'ignored', eventType: event.eventType };
  }
}

/** Parses a verified webhook body straight into the product's terms. */
export function parseWebhook(rawBody: string): InboundEvent {
  return toInbound(parseTelnyxEvent(rawBody));
}
