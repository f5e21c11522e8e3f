/**
 * An HTTP-level stand-in for Amazon Comprehend's DetectSentiment, the one operation the product
 * calls: AWS's JSON 1.1 protocol (`POST /`, `X-Amz-Target: Comprehend_20171127.DetectSentiment`),
 * errors in Comprehend's shape, so the real SDK client talks to it with an `endpoint`, fake
 * static credentials and a region. Scores are derived from the text by a small word list, the
 * same text always scoring the same; switches make it slow, throttle or fail.
 */
import { randomUUID } from 'node:crypto';
import { simulatorState, startJsonServer, type HandlerResult, type JsonReply, type JsonRequest } from './runtime.js';

/** Comprehend's four confidences, summing to 1. */
export interface SentimentScores {
  readonly Positive: number;
  readonly Negative: number;
  readonly Neutral: number;
  readonly Mixed: number;
}

export type SentimentLabel = 'POSITIVE' | 'NEGATIVE' | 'NEUTRAL' | 'MIXED';

/** What DetectSentiment answers. */
export interface DetectSentimentResult {
  readonly Sentiment: SentimentLabel;
  readonly SentimentScore: SentimentScores;
}

/** `throttling`: 400 ThrottlingException, as over the account's rate; `internal`: 500 InternalServerException. */
export type ComprehendFault = 'throttling' | 'internal';

export interface ComprehendRequestRecord {
  readonly target: string;
  /** The text as received (this is a test tool: the product itself never logs or stores it). */
  readonly text: string | undefined;
  readonly languageCode: unknown;
  status: number;
  /** The error's `__type` when it answered with one. */
  errorType: string | undefined;
  readonly at: number;
}

export interface ComprehendSimulator {
  /** The `endpoint` for the SDK client (or `AWS_ENDPOINT_URL_COMPREHEND`). */
  readonly endpoint: string;
  readonly requests: readonly ComprehendRequestRecord[];
  readonly errors: readonly unknown[];
  /** Answers this exact text with these confidences instead of the derived ones. */
  setScores(text: string, scores: SentimentScores): void;
  /** What it answers for a text that gets an answer. */
  resultFor(text: string): DetectSentimentResult;
  /** The next `count` requests fail this way. */
  failNext(fault: ComprehendFault, count?: number): void;
  /** Every request fails this way until cleared with `undefined`: an outage. */
  setOutage(fault: ComprehendFault | undefined): void;
  /** Adds this many real ms before every answer. */
  setLatency(ms: number): void;
  isIdle(): boolean;
  idle(timeoutMs?: number): Promise<void>;
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

const detectSentimentTarget = 'Comprehend_20171127.DetectSentiment';
/** DetectSentiment takes text of fewer than this many bytes of UTF-8. */
const textLimitBytes = 5000;
const languageCodes: ReadonlySet<string> = new Set(['en', 'es', 'fr', 'de', 'it', 'pt', 'ar', 'hi', 'ja', 'ko', 'zh', 'zh-TW']);

const negativeWords: ReadonlySet<string> = new Set([
  'terrible', 'awful', 'horrible', 'furious', 'angry', 'hate', 'worst', 'disgusted', 'disgusting', 'ridiculous', 'useless',
  'unacceptable', 'frustrated', 'frustrating', 'annoyed', 'upset', 'bad', 'broken', 'wrong', 'disappointed', 'rude', 'sick',
]);
const positiveWords: ReadonlySet<string> = new Set([
  'great', 'good', 'thanks', 'thank', 'wonderful', 'excellent', 'perfect', 'happy', 'love', 'helpful', 'appreciate',
  'awesome', 'fantastic', 'glad', 'pleased', 'nice',
]);
/** A word after one of these counts for the other side ("not happy"). */
const negators: ReadonlySet<string> = new Set(['not', 'no', 'never', "don't", "isn't", "can't", "won't", "didn't", "doesn't", "wasn't", "aren't"]);
/** How much one sentiment word weighs against the neutral baseline of 1. */
const wordWeight = 3;

/**
 * The stand-in's model: each positive or negative word (flipped after a negator) adds weight
 * to its side against a neutral baseline, both sides present add to Mixed, and the weights are
 * normalised into confidences. More negative words always mean a higher Negative.
 */
export function derivedSentiment(text: string): DetectSentimentResult {
  const words = text.toLowerCase().replace(/[\u2018\u2019]/g, "'").match(/[a-z']+/g) ?? [];
  let positive = 0;
  let negative = 0;
  words.forEach((word, index) => {
    const plain = positiveWords.has(word) ? 1 : negativeWords.has(word) ? -1 : 0;
    const side = index > 0 && negators.has(words[index - 1]!) ? -plain : plain;
    if (side > 0) positive++;
    if (side < 0) negative++;
  });
  const weights = { Positive: wordWeight * positive, Negative: wordWeight * negative, Neutral: 1, Mixed: 2 * Math.min(positive, negative) };
  const total = weights.Positive + weights.Negative + weights.Neutral + weights.Mixed;
  const scores: SentimentScores = {
    Positive: weights.Positive / total,
    Negative: weights.Negative / total,
    Neutral: weights.Neutral / total,
    Mixed: weights.Mixed / total,
  };
  return withLabel(scores);
}

/** Comprehend's label is its most confident one. */
function withLabel(scores: SentimentScores): DetectSentimentResult {
  const [label] = (Object.entries(scores) as [keyof SentimentScores, number][]).reduce((best, entry) => (entry[1] > best[1] ? entry : best));
  return { Sentiment: label.toUpperCase() as SentimentLabel, SentimentScore: scores };
}

/** An error as Comprehend sends it: the type in a header and in the body's `__type`. */
function awsError(status: number, type: string, message: string): JsonReply {
  return { status, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() }, body: { __type: type, message } };
}

const faultReplies: Readonly<Record<ComprehendFault, () => JsonReply>> = {
  throttling: () => awsError(400, 'ThrottlingException', 'Rate exceeded'),
  internal: () => awsError(500, 'InternalServerException', 'An internal server error occurred. Retry your request.'),
};

export async function startComprehendSimulator(options: { readonly latencyMs?: number } = {}): Promise<ComprehendSimulator> {
  const state = simulatorState();
  const { changed, errors, recordError, timers } = state;
  const requests: ComprehendRequestRecord[] = [];
  const setScores = new Map<string, SentimentScores>();
  const faultQueue: ComprehendFault[] = [];
  let outage: ComprehendFault | undefined;
  let latencyMs = Math.max(0, options.latencyMs ?? 0);
  let inFlight = 0;

  function resultFor(text: string): DetectSentimentResult {
    const scores = setScores.get(text);
    return scores ? withLabel(scores) : derivedSentiment(text);
  }

  function detectSentiment(body: Record<string, unknown>): JsonReply {
    const fault = faultQueue.shift() ?? outage;
    if (fault) return faultReplies[fault]();
    const { Text: text, LanguageCode: languageCode } = body;
    if (typeof text !== 'string' || text.length === 0) {
      return awsError(400, 'ValidationException', "1 validation error detected: Value at 'text' failed to satisfy constraint: Member must have length greater than or equal to 1");
    }
    if (typeof languageCode !== 'string' || !languageCodes.has(languageCode)) {
      return awsError(400, 'ValidationException', `1 validation error detected: Value '${String(languageCode)}' at 'languageCode' failed to satisfy constraint: Member must satisfy enum value set`);
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes >= textLimitBytes) {
      return awsError(400, 'TextSizeLimitExceededException', `Input text size exceeds limit. Max length of request text allowed is ${textLimitBytes} bytes while in this request the text size is ${bytes} bytes`);
    }
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }, body: resultFor(text) };
  }

