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
  /** One line: what it means. */
  readonly meaning: string;
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
  TELNYX_API_KEY: { use: 'functions', rule: text, required: true, secret: true, prop: 'telnyxApiKey', meaning: 'Telnyx API key' },
  TELNYX_PUBLIC_KEY: {
    use: 'functions',
    rule: text,
    // Not a secret: it only verifies. A plain setting, so a forged webhook is refused before any network call, cold start included.
    prop: 'telnyxPublicKey',
    meaning: 'base64 Ed25519 public key from the portal (Keys & Credentials) that webhook signatures are checked with; required unless `UNSAFE_SKIP_SIGNATURE_CHECK`',
  },
  TELNYX_BASE_URL: {
    use: 'functions',
    rule: url({ endsWith: '/v2', example: 'http://127.0.0.1:4010/v2' }),
    prop: 'telnyxBaseUrl',
    whenUnset: "the SDK's",
    meaning: "the Telnyx SDK's API base (a simulator, say)",
  },
  TELNYX_CONNECTION_ID: {
    use: 'functions',
    rule: text,
    required: true,
    prop: 'telnyxConnectionId',
    workshopName: 'CONNECTION_ID',
    meaning: "the Call Control application's id",
  },
  CONFERENCE_NUMBER: {
    use: 'functions',
    rule: e164,
    required: true,
    prop: 'conferenceNumber',
    meaning: 'our Telnyx number: customers call it, Symbl dials into it, operators see it',
  },
  CONFERENCE_NAME: { use: 'functions', rule: text, default: 'sentiment-ivr', prop: 'conferenceName', meaning: "prefix of each call's conference name" },
  TRANSFER_NUMBER: {
    use: 'functions',
    rule: e164List,
    required: true,
    prop: 'transferNumbers',
    meaning: 'operator numbers, tried in order on no answer',
  },
  TELNYX_VOICE: { use: 'functions', rule: text, default: 'AWS.Polly.Joanna-Neural', meaning: 'the text-to-speech voice of the menu' },
  UNSAFE_SKIP_SIGNATURE_CHECK: {
    use: 'functions',
    rule: flag,
    default: false,
    meaning: '`true` turns webhook signature checks off: local experiments only, never deployed',
  },
  SENTIMENT_SOURCE: {
    use: 'functions',
    rule: oneOf(['symbl', 'telnyx']),
    prop: 'sentimentSource',
    whenUnset: 'Symbl when its app is configured, else Telnyx',
    meaning: "where the customer's scored speech comes from",
  },
  SYMBL_APP_ID: { use: 'functions', rule: text, prop: 'symblAppId', workshopName: 'APP_ID', meaning: 'Symbl app id (required for the Symbl source)' },
  SYMBL_APP_SECRET: {
    use: 'functions',
    rule: text,
    secret: true,
    prop: 'symblAppSecret',
    workshopName: 'APP_SECRET',
    meaning: 'Symbl app secret (required for the Symbl source)',
  },
  SYMBL_BASE_URL: { use: 'functions', rule: url(), default: 'https://api.symbl.ai', prop: 'symblBaseUrl', meaning: 'Symbl API base' },
  SYMBL_NUMBER: {
    use: 'functions',
    rule: e164List,
    prop: 'symblNumbers',
    meaning: 'the number(s) Symbl calls from (required for the Symbl source)',
  },
  SYMBL_SUMMARY_EMAILS: {
    use: 'functions',
    rule: textList,
    prop: 'symblSummaryEmails',
    whenUnset: 'nobody',
    meaning: "who gets Symbl's summary after each call",
  },
  SENTIMENT_THRESHOLD: {
    use: 'functions',
    rule: polarity,
    default: -0.7,
    prop: 'sentimentThreshold',
    meaning: 'one utterance at or below this escalates',
  },
  SENTIMENT_WINDOW_SIZE: { use: 'functions', rule: wholeNumber(1, 50), default: 3, meaning: 'how many recent utterances the rolling mean covers' },
  SENTIMENT_WINDOW_THRESHOLD: {
    use: 'functions',
    rule: polarity,
    default: -0.45,
    meaning: 'the rolling mean at or below this escalates, once the window is full; not below `SENTIMENT_THRESHOLD`',
  },
  SENTIMENT_STREAK_LENGTH: { use: 'functions', rule: wholeNumber(1, 50), default: 3, meaning: 'this many negative utterances in a row escalate' },
  SENTIMENT_NEGATIVE_BELOW: {
    use: 'functions',
    rule: polarity,
    default: -0.3,
    meaning: 'an utterance at or below this counts as negative for the streak',
  },
  POLL_INTERVAL_SECONDS: {
    use: 'functions',
    // SQS DelaySeconds, which spaces the polls, is at most 900.
    rule: wholeNumber(1, 900),
    default: 1,
    prop: 'pollIntervalSeconds',
    meaning: 'seconds between sentiment polls of a live call',
  },
  ANALYZER_JOIN_TIMEOUT_SECONDS: {
    use: 'functions',
    rule: wholeNumber(1, 900),
    default: 10,
    meaning: 'seconds to wait for the analyzer to join before the menu plays without it',
  },
  OPERATOR_RING_TIMEOUT_SECONDS: {
    use: 'functions',
    rule: wholeNumber(5, 600),
    default: 30,
    meaning: "seconds an operator's phone rings before the next number is tried",
  },
  OPERATOR_SCREENING: {
    use: 'functions',
    rule: oneOf(['either', 'human', 'keypress', 'both']),
    default: 'either',
    prop: 'operatorScreening',
    meaning:
      'what an answered operator leg needs before it joins the customer: `either` (pressed 1, or machine detection says a person and the briefing played), `human` (machine detection says a person), `keypress` (pressed 1), `both`',
  },
  OPERATOR_MACHINE_DETECTION: {
    use: 'functions',
    rule: oneOf(['detect', 'premium', 'disabled']),
    default: 'detect',
    prop: 'operatorMachineDetection',
    meaning: "Telnyx's answering-machine detection on operator dials (`premium` is billed extra); a machine never reaches the customer",
  },
  OPERATOR_ACCEPT_TIMEOUT_SECONDS: {
    use: 'functions',
    rule: wholeNumber(5, 600),
    default: 30,
    meaning: 'seconds an answered operator has to take the call before the next number is tried',
  },
  SESSION_CHECK_SECONDS: {
    use: 'functions',
    // SQS DelaySeconds, which spaces the checks, is at most 900.
    rule: wholeNumber(5, 900),
    default: 300,
    meaning: "seconds between the backstop's looks at a live call: one quiet that long is checked with Telnyx, one past `MAX_CALL_AGE_SECONDS` is closed",
  },
  MAX_CALL_AGE_SECONDS: {
    use: 'functions',
    rule: wholeNumber(1, 86_400 * 30),
    default: 4 * 3600,
    meaning: "calls older than this are closed by the backstop (4 h: Telnyx's conference limit)",
  },
  RETENTION_DAYS: {
    use: 'functions',
    rule: wholeNumber(1, 3650),
    default: 30,
    meaning: 'days session records are kept after their last write (the TTL)',
  },
  TABLE_NAME: { use: 'functions', rule: text, required: true, meaning: 'the call sessions table: set by the stack (and by `npm start`)' },
  POLL_QUEUE_URL: { use: 'functions', rule: url(), meaning: 'the poll queue: set by the stack (and by `npm start`)' },

  LOG_LEVEL: {
    use: 'stack',
    rule: oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR']),
    default: 'INFO',
    prop: 'logLevel',
    meaning: "the functions' Powertools log level",
  },
  ALARM_EMAIL: {
    use: 'stack',
    rule: text,
    prop: 'alarmEmail',
    whenUnset: 'no subscription',
    meaning: 'subscribed to the alarm topic (confirm the email SNS sends)',
  },
  APP_SECRET_ARN: {
    use: 'stack',
    rule: text,
    prop: 'appSecretArn',
    whenUnset: 'the stack creates the secret',
    meaning:
      'complete ARN (with its 6-character suffix) of an existing secret to use instead, to keep credentials outside the stack or share them between stages; the functions get the ARN of the secret in use under this name',
  },
  FAILOVER_WEBHOOK_URL: {
    use: 'stack',
    rule: url(),
    prop: 'failoverWebhookUrl',
    whenUnset: "this stack's webhook URL",
    meaning: "shown as `WebhookFailoverUrl`, where Telnyx retries a failed delivery: a second region's deployment, when there is one",
  },
  WEBHOOK_RATE_LIMIT: {
    use: 'stack',
    rule: wholeNumber(1, 10_000),
    default: 100,
    prop: 'webhookRateLimit',
    meaning: 'requests per second the webhook API accepts before answering 429',
  },
  WEBHOOK_BURST_LIMIT: {
    use: 'stack',
    rule: wholeNumber(1, 10_000),
    default: 200,
    prop: 'webhookBurstLimit',
    meaning: 'requests the webhook API accepts at once before answering 429',
  },
  STACK_NAME: { use: 'stack', rule: text, default: 'SentimentIvr', meaning: "the CloudFormation stack's name" },

  PORT: { use: 'local', rule: wholeNumber(1, 65_535), default: 3000, meaning: "`npm start`'s webhook port" },
  DYNAMODB_PORT: { use: 'local', rule: wholeNumber(1, 65_535), whenUnset: 'a free port', meaning: "`npm start`'s DynamoDB Local port" },
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
