import * as z from 'zod/mini';
import type { OperatorScreening, PolicySettings, SentimentSourceName } from './core/model.js';
import { parsePolicyJson, type PolicyFileResult } from './settings/policy-file.js';
import { readSettings, type SettingValues } from './settings/table.js';

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
  /** Calls older than this are closed by the backstop. */
  readonly maxCallAgeSeconds: number;
  readonly operators: {
    readonly screening: OperatorScreening;
    /** Telnyx's answering-machine detection mode on operator dials. */
    readonly machineDetection: 'detect' | 'premium' | 'disabled';
    readonly acceptTimeoutSeconds: number;
  };
  /** Seconds between the backstop's looks at a live session. */
  readonly sessionCheckSeconds: number;
  /** A second policy judged beside the live one and recorded, never acted on. */
  readonly shadowPolicy: PolicySettings | undefined;
  /** What scores Telnyx transcripts. */
  readonly scorer: 'local' | 'comprehend';
  /** How long session records are kept after their last write. */
  readonly retentionDays: number;
  readonly tableName: string;
  readonly pollQueueUrl: string | undefined;
}

/** Every variable arrives as an optional string; the settings table gives each its meaning. */
const rawEnvironment = z.record(z.string(), z.optional(z.string()));

/** The functions' settings as read, each defaulted by the table. */
export type FunctionSettings = SettingValues<'functions'>;

/** What `loadConfig` needs: the whole product, or only what one function uses. */
export interface LoadOptions {
  /** The poll queue must be set (both functions send to it; the local stack provides one). */
  readonly requireQueue?: boolean;
}

/** What the rules between settings may rely on. */
export interface CrossFieldOptions extends LoadOptions {
  /**
   * Whether the secret's values are known: at synth time they are not (they live in Secrets
   * Manager), so the rules on them wait for the functions' first cold start.
   */
  readonly secretsKnown: boolean;
}

/** The rule a sentiment source is chosen by: as told, else Symbl when its app is configured. */
function chosenSource(settings: FunctionSettings, secretsKnown: boolean): SentimentSourceName | undefined {
  if (settings.SENTIMENT_SOURCE !== undefined) return settings.SENTIMENT_SOURCE;
  if (!secretsKnown) return undefined;
  return settings.SYMBL_APP_ID && settings.SYMBL_APP_SECRET ? 'symbl' : 'telnyx';
}

/** The rules between settings: the source's needs, the signature key, the queue, the policy's order. */
export function crossFieldProblems(settings: FunctionSettings, options: CrossFieldOptions): string[] {
  const problems: string[] = [];
  if (chosenSource(settings, options.secretsKnown) === 'symbl') {
    if (!settings.SYMBL_APP_ID) problems.push('SYMBL_APP_ID is required when SENTIMENT_SOURCE is symbl');
    if (options.secretsKnown && !settings.SYMBL_APP_SECRET) problems.push('SYMBL_APP_SECRET is required when SENTIMENT_SOURCE is symbl');
    if (!settings.SYMBL_NUMBER?.length) problems.push('SYMBL_NUMBER is required when SENTIMENT_SOURCE is symbl (the number Symbl calls from)');
  }
  if (!settings.UNSAFE_SKIP_SIGNATURE_CHECK) {
    const publicKey = settings.TELNYX_PUBLIC_KEY ?? '';
    if (publicKey === '') {
      problems.push('TELNYX_PUBLIC_KEY is required (base64 Ed25519 key from the Telnyx portal); set UNSAFE_SKIP_SIGNATURE_CHECK=true only for local experiments');
    } else if (Buffer.from(publicKey, 'base64').length !== 32) {
      problems.push('TELNYX_PUBLIC_KEY must be the base64 of a raw 32-byte Ed25519 public key (not PEM)');
    }
  }
  if (options.requireQueue && !settings.POLL_QUEUE_URL) problems.push('POLL_QUEUE_URL is required');
  if (settings.OPERATOR_MACHINE_DETECTION === 'disabled' && (settings.OPERATOR_SCREENING === 'human' || settings.OPERATOR_SCREENING === 'both')) {
    problems.push(`OPERATOR_SCREENING=${settings.OPERATOR_SCREENING} needs answering-machine detection, but OPERATOR_MACHINE_DETECTION is disabled`);
  }
  if (settings.SENTIMENT_WINDOW_THRESHOLD < settings.SENTIMENT_THRESHOLD) {
    problems.push('SENTIMENT_WINDOW_THRESHOLD must not be below SENTIMENT_THRESHOLD (the window rule would never fire first)');
  }
  const shadow = shadowPolicy(settings);
  if (shadow && 'problems' in shadow) problems.push(...shadow.problems);
  return problems;
}

function livePolicy(s: FunctionSettings): PolicySettings {
  return {
    utteranceThreshold: s.SENTIMENT_THRESHOLD,
    windowSize: s.SENTIMENT_WINDOW_SIZE,
    windowThreshold: s.SENTIMENT_WINDOW_THRESHOLD,
    streakLength: s.SENTIMENT_STREAK_LENGTH,
    negativeBelow: s.SENTIMENT_NEGATIVE_BELOW,
  };
}

