/**
 * Every named setting of the product, once: its environment variable, rule, default, whether
 * it is a secret, how the stack hands it to the functions, and what it means. The functions'
 * config (lib/config.ts), the CDK app and stack (infra/), `npm start` and README.md's settings
 * tables all read it from here. Plain data: nothing here reads the environment.
 */
import {
  e164,
  e164List,
  flag,
  oneOf,
  type Parsed,
  type Parser,
  polarity,
  type RequirableParser,
  text,
  textList,
  url,
  wholeNumber,
} from './parsers.js';

/**
 * Who reads a setting: the product's config (the deployed functions, and `npm start`), the CDK
 * app alone (the stack's own knobs), or `npm start` alone.
 */
export type SettingUse = 'functions' | 'stack' | 'local';

interface Columns {
  readonly use: SettingUse;
  /** The value when unset, in the parsed form (`-0.7`, not `'-0.7'`). */
  readonly default?: string | number | boolean;
  /** What unset means where there is no default value, in words. */
  readonly whenUnset?: string;
  /**
   * In AWS, read from the one Secrets Manager secret: never a stack prop, never an
   * environment variable, never in the template.
   */
  readonly secret?: true;
  /**
   * The stack prop (and CDK context key: the variable's name) it is set with. For the
   * functions' settings the stack passes it on as an environment variable, unless `secret`,
   * when the functions read it from the secret instead and the prop does not exist. Without
   * a prop a functions' setting is not deployed: the functions use its default.
   */
  readonly prop?: string;
  /** The name the original workshop's `.env` used (`npm start` still accepts it). */
  readonly workshopName?: string;
}

/** One row of the table. */
export type SettingSpec = Columns &
  (
    | { readonly rule: RequirableParser<unknown>; readonly required: true }
    | { readonly rule: Parser<unknown>; readonly required?: never }
  );

