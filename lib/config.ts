import { z } from 'zod';

/** Thrown when the environment does not describe a runnable product; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type SentimentSourceName = 'symbl' | 'telnyx';

export interface PolicyConfig {
  /** A single utterance at or below this polarity escalates (the original's rule). */
  readonly utteranceThreshold: number;
  /** How many recent customer utterances the rolling mean covers. */
  readonly windowSize: number;
  /** The rolling mean at or below this escalates, once the window is full. */
  readonly windowThreshold: number;
  /** This many negative utterances in a row escalate. */
  readonly streakLength: number;
  /** An utterance at or below this counts as negative for the streak. */
  readonly negativeBelow: number;
}

export interface Config {
  readonly telnyx: {
    readonly apiKey: string;
    readonly publicKey: string;
    readonly baseUrl: string | undefined;
    readonly connectionId: string;
    /** The number customers call and the analyzer dials into. */
    readonly conferenceNumber: string;
    readonly conferenceNamePrefix: string;
    /** Operators, tried in order on no answer. */
    readonly transferNumbers: readonly string[];
    /** When false, signatures are not checked: local use only, never a default. */
    readonly verifySignatures: boolean;
    readonly voice: string;
  };
  readonly sentimentSource: SentimentSourceName;
  readonly symbl: {
    readonly appId: string;
    readonly appSecret: string;
    readonly baseUrl: string;
    readonly numbers: readonly string[];
    readonly summaryEmails: readonly string[];
  } | undefined;
  readonly policy: PolicyConfig;
  readonly pollIntervalSeconds: number;
  /** Seconds to wait for the analyzer to join before the menu plays without it. */
  readonly analyzerJoinTimeoutSeconds: number;
  /** Seconds an operator's phone rings before the next number is tried. */
  readonly operatorRingTimeoutSeconds: number;
  /** Polling stops for calls older than this. */
  readonly maxCallAgeSeconds: number;
  /** How long session records are kept after their last write. */
  readonly retentionDays: number;
  readonly tableName: string;
  readonly pollQueueUrl: string | undefined;
}

const list = (value: string | undefined): string[] =>
  (value ?? '').split(',').map((part) => part.trim()).filter((part) => part.length > 0);

const e164 = /^\+[1-9]\d{6,14}$/;