/** `SHADOW_POLICY` read over the live policy, when it is set. */
function shadowPolicy(s: FunctionSettings): PolicyFileResult | undefined {
  return s.SHADOW_POLICY === undefined ? undefined : parsePolicyJson(s.SHADOW_POLICY, livePolicy(s), 'SHADOW_POLICY');
}

/**
 * Parses the environment once, at the edge, through the settings table. Every problem is
 * reported at once, each naming the variable and what was wrong, so a misconfigured deploy
 * fails on its first cold start.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, options: LoadOptions = {}): Config {
  const shape = rawEnvironment.safeParse(env);
  if (!shape.success) throw new ConfigError(['The environment must map names to strings']);
  const { values: s, problems } = readSettings('functions', shape.data);
  problems.push(...crossFieldProblems(s, { ...options, secretsKnown: true }));
  if (problems.length > 0) throw new ConfigError(problems);
  const policy = livePolicy(s);
  const shadow = shadowPolicy(s);

  const sentimentSource = chosenSource(s, true) ?? 'telnyx';
  return {
    telnyx: {
      apiKey: s.TELNYX_API_KEY,
      publicKey: s.TELNYX_PUBLIC_KEY ?? '',
      baseUrl: s.TELNYX_BASE_URL,
      connectionId: s.TELNYX_CONNECTION_ID,
      conferenceNumber: s.CONFERENCE_NUMBER,
      conferenceNamePrefix: s.CONFERENCE_NAME,
      transferNumbers: s.TRANSFER_NUMBER,
      verifySignatures: !s.UNSAFE_SKIP_SIGNATURE_CHECK,
      voice: s.TELNYX_VOICE,
    },
    sentimentSource,
    symbl:
      sentimentSource === 'symbl'
        ? {
            appId: s.SYMBL_APP_ID ?? '',
            appSecret: s.SYMBL_APP_SECRET ?? '',
            baseUrl: s.SYMBL_BASE_URL.replace(/\/+$/, ''),
            numbers: s.SYMBL_NUMBER ?? [],
            summaryEmails: s.SYMBL_SUMMARY_EMAILS ?? [],
          }
        : undefined,
    policy,
    pollIntervalSeconds: s.POLL_INTERVAL_SECONDS,
    analyzerJoinTimeoutSeconds: s.ANALYZER_JOIN_TIMEOUT_SECONDS,
    operatorRingTimeoutSeconds: s.OPERATOR_RING_TIMEOUT_SECONDS,
    maxCallAgeSeconds: s.MAX_CALL_AGE_SECONDS,
    operators: { screening: s.OPERATOR_SCREENING, machineDetection: s.OPERATOR_MACHINE_DETECTION, acceptTimeoutSeconds: s.OPERATOR_ACCEPT_TIMEOUT_SECONDS },
    sessionCheckSeconds: s.SESSION_CHECK_SECONDS,
    shadowPolicy: shadow && 'policy' in shadow ? shadow.policy : undefined,
    scorer: s.SENTIMENT_SCORER,
    retentionDays: s.RETENTION_DAYS,
    tableName: s.TABLE_NAME,
    pollQueueUrl: s.POLL_QUEUE_URL,
  };
}

/** What the call record API reads: the table, and the policy lines its chart draws. */
export interface CallsConfig {
  readonly tableName: string;
  readonly policy: PolicySettings;
  /** `SHADOW_POLICY`, when set: the chart draws its lines too. */
  readonly shadowPolicy?: PolicySettings;
}

/** The live policy and the shadow one, from the environment alone (for the call record API and for replay). */
export function loadPolicies(env: Readonly<Record<string, string | undefined>>): { policy: PolicySettings; shadowPolicy?: PolicySettings } {
  const { values: s, problems } = readSettings('functions', env);
  const shadow = shadowPolicy(s);
  const relevant = [...problems.filter((p) => /^(SENTIMENT_|SHADOW_POLICY)/.test(p)), ...(shadow && 'problems' in shadow ? shadow.problems : [])];
  if (s.SENTIMENT_WINDOW_THRESHOLD < s.SENTIMENT_THRESHOLD) relevant.push('SENTIMENT_WINDOW_THRESHOLD must not be below SENTIMENT_THRESHOLD (the window rule would never fire first)');
  if (relevant.length > 0) throw new ConfigError(relevant);
  return { policy: livePolicy(s), ...(shadow && 'policy' in shadow ? { shadowPolicy: shadow.policy } : {}) };
}

/** Parses the call record API's settings, through the same table and with the same problems as `loadConfig`. */
export function loadCallsConfig(env: Readonly<Record<string, string | undefined>>): CallsConfig {
  const { values: s, problems } = readSettings('functions', env);
  const tableProblems = problems.filter((p) => p.startsWith('TABLE_NAME'));
  if (tableProblems.length > 0) throw new ConfigError(tableProblems);
  return { tableName: s.TABLE_NAME, ...loadPolicies(env) };
}
