import type { SentimentIvrSettings } from './sentiment-ivr-stack.js';

/** Reads one setting by name; infra/app.ts answers from CDK context, then the environment. */
export type SettingLookup = (name: string) => unknown;

/** Fake values, valid in form only, used when none of the required settings is given. */
export const exampleSettings = {
  TELNYX_CONNECTION_ID: 'example-connection-id',
  CONFERENCE_NUMBER: '+15555550100',
  TRANSFER_NUMBER: '+15555550101',
  SYMBL_APP_ID: 'example-symbl-app-id',
  SYMBL_NUMBER: '+15555550102',
} as const;

const required = ['TELNYX_CONNECTION_ID', 'CONFERENCE_NUMBER', 'TRANSFER_NUMBER'] as const;

/** The stack's settings, and whether they are the examples (fine for synth, not for a deploy). */
export interface StackSettings {
  readonly settings: SentimentIvrSettings;
  readonly usesExamples: boolean;
}

/**
 * Turns named settings (the environment variable names the functions use, plus
 * APP_SECRET_ARN, ALARM_EMAIL, FAILOVER_WEBHOOK_URL, WEBHOOK_RATE_LIMIT, WEBHOOK_BURST_LIMIT)
 * into stack props. With none of the required settings given it falls back to
 * {@link exampleSettings} so `npm run synth` works with no setup; some but not all of them
 * is an error, as that is a mistake rather than a dry run. Secret values are never read.
 */
export function stackSettings(lookup: SettingLookup): StackSettings {
  const setting = (name: string): string | undefined => {
    const raw = lookup(name);
    const value = raw === undefined || raw === null ? undefined : String(raw).trim();
    return value === '' ? undefined : value;
  };
  const missing = required.filter((name) => setting(name) === undefined);
  const usesExamples = missing.length === required.length;
  if (missing.length > 0 && !usesExamples) {
    throw new Error(`Missing settings: ${missing.join(', ')} (pass -c NAME=value or set the environment variable)`);
  }
  const withExample = (name: keyof typeof exampleSettings): string | undefined =>
    setting(name) ?? (usesExamples ? exampleSettings[name] : undefined);
  const list = (value: string | undefined): string[] | undefined =>
    value?.split(',').map((part) => part.trim()).filter((part) => part !== '');
  const numeric = (name: string): number | undefined => {
    const value = setting(name);
    return value === undefined ? undefined : Number(value);
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = setting(name);
    if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
    throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  };

  return {
    usesExamples,
    settings: {
      telnyxConnectionId: withExample('TELNYX_CONNECTION_ID') ?? '',
      conferenceNumber: withExample('CONFERENCE_NUMBER') ?? '',
      conferenceName: setting('CONFERENCE_NAME'),
      transferNumbers: list(withExample('TRANSFER_NUMBER')) ?? [],
      telnyxBaseUrl: setting('TELNYX_BASE_URL'),
      sentimentSource: oneOf('SENTIMENT_SOURCE', ['symbl', 'telnyx']),
      symblAppId: withExample('SYMBL_APP_ID'),
      symblBaseUrl: setting('SYMBL_BASE_URL'),
      symblNumbers: list(withExample('SYMBL_NUMBER')),
      symblSummaryEmails: list(setting('SYMBL_SUMMARY_EMAILS')),
      sentimentThreshold: numeric('SENTIMENT_THRESHOLD'),
      pollIntervalSeconds: numeric('POLL_INTERVAL_SECONDS'),
      logLevel: oneOf('LOG_LEVEL', ['DEBUG', 'INFO', 'WARN', 'ERROR']),
      appSecretArn: setting('APP_SECRET_ARN'),
      alarmEmail: setting('ALARM_EMAIL'),
      failoverWebhookUrl: setting('FAILOVER_WEBHOOK_URL'),
      webhookRateLimit: numeric('WEBHOOK_RATE_LIMIT'),
      webhookBurstLimit: numeric('WEBHOOK_BURST_LIMIT'),
    },
  };
}
