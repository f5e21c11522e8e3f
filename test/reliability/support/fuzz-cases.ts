/**
 * Generated webhook requests for the fuzz run, each with the statuses it may get. A request
 * is signed with the real key only when its body names legs and conferences no session owns
 * (or is malformed): nothing a fuzz case sends may legitimately change a stored session.
 */
import fc from 'fast-check';
import type { WebhookRequest } from '../../../lib/app/webhook-gate.js';
import { encodeClientState } from '../../../lib/telnyx/client-state.js';
import { generateWebhookKeyPair, signedHeaders } from '../../../local/sim/webhook-signer.js';

export interface FuzzCase {
  readonly category: string;
  readonly request: WebhookRequest;
  /** Statuses this request may get; anything else (and any 5xx, any throw) is a violation. */
  readonly allowed: readonly number[];
}

export interface FuzzTargets {
  /** Signs like Telnyx, with the key the product trusts. */
  readonly sign: (rawBody: string, timestampSeconds?: number) => Record<string, string>;
  /** The clock the product checks timestamps against, in Unix seconds. */
  readonly nowSeconds: () => number;
  /** Real events of a live call (customer hangup, keypress, …): sent only unsigned, forged or stale. */
  readonly realBodies: readonly string[];
  /** The live session's id, for client_state that names it. */
  readonly sessionId: string;
}

const knownTypes = [
  'call.initiated',
  'call.answered',
  'call.hangup',
  'call.dtmf.received',
  'call.gather.ended',
  'call.transcription',
  'conference.created',
  'conference.participant.joined',
  'conference.participant.left',
  'conference.ended',
] as const;

/** A key the product does not trust. */
const otherKey = generateWebhookKeyPair().privateKey;

const foreignId = fc.stringMatching(/^v3:[A-Za-z0-9_-]{8,40}$/).map((s) => `${s}-fuzz`);
const anyString = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\r\n', '💥', '\ud800', '%00', '../../etc/passwd', '{"$ne":null}', "' OR 1=1 --"),
);

/** A well-formed Telnyx event about legs and conferences no session owns. */
function foreignEvent(targets: FuzzTargets) {
  const occurred = new Date(targets.nowSeconds() * 1000).toISOString();
  const clientState = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    anyString,
    fc.base64String({ maxLength: 80 }),
    // Our own format, naming the live session: routing hints that must not be believed alone.
    fc.constantFrom(
      encodeClientState({ sessionId: targets.sessionId, role: 'customer' }),
      encodeClientState({ sessionId: targets.sessionId, role: 'operator', attempt: 0, round: 0 }),
      encodeClientState({ sessionId: targets.sessionId, role: 'customer', attempt: 99, round: 99 }),
    ),
  );
  return fc
    .record({
      type: fc.constantFrom(...knownTypes),
      id: fc.uuid(),
      callControlId: foreignId,
      conferenceId: fc.uuid(),
      clientState,
      digit: fc.constantFrom('1', '2', '#', '*', 'A', '0'),
      digits: fc.oneof(fc.constant(targets.sessionId), fc.constant(`${targets.sessionId}#`), fc.stringMatching(/^[0-9#*]{0,12}$/)),
      status: fc.constantFrom('valid', 'invalid', 'timeout', 'cancelled', 'call_hangup', 'weird'),
      direction: fc.constant('outgoing'),
      transcript: anyString,
      occurredAt: fc.oneof(fc.constant(occurred), anyString),
    })
    .map((e) => {
      const payload: Record<string, unknown> = {
        call_control_id: e.callControlId,
        client_state: e.clientState,
        from: '+15550100000',
        to: '+15550001000',
      };
      switch (e.type) {
        case 'call.initiated':
          payload.direction = e.direction;
          break;
        case 'call.hangup':
          payload.hangup_cause = 'normal_clearing';
          break;
        case 'call.dtmf.received':
          payload.digit = e.digit;
          break;
        case 'call.gather.ended':
          payload.digits = e.digits;
          payload.status = e.status;
          break;
        case 'call.transcription':
          payload.transcription_data = { transcript: e.transcript, is_final: true, transcription_track: 'inbound' };
          break;
        default:
          if (e.type.startsWith('conference.')) payload.conference_id = e.conferenceId;
      }
      return { data: { record_type: 'event', event_type: e.type, id: e.id, occurred_at: e.occurredAt, payload }, meta: { attempt: 1 } };
    });
}

/** Sets or deletes a value somewhere in a JSON object (wrong types, missing fields). */
const mutation = fc.record({
  path: fc.array(fc.constantFrom('data', 'payload', 'record_type', 'event_type', 'id', 'call_control_id', 'client_state', 'digit', 'digits', 'status', 'conference_id', 'direction', 'transcription_data', 'transcript', 'is_final', 'meta', 'occurred_at'), { minLength: 1, maxLength: 4 }),
  value: fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.double(), fc.boolean(), anyString, fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }), fc.string({ minLength: 5000, maxLength: 5000 })),
});