  function route(req: JsonRequest): JsonReply {
    if (req.method !== 'POST' || req.path !== '/') return awsError(404, 'UnknownOperationException', `${req.method} ${req.path} is not an operation`);
    if (!/^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '')) return awsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const target = req.headers['x-amz-target'];
    if (target !== detectSentimentTarget) return awsError(400, 'UnknownOperationException', `${String(target)} is not simulated`);
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    return detectSentiment(body);
  }

  async function handle(req: JsonRequest): Promise<HandlerResult> {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const record: ComprehendRequestRecord = {
      target: String(req.headers['x-amz-target'] ?? ''),
      text: typeof body.Text === 'string' ? body.Text : undefined,
      languageCode: body.LanguageCode,
      status: 0,
      errorType: undefined,
      at: Date.now(),
    };
    requests.push(record);
    inFlight++;
    try {
      if (latencyMs > 0) await timers.sleep(latencyMs);
      const reply = route(req);
      record.status = reply.status;
      record.errorType = (reply.body as { __type?: string } | undefined)?.__type;
      return reply;
    } finally {
      inFlight--;
      changed();
    }
  }

  const server = await startJsonServer(handle, recordError);
  const isIdle = (): boolean => inFlight === 0 && timers.shortPending() === 0;
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    requests,
    errors,
    setScores: (text, scores) => {
      setScores.set(text, scores);
    },
    resultFor,
    failNext: (fault, count = 1) => {
      for (let i = 0; i < count; i++) faultQueue.push(fault);
    },
    setOutage: (fault) => {
      outage = fault;
    },
    setLatency: (ms) => {
      latencyMs = Math.max(0, ms);
    },
    ...state.controls(isIdle, () => server.close()),
  };
}