/** Ordered as the functions' config reports problems. */
export const settingsTable = {
  TELNYX_API_KEY: { use: 'functions', rule: text, required: true, secret: true, prop: 'telnyxApiKey' },
  TELNYX_PUBLIC_KEY: {
    use: 'functions',
    rule: text,
    // Not a secret: it only verifies. A plain setting, so a forged webhook is refused before any network call, cold start included.
    prop: 'telnyxPublicKey',
  },
  TELNYX_BASE_URL: {
    use: 'functions',
    rule: url({ endsWith: '/v2', example: 'http://127.0.0.1:4010/v2' }),
    prop: 'telnyxBaseUrl',
    whenUnset: "the SDK's",
  },
  TELNYX_CONNECTION_ID: {
    use: 'functions',
    rule: text,
    required: true,
    prop: 'telnyxConnectionId',
    workshopName: 'CONNECTION_ID',
  },
  CONFERENCE_NUMBER: {
    use: 'functions',
    rule: e164,
    required: true,
    prop: 'conferenceNumber',
  },
  CONFERENCE_NAME: { use: 'functions', rule: text, default: 'sentiment-ivr', prop: 'conferenceName' },
  TRANSFER_NUMBER: {
    use: 'functions',
    rule: e164List,
    required: true,
    prop: 'transferNumbers',
  },
  TELNYX_VOICE: { use: 'functions', rule: text, default: 'AWS.Polly.Joanna-Neural' },
  UNSAFE_SKIP_SIGNATURE_CHECK: {
    use: 'functions',
    rule: flag,
    default: false,
  },
  SENTIMENT_SOURCE: {
    use: 'functions',
    rule: oneOf(['symbl', 'telnyx']),
    prop: 'sentimentSource',
    whenUnset: 'Symbl when its app is configured, else Telnyx',
  },
  SYMBL_APP_ID: { use: 'functions', rule: text, prop: 'symblAppId', workshopName: 'APP_ID' },
  SYMBL_APP_SECRET: {
    use: 'functions',
    rule: text,
    secret: true,
    prop: 'symblAppSecret',
    workshopName: 'APP_SECRET',
  },
  SYMBL_BASE_URL: { use: 'functions', rule: url(), default: 'https://api.symbl.ai', prop: 'symblBaseUrl' },
  SYMBL_NUMBER: {
    use: 'functions',
    rule: e164List,
    prop: 'symblNumbers',
  },
  SYMBL_SUMMARY_EMAILS: {
    use: 'functions',
    rule: textList,
    prop: 'symblSummaryEmails',
    whenUnset: 'nobody',
  },
  SENTIMENT_THRESHOLD: {
    use: 'functions',
    rule: polarity,
    default: -0.7,
    prop: 'sentimentThreshold',
  },
  SENTIMENT_WINDOW_SIZE: { use: 'functions', rule: wholeNumber(1, 50), default: 3, prop: 'sentimentWindowSize' },
  SENTIMENT_WINDOW_THRESHOLD: {
    use: 'functions',
    rule: polarity,
    default: -0.45,
    prop: 'sentimentWindowThreshold',
  },
  SENTIMENT_STREAK_LENGTH: { use: 'functions', rule: wholeNumber(1, 50), default: 3, prop: 'sentimentStreakLength' },
  SENTIMENT_NEGATIVE_BELOW: {
    use: 'functions',
    rule: polarity,
    default: -0.3,
    prop: 'sentimentNegativeBelow',
  },
  SHADOW_POLICY: {
    use: 'functions',
    rule: text,
    prop: 'shadowPolicy',
    whenUnset: 'none',
  },
  SENTIMENT_SCORER: {
    use: 'functions',
    rule: oneOf(['local', 'comprehend']),
    default: 'local',
    prop: 'sentimentScorer',
  },
  POLL_INTERVAL_SECONDS: {
    use: 'functions',
    // SQS DelaySeconds, which spaces the polls, is at most 900.
    rule: wholeNumber(1, 900),
    default: 1,
    prop: 'pollIntervalSeconds',
  },
  ANALYZER_JOIN_TIMEOUT_SECONDS: {
    use: 'functions',
    rule: wholeNumber(1, 900),
    default: 10,
    prop: 'analyzerJoinTimeoutSeconds',
  },
  OPERATOR_RING_TIMEOUT_SECONDS: {
    use: 'functions',
    rule: wholeNumber(5, 600),
    default: 30,
    prop: 'operatorRingTimeoutSeconds',
  },
  OPERATOR_SCREENING: {
    use: 'functions',
    rule: oneOf(['either', 'human', 'keypress', 'both']),
    default: 'either',
    prop: 'operatorScreening',
  },
  OPERATOR_MACHINE_DETECTION: {
    use: 'functions',
    rule: oneOf(['detect', 'premium', 'disabled']),
    default: 'detect',
    prop: 'operatorMachineDetection',
  },
  OPERATOR_ACCEPT_TIMEOUT_SECONDS: {
    use: 'functions',
    rule: wholeNumber(5, 600),
    default: 30,
    prop: 'operatorAcceptTimeoutSeconds',
  },
  SESSION_CHECK_SECONDS: {
    use: 'functions',
    // SQS DelaySeconds, which spaces the checks, is at most 900.
    rule: wholeNumber(5, 900),
    default: 300,
  },
  MAX_CALL_AGE_SECONDS: {
    use: 'functions',
    rule: wholeNumber(1, 86_400 * 30),
    default: 4 * 3600,
  },
  RETENTION_DAYS: {
    use: 'functions',
    rule: wholeNumber(1, 3650),
    default: 30,
  },
  TABLE_NAME: { use: 'functions', rule: text, required: true },
  POLL_QUEUE_URL: { use: 'functions', rule: url() },

  LOG_LEVEL: {
    use: 'stack',
    rule: oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR']),
    default: 'INFO',
    prop: 'logLevel',
  },
  ALARM_EMAIL: {
    use: 'stack',
    rule: text,
    prop: 'alarmEmail',
    whenUnset: 'no subscription',
  },
  APP_SECRET_ARN: {
    use: 'stack',
    rule: text,
    prop: 'appSecretArn',
    whenUnset: 'the stack creates the secret',
  },
  FAILOVER_WEBHOOK_URL: {
    use: 'stack',
    rule: url(),
    prop: 'failoverWebhookUrl',
    whenUnset: "this stack's webhook URL",
  },
  // Sized for 1,000 calls at once (about 0.5 to 0.7 webhooks a second each, more while calls are set up): see README "Scaling".
  WEBHOOK_RATE_LIMIT: {
    use: 'stack',
    rule: wholeNumber(1, 10_000),
    default: 1000,
    prop: 'webhookRateLimit',
  },
  WEBHOOK_BURST_LIMIT: {
    use: 'stack',
    rule: wholeNumber(1, 5000),
    default: 2000,
    prop: 'webhookBurstLimit',
  },
  STACK_NAME: { use: 'stack', rule: text, default: 'SentimentIvr' },

  PORT: { use: 'local', rule: wholeNumber(1, 65_535), default: 3000 },
  DYNAMODB_PORT: { use: 'local', rule: wholeNumber(1, 65_535), whenUnset: 'a free port' },
} as const satisfies Record<string, SettingSpec>;