const number = (name: string, fallback: number, check: (n: number) => boolean, rule: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const parsed = Number(raw);
      if (!Number.isFinite(parsed) || !check(parsed)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be ${rule}, got "${raw}"` });
        return z.NEVER;
      }
      return parsed;
    });

const polarity = (name: string, fallback: number) =>
  number(name, fallback, (n) => n >= -1 && n <= 1, 'a number from -1 to 1');
const positiveInt = (name: string, fallback: number, max = 86_400 * 30) =>
  number(name, fallback, (n) => Number.isInteger(n) && n >= 1 && n <= max, `a whole number from 1 to ${max}`);

const required = (name: string) =>
  z.string({ error: `${name} is required` }).trim().min(1, `${name} is required`);

const phone = (name: string) =>
  required(name).refine((v) => e164.test(v), { message: `${name} must be an E.164 number such as +14155550100` });

const phoneList = (name: string, min: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const values = list(raw);
      if (values.length < min) ctx.addIssue({ code: 'custom', message: `${name} is required (one or more E.164 numbers, comma separated)` });
      for (const v of values) {
        if (!e164.test(v)) ctx.addIssue({ code: 'custom', message: `${name} has "${v}", which is not an E.164 number such as +14155550100` });
      }
      return values;
    });

const url = (name: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((raw) => (raw === '' ? undefined : raw))
    .refine((v) => v === undefined || URL.canParse(v), { message: `${name} must be a URL` });

const boolFlag = (name: string) =>
  z
    .enum(['true', 'false', '1', '0', ''], { error: `${name} must be true or false` })
    .optional()
    .transform((v) => v === 'true' || v === '1');

const baseSchema = z.object({
  TELNYX_API_KEY: required('TELNYX_API_KEY'),
  TELNYX_PUBLIC_KEY: z.string().trim().optional(),
  TELNYX_BASE_URL: url('TELNYX_BASE_URL').refine((v) => v === undefined || /\/v2\/?$/.test(v), {
    message: 'TELNYX_BASE_URL must end in /v2, for example http://127.0.0.1:4010/v2',
  }),
  TELNYX_CONNECTION_ID: required('TELNYX_CONNECTION_ID'),
  CONFERENCE_NUMBER: phone('CONFERENCE_NUMBER'),
  CONFERENCE_NAME: z.string().trim().optional(),
  TRANSFER_NUMBER: phoneList('TRANSFER_NUMBER', 1),
  TELNYX_VOICE: z.string().trim().optional(),
  UNSAFE_SKIP_SIGNATURE_CHECK: boolFlag('UNSAFE_SKIP_SIGNATURE_CHECK'),
  SENTIMENT_SOURCE: z.enum(['symbl', 'telnyx', ''], { error: 'SENTIMENT_SOURCE must be symbl or telnyx' }).optional(),
  SYMBL_APP_ID: z.string().trim().optional(),
  SYMBL_APP_SECRET: z.string().trim().optional(),
  SYMBL_BASE_URL: url('SYMBL_BASE_URL'),
  SYMBL_NUMBER: phoneList('SYMBL_NUMBER', 0),
  SYMBL_SUMMARY_EMAILS: z.string().optional().transform(list),
  SENTIMENT_THRESHOLD: polarity('SENTIMENT_THRESHOLD', -0.7),
  SENTIMENT_WINDOW_SIZE: positiveInt('SENTIMENT_WINDOW_SIZE', 3, 50),
  SENTIMENT_WINDOW_THRESHOLD: polarity('SENTIMENT_WINDOW_THRESHOLD', -0.45),
  SENTIMENT_STREAK_LENGTH: positiveInt('SENTIMENT_STREAK_LENGTH', 3, 50),
  SENTIMENT_NEGATIVE_BELOW: polarity('SENTIMENT_NEGATIVE_BELOW', -0.3),
  POLL_INTERVAL_SECONDS: positiveInt('POLL_INTERVAL_SECONDS', 1, 900),
  ANALYZER_JOIN_TIMEOUT_SECONDS: positiveInt('ANALYZER_JOIN_TIMEOUT_SECONDS', 10, 900),
  OPERATOR_RING_TIMEOUT_SECONDS: number('OPERATOR_RING_TIMEOUT_SECONDS', 30, (n) => Number.isInteger(n) && n >= 5 && n <= 600, 'a whole number from 5 to 600'),
  MAX_CALL_AGE_SECONDS: positiveInt('MAX_CALL_AGE_SECONDS', 4 * 3600),
  RETENTION_DAYS: positiveInt('RETENTION_DAYS', 30, 3650),
  TABLE_NAME: required('TABLE_NAME'),
  POLL_QUEUE_URL: url('POLL_QUEUE_URL'),
});

/** What `loadConfig` needs: the whole product, or only what one function uses. */
export interface LoadOptions {
  /** The poll queue must be set (both functions send to it; the local stack provides one). */
  readonly requireQueue?: boolean;
}

/**
 * Parses the environment once, at the edge. Every problem is reported at once, each naming
 * the variable and what was wrong, so a misconfigured deploy fails on its first cold start.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, options: LoadOptions = {}): Config {
  const parsed = baseSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => issue.message));
  }
  const v = parsed.data;
  const problems: string[] = [];

  const symblConfigured = Boolean(v.SYMBL_APP_ID && v.SYMBL_APP_SECRET);
  const sentimentSource: SentimentSourceName =
    v.SENTIMENT_SOURCE === 'symbl' || v.SENTIMENT_SOURCE === 'telnyx'
      ? v.SENTIMENT_SOURCE
      : symblConfigured
        ? 'symbl'
        : 'telnyx';
  if (sentimentSource === 'symbl') {
    if (!v.SYMBL_APP_ID) problems.push('SYMBL_APP_ID is required when SENTIMENT_SOURCE is symbl');
    if (!v.SYMBL_APP_SECRET) problems.push('SYMBL_APP_SECRET is required when SENTIMENT_SOURCE is symbl');
    if (v.SYMBL_NUMBER.length === 0) problems.push('SYMBL_NUMBER is required when SENTIMENT_SOURCE is symbl (the number Symbl calls from)');
  }
  if (!v.UNSAFE_SKIP_SIGNATURE_CHECK) {
    const key = v.TELNYX_PUBLIC_KEY ?? '';
    if (key === '') problems.push('TELNYX_PUBLIC_KEY is required (base64 Ed25519 key from the Telnyx portal); set UNSAFE_SKIP_SIGNATURE_CHECK=true only for local experiments');
    else if (Buffer.from(key, 'base64').length !== 32) problems.push('TELNYX_PUBLIC_KEY must be the base64 of a raw 32-byte Ed25519 public key (not PEM)');
  }
  if (options.requireQueue && !v.POLL_QUEUE_URL) problems.push('POLL_QUEUE_URL is required');
  if (v.SENTIMENT_WINDOW_THRESHOLD < v.SENTIMENT_THRESHOLD) {
    problems.push('SENTIMENT_WINDOW_THRESHOLD must not be below SENTIMENT_THRESHOLD (the window rule would never fire first)');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    telnyx: {
      apiKey: v.TELNYX_API_KEY,
      publicKey: v.TELNYX_PUBLIC_KEY ?? '',
      baseUrl: v.TELNYX_BASE_URL,
      connectionId: v.TELNYX_CONNECTION_ID,
      conferenceNumber: v.CONFERENCE_NUMBER,
      conferenceNamePrefix: v.CONFERENCE_NAME || 'sentiment-ivr',
      transferNumbers: v.TRANSFER_NUMBER,
      verifySignatures: !v.UNSAFE_SKIP_SIGNATURE_CHECK,
      voice: v.TELNYX_VOICE || 'AWS.Polly.Joanna-Neural',
    },
    sentimentSource,
    symbl:
      sentimentSource === 'symbl'
        ? {
            appId: v.SYMBL_APP_ID ?? '',
            appSecret: v.SYMBL_APP_SECRET ?? '',
            baseUrl: (v.SYMBL_BASE_URL ?? 'https://api.symbl.ai').replace(/\/+$/, ''),
            numbers: v.SYMBL_NUMBER,
            summaryEmails: v.SYMBL_SUMMARY_EMAILS,
          }
        : undefined,
    policy: {
      utteranceThreshold: v.SENTIMENT_THRESHOLD,
      windowSize: v.SENTIMENT_WINDOW_SIZE,
      windowThreshold: v.SENTIMENT_WINDOW_THRESHOLD,
      streakLength: v.SENTIMENT_STREAK_LENGTH,
      negativeBelow: v.SENTIMENT_NEGATIVE_BELOW,
    },
    pollIntervalSeconds: v.POLL_INTERVAL_SECONDS,
    analyzerJoinTimeoutSeconds: v.ANALYZER_JOIN_TIMEOUT_SECONDS,
    operatorRingTimeoutSeconds: v.OPERATOR_RING_TIMEOUT_SECONDS,
    maxCallAgeSeconds: v.MAX_CALL_AGE_SECONDS,
    retentionDays: v.RETENTION_DAYS,
    tableName: v.TABLE_NAME,
    pollQueueUrl: v.POLL_QUEUE_URL,
  };
}