function mutate(value: unknown, path: readonly string[], replacement: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return replacement;
  const [head, ...rest] = path;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (head === undefined) return replacement;
  if (rest.length === 0) {
    if (replacement === undefined) delete copy[head];
    else copy[head] = replacement;
  } else copy[head] = mutate(copy[head], rest, replacement);
  return copy;
}

const signedRequest = (targets: FuzzTargets, rawBody: string): WebhookRequest => ({ body: rawBody, isBase64Encoded: false, headers: targets.sign(rawBody) });
const maxBodyBytes = 64 * 1024;

export function fuzzCases(targets: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const now = targets.nowSeconds;
  const forgedHeaders = (rawBody: string): Record<string, string> => signedHeaders(otherKey, rawBody, now());
  const real = fc.constantFrom(...targets.realBodies);
  const event = foreignEvent(targets);

  const unsigned = fc
    .tuple(real, fc.constantFrom<Record<string, string | undefined>>({}, { 'content-type': 'application/json' }, { 'telnyx-timestamp': String(now()) }, { 'telnyx-signature-ed25519': 'AAAA' }, { 'telnyx-timestamp': undefined, 'telnyx-signature-ed25519': undefined }))
    .map(([body, headers]): FuzzCase => ({ category: 'unsigned', request: { body, isBase64Encoded: false, headers }, allowed: [401] }));

  const forged = real.map((body): FuzzCase => ({ category: 'forged signature', request: { body, isBase64Encoded: false, headers: forgedHeaders(body) }, allowed: [401] }));

  const stale = fc
    .tuple(real, fc.integer({ min: 301, max: 10_000_000 }), fc.boolean())
    .map(([body, skew, past]): FuzzCase => ({ category: 'stale or future timestamp', request: { body, isBase64Encoded: false, headers: targets.sign(body, now() + (past ? -skew : skew)) }, allowed: [401] }));

  const badTimestamp = fc
    .tuple(real, fc.oneof(anyString, fc.constantFrom('1e9', ' 1700000000', '-5', '9'.repeat(20), '0x65', '1700000000.5', `${now()}\r\ntelnyx-signature-ed25519: x`)))
    .map(([body, timestamp]): FuzzCase => {
      const signature = signedHeaders(otherKey, body, timestamp)['telnyx-signature-ed25519']!;
      return { category: 'timestamp garbage', request: { body, isBase64Encoded: false, headers: { 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature } }, allowed: [401] };
    });

  const badSignature = fc
    .tuple(real, fc.oneof(anyString, fc.base64String({ maxLength: 120 }), fc.constantFrom(Buffer.alloc(64).toString('base64'), 'A'.repeat(86) + '==', ' ', '=')))
    .map(([body, signature]): FuzzCase => ({
      category: 'signature garbage',
      request: { body, isBase64Encoded: false, headers: { 'telnyx-timestamp': String(now()), 'telnyx-signature-ed25519': signature } },
      allowed: [401],
    }));

  const tampered = fc
    .tuple(real, fc.constantFrom(' ', '\n', '{}', 'x'), fc.boolean())
    .map(([body, extra, front]): FuzzCase => ({
      category: 'body changed after signing',
      request: { body: front ? extra + body : body + extra, isBase64Encoded: false, headers: targets.sign(body) },
      allowed: [401],
    }));

  const injected = fc
    .tuple(real, fc.constantFrom('crlf-in-timestamp', 'crlf-in-signature', 'case-duplicates', 'proto-key', 'signature-of-other-body'))
    .map(([body, how]): FuzzCase => {
      const good = targets.sign(body);
      const ts = good['telnyx-timestamp']!;
      const sig = good['telnyx-signature-ed25519']!;
      const headers: Record<string, string | undefined> =
        how === 'crlf-in-timestamp'
          ? { 'telnyx-timestamp': `${ts}\r\ntelnyx-signature-ed25519: ${sig}` }
          : how === 'crlf-in-signature'
            ? { 'telnyx-timestamp': ts, 'telnyx-signature-ed25519': `${sig}\r\nx-injected: 1` }
            : how === 'case-duplicates'
              ? { 'Telnyx-Signature-Ed25519': Buffer.alloc(64, 1).toString('base64'), 'telnyx-signature-ed25519': sig, 'TELNYX-TIMESTAMP': ts }
              : how === 'proto-key'
                ? (JSON.parse(`{"__proto__": {"telnyx-signature-ed25519": "${sig}"}, "telnyx-timestamp": "${ts}"}`) as Record<string, string>)
                : targets.sign(`${body} `);
      return { category: 'header injection', request: { body, isBase64Encoded: false, headers }, allowed: [401] };
    });

  const huge = fc
    .tuple(fc.integer({ min: maxBodyBytes + 1, max: 4 * maxBodyBytes }), fc.constantFrom('a', '€', '𝄞'), fc.boolean(), fc.boolean())
    .map(([bytes, unit, base64, signed]): FuzzCase => {
      const text = `{"data":"${unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)))}"}`;
      const body = base64 ? Buffer.from(text).toString('base64') : text;
      return { category: 'huge body', request: { body, isBase64Encoded: base64, headers: signed ? targets.sign(text) : {} }, allowed: [413] };
    });

  const empty = fc
    .constantFrom<WebhookRequest>(
      { body: undefined, isBase64Encoded: false, headers: {} },
      { body: '', isBase64Encoded: false, headers: targets.sign('') },
      { body: '', isBase64Encoded: true, headers: {} },
      { body: '====', isBase64Encoded: true, headers: {} },
    )
    .map((request): FuzzCase => ({ category: 'empty body', request, allowed: [400] }));

  const truncated = fc
    .tuple(event, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }))
    .map(([e, at]): FuzzCase => {
      const text = JSON.stringify(e);
      const body = text.slice(0, Math.max(1, Math.floor(text.length * at)));
      return { category: 'truncated JSON (signed)', request: signedRequest(targets, body), allowed: [400] };
    });

  const randomJson = fc.json({ maxDepth: 3 }).map((body): FuzzCase => ({ category: 'random JSON (signed)', request: signedRequest(targets, body), allowed: [400, 200] }));

  const wrongTypes = fc
    .tuple(event, mutation)
    .map(([e, m]): FuzzCase => ({ category: 'wrong types, missing fields (signed)', request: signedRequest(targets, JSON.stringify(mutate(e, m.path, m.value))), allowed: [400, 200] }));

  const unknownTypes = fc
    .tuple(event, fc.oneof(anyString, fc.constantFrom('call.bridged', 'call.speak.ended', 'call.recording.saved', 'CALL.HANGUP', 'call.hangup ', 'conference.floor.changed')))
    .filter(([, type]) => !(knownTypes as readonly string[]).includes(type))
    .map(([e, type]): FuzzCase => {
      const body = JSON.stringify({ ...e, data: { ...e.data, event_type: type } });
      // An empty or over-long type is a malformed envelope; anything else is an event we ignore.
      return { category: 'unknown event types (signed)', request: signedRequest(targets, body), allowed: type.length === 0 || type.length > 100 ? [400] : [200] };
    });

  const foreign = event.map((e): FuzzCase => ({ category: 'well-formed, about unknown legs (signed)', request: signedRequest(targets, JSON.stringify(e)), allowed: [200, 400] }));

  const encodings = fc
    .tuple(event, fc.constantFrom('bom', 'nul', 'latin1-as-base64', 'json-flagged-base64', 'base64-unflagged-signed-json', 'base64-unflagged-signed-base64', 'bad-base64'))
    .map(([e, how]): FuzzCase => {
      const text = JSON.stringify(e);
      switch (how) {
        case 'bom':
          return { category: 'odd encodings', request: signedRequest(targets, `\uFEFF${text}`), allowed: [400] };
        case 'nul':
          return { category: 'odd encodings', request: signedRequest(targets, `${text}\u0000`), allowed: [400] };
        case 'latin1-as-base64': {
          const latin = text.replace('+1555', '+1555é');
          return { category: 'odd encodings', request: { body: Buffer.from(latin, 'latin1').toString('base64'), isBase64Encoded: true, headers: targets.sign(latin) }, allowed: [401, 400, 200] };
        }
        case 'json-flagged-base64':
          return { category: 'base64 flag mismatch', request: { body: text, isBase64Encoded: true, headers: targets.sign(text) }, allowed: [401, 400] };
        case 'base64-unflagged-signed-json':
          return { category: 'base64 flag mismatch', request: { body: Buffer.from(text).toString('base64'), isBase64Encoded: false, headers: targets.sign(text) }, allowed: [401] };
        case 'base64-unflagged-signed-base64': {
          const body = Buffer.from(text).toString('base64');
          return { category: 'base64 flag mismatch', request: signedRequest(targets, body), allowed: [400] };
        }
        default:
          return { category: 'base64 flag mismatch', request: { body: `${Buffer.from(text).toString('base64')}!!*&`, isBase64Encoded: true, headers: targets.sign(text) }, allowed: [401, 400, 200] };
      }
    });

  return fc.oneof(
    { arbitrary: unsigned, weight: 2 },
    { arbitrary: forged, weight: 2 },
    { arbitrary: stale, weight: 1 },
    { arbitrary: badTimestamp, weight: 2 },
    { arbitrary: badSignature, weight: 2 },
    { arbitrary: tampered, weight: 1 },
    { arbitrary: injected, weight: 2 },
    { arbitrary: huge, weight: 1 },
    { arbitrary: empty, weight: 1 },
    { arbitrary: truncated, weight: 3 },
    { arbitrary: randomJson, weight: 2 },
    { arbitrary: wrongTypes, weight: 5 },
    { arbitrary: unknownTypes, weight: 2 },
    { arbitrary: foreign, weight: 4 },
    { arbitrary: encodings, weight: 3 },
  );
}