export type SettingsTable = typeof settingsTable;
export type SettingName = keyof SettingsTable;
type Row<N extends SettingName> = SettingsTable[N];

/** What a setting's rule parses its text into. */
export type ParsedValue<N extends SettingName> = Row<N>['rule'] extends Parser<infer T> ? T : never;

/** A setting's value once read: defaulted and required ones are always there. */
export type SettingValue<N extends SettingName> = Row<N> extends { readonly required: true } | { readonly default: unknown }
  ? ParsedValue<N>
  : ParsedValue<N> | undefined;

/** The names of the settings of one use, or with one column set. */
export type NamesWhere<Shape> = { [N in SettingName]: Row<N> extends Shape ? N : never }[SettingName];

/** Every setting of one use, by name. */
export type SettingValues<U extends SettingUse> = { readonly [N in NamesWhere<{ readonly use: U }>]: SettingValue<N> };

export type SecretName = NamesWhere<{ readonly secret: true }>;

/** The rows in table order, for code that walks them (one row's columns, typed loosely). */
export const settingRows = Object.entries(settingsTable) as ReadonlyArray<[SettingName, SettingSpec]>;

/** The keys of the one Secrets Manager secret: the settings marked `secret`, in table order. */
export const secretKeys = settingRows.filter(([, spec]) => spec.secret).map(([name]) => name) as readonly SecretName[];

/**
 * One variable's text, parsed by its row's rule, before any default: blank is unset, which is
 * `undefined`, or a problem when the setting is required.
 */
export function parseSetting<N extends SettingName>(name: N, raw: string | undefined): Parsed<ParsedValue<N>> {
  const spec: SettingSpec = settingsTable[name];
  const trimmed = raw?.trim() ?? '';
  const parsed = trimmed === '' ? { value: undefined, problems: [] } : spec.rule.parse(name, trimmed);
  const unset = parsed.value === undefined || (Array.isArray(parsed.value) && parsed.value.length === 0);
  if (spec.required && unset) {
    return { value: spec.rule.empty, problems: [...parsed.problems, spec.rule.missing?.(name) ?? `${name} is required`] } as Parsed<ParsedValue<N>>;
  }
  return parsed as Parsed<ParsedValue<N>>;
}

/**
 * Reads every setting of one use, each with its default, collecting every problem (each naming
 * its variable) instead of stopping at the first; problems come in table order.
 */
export function readSettings<U extends SettingUse>(
  use: U,
  env: Readonly<Record<string, string | undefined>>,
): { values: SettingValues<U>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, spec] of settingRows) {
    if (spec.use !== use) continue;
    const parsed = parseSetting(name, env[name]);
    values[name] = parsed.value ?? spec.default;
    problems.push(...parsed.problems);
  }
  return { values: values as SettingValues<U>, problems };
}
