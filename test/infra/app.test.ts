import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../infra/bundling.js';
import { exampleSettings, stackSettings } from '../../infra/settings.js';
import { ConfigError, loadConfig } from '../../lib/config.js';
import { cdkJsonContext, scratchDir } from './stack-fixture.js';

const required = {
  TELNYX_CONNECTION_ID: '1234567890',
  TELNYX_PUBLIC_KEY: Buffer.alloc(32, 9).toString('base64'),
  CONFERENCE_NUMBER: '+14155550100',
  TRANSFER_NUMBER: '+14155550111, +14155550112',
};
const from = (values: Record<string, string>) => (name: string) => values[name];

describe('settings', () => {
  it('turns named settings into stack props', () => {
    const { settings, usesExamples } = stackSettings(
      from({
        ...required,
        SYMBL_NUMBER: '+14155550199,',
        SYMBL_SUMMARY_EMAILS: 'a@example.test, b@example.test',
        SENTIMENT_SOURCE: 'symbl',
        SENTIMENT_THRESHOLD: '-0.5',
        POLL_INTERVAL_SECONDS: ' 2 ',
        TELNYX_BASE_URL: '',
      }),
    );
    expect(usesExamples).toBe(false);
    expect(settings).toMatchObject({
      telnyxConnectionId: '1234567890',
      conferenceNumber: '+14155550100',
      transferNumbers: ['+14155550111', '+14155550112'],
      symblNumbers: ['+14155550199'],
      symblSummaryEmails: ['a@example.test', 'b@example.test'],
      sentimentSource: 'symbl',
      sentimentThreshold: -0.5,
      pollIntervalSeconds: 2,
      telnyxBaseUrl: undefined,
      symblAppId: undefined,
    });
  });

  it('gives the stack one prop per non-secret setting it takes, and no other', () => {
    expect(Object.keys(stackSettings(from(required)).settings).sort()).toEqual(
      [
        'telnyxConnectionId', 'conferenceNumber', 'conferenceName', 'transferNumbers', 'telnyxBaseUrl', 'sentimentSource',
        'symblAppId', 'symblBaseUrl', 'symblNumbers', 'symblSummaryEmails', 'sentimentThreshold', 'pollIntervalSeconds',
        'logLevel', 'appSecretArn', 'alarmEmail', 'failoverWebhookUrl', 'webhookRateLimit', 'webhookBurstLimit',
        'operatorScreening', 'operatorMachineDetection', 'telnyxPublicKey', 'shadowPolicy', 'sentimentScorer',
        'sentimentWindowSize', 'sentimentWindowThreshold', 'sentimentStreakLength', 'sentimentNegativeBelow',
        'analyzerJoinTimeoutSeconds', 'operatorRingTimeoutSeconds', 'operatorAcceptTimeoutSeconds',
      ].sort(),
    );
  });

  it('uses the example values, and says so, when no required setting is given', () => {
    const { settings, usesExamples } = stackSettings(from({ SENTIMENT_THRESHOLD: '-0.6' }));
    expect(usesExamples).toBe(true);
    expect(settings).toMatchObject({
      telnyxConnectionId: exampleSettings.TELNYX_CONNECTION_ID,
      conferenceNumber: '+15555550100',
      transferNumbers: ['+15555550101'],
      sentimentThreshold: -0.6,
    });
  });

  it('refuses some required settings without the others, naming the missing ones', () => {
    expect(() => stackSettings(from({ CONFERENCE_NUMBER: '+14155550100' }))).toThrow(
      /Missing settings: TELNYX_CONNECTION_ID, TRANSFER_NUMBER/,
    );
  });

  it('refuses values outside a fixed set', () => {
    expect(() => stackSettings(from({ ...required, SENTIMENT_SOURCE: 'watson' }))).toThrow(/SENTIMENT_SOURCE must be symbl or telnyx/);
    expect(() => stackSettings(from({ ...required, LOG_LEVEL: 'verbose' }))).toThrow(/LOG_LEVEL must be DEBUG, INFO, WARN or ERROR/);
  });

  it('refuses a bad number, naming the variable, and reports every bad value at once', () => {
    const refused = () =>
      stackSettings(from({ ...required, SENTIMENT_THRESHOLD: 'low', POLL_INTERVAL_SECONDS: '0.5', WEBHOOK_RATE_LIMIT: 'fast', WEBHOOK_BURST_LIMIT: '' }));
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(
      [
        'SENTIMENT_THRESHOLD must be a number from -1 to 1, got "low"',
        'POLL_INTERVAL_SECONDS must be a whole number from 1 to 900, got "0.5"',
        'WEBHOOK_RATE_LIMIT must be a whole number from 1 to 10000, got "fast"',
      ].join('\n  - '),
    );
  });

  it('reports a bad value in the words the functions use at cold start', () => {
    const env = { ...required, CONFERENCE_NUMBER: '555-0100', TRANSFER_NUMBER: '+1555', SENTIMENT_SOURCE: 'vader', TELNYX_BASE_URL: 'http://127.0.0.1:4010' };
    const atColdStart = (() => {
      try {
        loadConfig({ ...env, TELNYX_API_KEY: 'key', UNSAFE_SKIP_SIGNATURE_CHECK: 'true', TABLE_NAME: 'sessions' });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    })();
    expect(atColdStart).toHaveLength(4);
    expect(() => stackSettings(from(env))).toThrow(new ConfigError(atColdStart));
  });

  it('reads context values that are not strings (cdk.json), lists included', () => {
    const { settings } = stackSettings((name) => ({ ...required, TRANSFER_NUMBER: ['+14155550111', '+14155550112'], POLL_INTERVAL_SECONDS: 5 })[name]);
    expect(settings).toMatchObject({ transferNumbers: ['+14155550111', '+14155550112'], pollIntervalSeconds: 5 });
  });

  it('names the stack SentimentIvr unless told otherwise', () => {
    expect(stackSettings(from(required)).stackName).toBe('SentimentIvr');
    expect(stackSettings(from({ ...required, STACK_NAME: ' SentimentIvrStaging ' })).stackName).toBe('SentimentIvrStaging');
  });

  it('never looks up a secret', () => {
    const asked: string[] = [];
    stackSettings((name) => {
      asked.push(name);
      return required[name as keyof typeof required];
    });
    expect(asked.filter((name) => ['TELNYX_API_KEY', 'SYMBL_APP_SECRET'].includes(name))).toEqual([]);
  });
});

describe('infra/app.ts', () => {
  it('reads CDK context before the environment and copies no secret value into the template', async () => {
    const outdir = scratchDir('app');
    const secretValues = { TELNYX_API_KEY: 'KEY-sentinel-0001', SYMBL_APP_SECRET: 'SYMBL-sentinel-0003' };
    // The CDK CLI's protocol: context in CDK_CONTEXT_JSON, the cloud assembly in CDK_OUTDIR.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], CONFERENCE_NUMBER: '+14155550155' }),
        ...required,
        ...secretValues,
      },
    });

    const template = readFileSync(join(outdir, 'SentimentIvr.template.json'), 'utf8');
    type FunctionResource = { Type: string; Properties: { Environment: { Variables: Record<string, unknown> } } };
    const environments = Object.values(JSON.parse(template).Resources as Record<string, FunctionResource>)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'sentiment-ivr')
      .map((r) => r.Properties.Environment.Variables);
    // The webhook, the poller and the call record API.
    expect(environments).toHaveLength(3);
    for (const variables of environments) {
      expect(variables).toMatchObject({ CONFERENCE_NUMBER: '+14155550155', TELNYX_CONNECTION_ID: '1234567890' });
    }
    for (const value of Object.values(secretValues)) expect(template).not.toContain(value);
  });
});
