/**
 * What the Telnyx model answers and how it reads what it is sent: Telnyx's error envelope
 * (`{ errors: [{ code, title, detail, source? }] }`), the success envelopes, and small readers
 * and checks for snake_case request bodies.
 */

export interface ModelReply {
  readonly status: number;
  readonly body: unknown;
}

export type Body = Record<string, unknown>;

export function telnyxError(status: number, code: string, title: string, detail: string, pointer?: string): ModelReply {
  return { status, body: { errors: [{ code, title, detail, ...(pointer ? { source: { pointer } } : {}) }] } };
}

/** Every reply the model gives, success or error, shaped like Telnyx's. */
export const replies = {
  ok: (data: unknown = { result: 'ok' }): ModelReply => ({ status: 200, body: { data } }),
  list: (items: readonly unknown[]): ModelReply => ({
    status: 200,
    body: { data: items, meta: { page_number: 1, page_size: items.length, total_pages: 1, total_results: items.length } },
  }),
  callEnded: () => telnyxError(422, '90018', 'Call has already ended', 'This call is no longer active and can not receive commands.'),
  notAnswered: () => telnyxError(422, '10015', 'Bad Request', 'Call is not answered; answer it before issuing this command.'),
  missing: (field: string) => telnyxError(422, '10004', 'Missing required parameter', `The '${field}' parameter is required.`, `/${field}`),
  invalid: (field: string, detail: string) => telnyxError(422, '10015', 'Bad Request', detail, `/${field}`),
  badState: (detail: string, pointer?: string) => telnyxError(422, '10015', 'Bad Request', detail, pointer),
  conferenceNotFound: () => telnyxError(404, '10005', 'Resource not found', 'The requested conference could not be found or has ended.'),
  callNotFound: () => telnyxError(404, '10005', 'Resource not found', 'The requested call could not be found.'),
  notModelled: (what: string) => telnyxError(404, '10005', 'Resource not found', `${what} is not simulated.`),
  unauthorized: () => telnyxError(401, '10009', 'Authentication failed', 'The required authentication headers were either invalid or not included in the request.'),
  tooManyRequests: () => telnyxError(429, '10011', 'Too many requests', 'You have exceeded the maximum number of allowed requests.'),
  unexpected: () => telnyxError(500, '10007', 'Unexpected error', 'An unexpected error occured.'),
  serviceUnavailable: () => telnyxError(503, '10007', 'Service unavailable', 'The service is temporarily unavailable.'),
  /** A dial Telnyx will not place: no leg, no webhook. */
  dialRefused: (status: 400 | 403 | 422, to: string) =>
    status === 403
      ? telnyxError(403, '10010', 'Forbidden', `Calls to ${to} are not permitted on this account.`, '/to')
      : status === 422
        ? telnyxError(422, '10016', 'Invalid destination', `${to} is not a valid or reachable destination for this connection.`, '/to')
        : telnyxError(400, '10015', 'Bad Request', `The dial to ${to} was refused.`, '/to'),
  /** Call-level prompts on a leg that is in a conference, when the model is told to refuse them. */
  promptInConference: () =>
    telnyxError(422, '10015', 'Bad Request', 'The call is a conference participant: use conferences/{id}/actions/speak or gather_using_audio.', '/call_control_id'),
} as const;

export function asBody(value: unknown): Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Body) : {};
}
export function str(body: Body, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' ? v : undefined;
}
export function num(body: Body, key: string): number | undefined {
  const v = body[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
export function bool(body: Body, key: string): boolean | undefined {
  const v = body[key];
  return typeof v === 'boolean' ? v : undefined;
}
export function strList(body: Body, key: string): string[] | undefined {
  const v = body[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** client_state must be valid Base64 when given. */
export function clientStateProblem(body: Body): ModelReply | undefined {
  const cs = body.client_state;
  if (cs === undefined || cs === null) return undefined;
  if (typeof cs !== 'string' || !base64Pattern.test(cs)) return replies.invalid('client_state', 'client_state must be a valid Base64 string.');
  return undefined;
}

/** Event type → delays (ms) of the retries after a failed delivery. */
export type RetryPolicies = Readonly<Record<string, readonly number[]>>;

export const maxRetries = 5;
export const maxRetryTotalMs = 60_000;

/**
 * `webhook_retries_policies` of `answer` or `dial`: `{ '<event_type>': { retries_ms: number[] } }`,
 * at most five retries per event type, summing to at most 60 s.
 */
export function parseRetryPolicies(body: Body): { policies: RetryPolicies } | { problem: ModelReply } {
  const raw = body.webhook_retries_policies;
  if (raw === undefined || raw === null) return { policies: {} };
  const field = 'webhook_retries_policies';
  if (typeof raw !== 'object' || Array.isArray(raw)) return { problem: replies.invalid(field, `${field} must map event types to { retries_ms }.`) };
  const policies: Record<string, readonly number[]> = {};
  for (const [eventType, policy] of Object.entries(raw as Body)) {
    const retries = asBody(policy).retries_ms;
    if (!Array.isArray(retries) || !retries.every((ms) => typeof ms === 'number' && Number.isInteger(ms) && ms >= 0)) {
      return { problem: replies.invalid(`${field}/${eventType}`, 'retries_ms must be a list of non-negative whole milliseconds.') };
    }
    const delays = retries as number[];
    if (delays.length > maxRetries) return { problem: replies.invalid(`${field}/${eventType}`, `At most ${maxRetries} retries are allowed.`) };
    if (delays.reduce((sum, ms) => sum + ms, 0) > maxRetryTotalMs) {
      return { problem: replies.invalid(`${field}/${eventType}`, `The retries may not add up to more than ${maxRetryTotalMs} ms.`) };
    }
    policies[eventType] = [...delays];
  }
  return { policies };
}
