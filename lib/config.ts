import * as z from 'zod/mini';
import type { PolicySettings, SentimentSourceName } from './core/model.js';

/** Thrown when the environment does not describe a runnable product; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type { PolicySettings, SentimentSourceName };

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
  readonly policy: PolicySettings;
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

/** Every variable arrives as an optional string; the readers below give each its meaning. */
const rawEnvironment = z.record(z.string(), z.optional(z.string()));

/** Reads variables one by one, collecting every problem instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is required`);
    return value ?? '';
  }

  phone(name: string): string {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is required`);
    else if (!e164.test(value)) this.problems.push(`${name} must be an E.164 number such as +14155550100`);
    return value ?? '';
  }

  phones(name: string, min: number): string[] {
    const values = list(this.env[name]);
    if (values.length < min) this.problems.push(`${name} is required (one or more E.164 numbers, comma separated)`);
    for (const v of values) {
      if (!e164.test(v)) this.problems.push(`${name} has "${v}", which is not an E.164 number such as +14155550100`);
    }
    return values;
  }

  url(name: string): string | undefined {
    const value = this.optional(name);
    if (value !== undefined && !URL.canParse(value)) this.problems.push(`${name} must be a URL`);
    return value;
  }

  flag(name: string): boolean {
    const value = this.optional(name);
    if (value !== undefined && !['true', 'false', '1', '0'].includes(value)) this.problems.push(`${name} must be true or false`);
    return value === 'true' || value === '1';
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], message: string): T | undefined {
    const value = this.optional(name);
    if (value !== undefined && !allowed.includes(value as T)) this.problems.push(message);
    return allowed.includes(value as T) ? (value as T) : undefined;
  }

  number(name: string, fallback: number, check: (n: number) => boolean, rule: string): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed) || !check(parsed)) {
      this.problems.push(`${name} must be ${rule}, got "${raw}"`);
      return fallback;
    }
    return parsed;
  }

  polarity(name: string, fallback: number): number {
    return this.number(name, fallback, (n) => n >= -1 && n <= 1, 'a number from -1 to 1');
  }

  wholeNumber(name: string, fallback: number, min = 1, max = 86_400 * 30): number {
    return this.number(name, fallback, (n) => Number.isInteger(n) && n >= min && n <= max, `a whole number from ${min} to ${max}`);
  }
}

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
  const shape = rawEnvironment.safeParse(env);
  if (!shape.success) throw new ConfigError(['The environment must map names to strings']);
  const r = new Reader(shape.data);

  const apiKey = r.required('TELNYX_API_KEY');
  const publicKey = r.optional('TELNYX_PUBLIC_KEY') ?? '';
  const baseUrl = r.url('TELNYX_BASE_URL');
  if (baseUrl !== undefined && URL.canParse(baseUrl) && !/\/v2\/?$/.test(baseUrl)) {
    r.problems.push('TELNYX_BASE_URL must end in /v2, for example http://127.0.0.1:4010/v2');
  }
  const connectionId = r.required('TELNYX_CONNECTION_ID');
  const conferenceNumber = r.phone('CONFERENCE_NUMBER');
  const transferNumbers = r.phones('TRANSFER_NUMBER', 1);
  const skipSignatures = r.flag('UNSAFE_SKIP_SIGNATURE_CHECK');
  const requestedSource = r.oneOf('SENTIMENT_SOURCE', ['symbl', 'telnyx'] as const, 'SENTIMENT_SOURCE must be symbl or telnyx');
  const symblAppId = r.optional('SYMBL_APP_ID');
  const symblAppSecret = r.optional('SYMBL_APP_SECRET');
  const symblBaseUrl = r.url('SYMBL_BASE_URL');
  const symblNumbers = r.phones('SYMBL_NUMBER', 0);
  const policy: PolicySettings = {
    utteranceThreshold: r.polarity('SENTIMENT_THRESHOLD', -0.7),
    windowSize: r.wholeNumber('SENTIMENT_WINDOW_SIZE', 3, 1, 50),
    windowThreshold: r.polarity('SENTIMENT_WINDOW_THRESHOLD', -0.45),
    streakLength: r.wholeNumber('SENTIMENT_STREAK_LENGTH', 3, 1, 50),
    negativeBelow: r.polarity('SENTIMENT_NEGATIVE_BELOW', -0.3),
  };
  const pollIntervalSeconds = r.wholeNumber('POLL_INTERVAL_SECONDS', 1, 1, 900);
  const analyzerJoinTimeoutSeconds = r.wholeNumber('ANALYZER_JOIN_TIMEOUT_SECONDS', 10, 1, 900);
  const operatorRingTimeoutSeconds = r.wholeNumber('OPERATOR_RING_TIMEOUT_SECONDS', 30, 5, 600);
  const maxCallAgeSeconds = r.wholeNumber('MAX_CALL_AGE_SECONDS', 4 * 3600);
  const retentionDays = r.wholeNumber('RETENTION_DAYS', 30, 1, 3650);
  const tableName = r.required('TABLE_NAME');
  const pollQueueUrl = r.url('POLL_QUEUE_URL');

  const symblConfigured = Boolean(symblAppId && symblAppSecret);
  const sentimentSource: SentimentSourceName = requestedSource ?? (symblConfigured ? 'symbl' : 'telnyx');
  if (sentimentSource === 'symbl') {
    if (!symblAppId) r.problems.push('SYMBL_APP_ID is required when SENTIMENT_SOURCE is symbl');
    if (!symblAppSecret) r.problems.push('SYMBL_APP_SECRET is required when SENTIMENT_SOURCE is symbl');
    if (symblNumbers.length === 0) r.problems.push('SYMBL_NUMBER is required when SENTIMENT_SOURCE is symbl (the number Symbl calls from)');
  }
  if (!skipSignatures) {
    if (publicKey === '') {
      r.problems.push('TELNYX_PUBLIC_KEY is required (base64 Ed25519 key from the Telnyx portal); set UNSAFE_SKIP_SIGNATURE_CHECK=true only for local experiments');
    } else if (Buffer.from(publicKey, 'base64').length !== 32) {
      r.problems.push('TELNYX_PUBLIC_KEY must be the base64 of a raw 32-byte Ed25519 public key (not PEM)');
    }
  }
  if (options.requireQueue && !pollQueueUrl) r.problems.push('POLL_QUEUE_URL is required');
  if (policy.windowThreshold < policy.utteranceThreshold) {
    r.problems.push('SENTIMENT_WINDOW_THRESHOLD must not be below SENTIMENT_THRESHOLD (the window rule would never fire first)');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);

  return {
    telnyx: {
      apiKey,
      publicKey,
      baseUrl,
      connectionId,
      conferenceNumber,
      conferenceNamePrefix: r.optional('CONFERENCE_NAME') ?? 'sentiment-ivr',
      transferNumbers,
      verifySignatures: !skipSignatures,
      voice: r.optional('TELNYX_VOICE') ?? 'AWS.Polly.Joanna-Neural',
    },
    sentimentSource,
    symbl:
      sentimentSource === 'symbl'
        ? {
            appId: symblAppId ?? '',
            appSecret: symblAppSecret ?? '',
            baseUrl: (symblBaseUrl ?? 'https://api.symbl.ai').replace(/\/+$/, ''),
            numbers: symblNumbers,
            summaryEmails: list(r.optional('SYMBL_SUMMARY_EMAILS')),
          }
        : undefined,
    policy,
    pollIntervalSeconds,
    analyzerJoinTimeoutSeconds,
    operatorRingTimeoutSeconds,
    maxCallAgeSeconds,
    retentionDays,
    tableName,
    pollQueueUrl,
  };
}
