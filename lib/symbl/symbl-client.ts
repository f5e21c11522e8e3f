/**
 * A small typed client for the three Symbl REST calls the product uses. Not the symbl-js SDK:
 * that one turns TLS verification off for the whole process, sends auth to the real host
 * whatever the base URL, and cannot ask for sentiment.
 */

export interface SymblCredentials {
  readonly appId: string;
  readonly appSecret: string;
}

export interface StartedConnection {
  readonly connectionId: string;
  readonly conversationId: string;
}

export interface SymblMessage {
  readonly id: string;
  readonly text: string;
  readonly startTime: string | undefined;
  readonly timeOffset: number | undefined;
  /** Polarity in [-1, 1]; absent while Symbl has not scored the message yet. */
  readonly polarity: number | undefined;
}

export interface StartPstnRequest {
  /** Digits with country code, no `+`. */
  readonly phoneNumber: string;
  readonly dtmf: string;
  readonly sessionName: string;
  readonly summaryEmails: readonly string[];
}

/** A Symbl call failed; `retryable` for 429, 5xx and network trouble. */
export class SymblError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SymblError';
  }
}

export interface SymblClientOptions {
  readonly baseUrl: string;
  readonly credentials: SymblCredentials;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly nowMs: () => number;
}

export interface SymblClient {
  startPstn(request: StartPstnRequest): Promise<StartedConnection>;
  stop(connectionId: string): Promise<void>;
  messages(conversationId: string): Promise<SymblMessage[]>;
}

/** Refresh the token when less than this remains. */
const tokenRefreshMarginMs = 60_000;

interface CachedToken {
  readonly value: string;
  readonly expiresAtMs: number;
}

export function createSymblClient(options: SymblClientOptions): SymblClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 4000;
  let token: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;

  async function send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(`${options.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new SymblError(`Symbl ${path} unreachable`, undefined, true, { cause });
    }
  }

  function failure(path: string, response: Response): SymblError {
    const retryable = response.status === 429 || response.status >= 500;
    return new SymblError(`Symbl ${path} answered ${response.status}`, response.status, retryable);
  }

  async function fetchToken(): Promise<CachedToken> {
    const path = '/oauth2/token:generate';
    const response = await send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'application', appId: options.credentials.appId, appSecret: options.credentials.appSecret }),
    });
    if (!response.ok) throw failure(path, response);
    const body = (await response.json()) as { accessToken?: unknown; expiresIn?: unknown };
    if (typeof body.accessToken !== 'string' || body.accessToken === '') throw new SymblError('Symbl token response has no accessToken', response.status, false);
    const expiresInSeconds = typeof body.expiresIn === 'number' && body.expiresIn > 0 ? body.expiresIn : 86_400;
    return { value: body.accessToken, expiresAtMs: options.nowMs() + expiresInSeconds * 1000 };
  }

  async function accessToken(): Promise<string> {
    if (token && token.expiresAtMs - options.nowMs() > tokenRefreshMarginMs) return token.value;
    // Concurrent callers share one token request.
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    token = await pending;
    return token.value;
  }

  /** Calls with the cached token; a 401 means it went stale: fetch a new one and try once more. */
  async function authorized(path: string, init: RequestInit): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const value = await accessToken();
      const response = await send(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${value}` } });
      if (response.status === 401 && attempt === 0) {
        if (token?.value === value) token = undefined;
        continue;
      }
      if (!response.ok) throw failure(path, response);
      return response;
    }
  }

  return {
    async startPstn(request) {
      const body: Record<string, unknown> = {
        operation: 'start',
        endpoint: { type: 'pstn', phoneNumber: request.phoneNumber, dtmf: request.dtmf },
        data: { session: { name: request.sessionName } },
      };
      if (request.summaryEmails.length > 0) {
        body.actions = [{ invokeOn: 'stop', name: 'sendSummaryEmail', parameters: { emails: request.summaryEmails } }];
      }
      const response = await authorized('/v1/endpoint:connect', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const out = (await response.json()) as { connectionId?: unknown; conversationId?: unknown };
      if (typeof out.connectionId !== 'string' || typeof out.conversationId !== 'string') {
        throw new SymblError('Symbl start response lacks connectionId or conversationId', response.status, false);
      }
      return { connectionId: out.connectionId, conversationId: out.conversationId };
    },

    async stop(connectionId) {
      await authorized('/v1/endpoint:connect', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ operation: 'stop', connectionId }),
      });
    },

    async messages(conversationId) {
      const path = `/v1/conversations/${encodeURIComponent(conversationId)}/messages?sentiment=true`;
      const response = await authorized(path, { method: 'GET' });
      const body = (await response.json()) as { messages?: unknown };
      if (!Array.isArray(body.messages)) throw new SymblError('Symbl messages response has no messages array', response.status, false);
      const messages: SymblMessage[] = [];
      for (const raw of body.messages as Array<Record<string, unknown>>) {
        if (typeof raw?.id !== 'string' || typeof raw.text !== 'string') continue;
        const polarity = (raw.sentiment as { polarity?: { score?: unknown } } | undefined)?.polarity?.score;
        messages.push({
          id: raw.id,
          text: raw.text,
          startTime: typeof raw.startTime === 'string' ? raw.startTime : undefined,
          timeOffset: typeof raw.timeOffset === 'number' ? raw.timeOffset : undefined,
          polarity: typeof polarity === 'number' && polarity >= -1 && polarity <= 1 ? polarity : undefined,
        });
      }
      return messages;
    },
  };
}
