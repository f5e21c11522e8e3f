import { describe, expect, it } from 'vitest';
import { ConfigError, crossFieldProblems, loadConfig } from '../../lib/config.js';
import { readSettings } from '../../lib/settings/table.js';

const key = Buffer.alloc(32, 7).toString('base64');
const base = {
  TELNYX_API_KEY: 'KEY123',
  TELNYX_PUBLIC_KEY: key,
  TELNYX_CONNECTION_ID: '1234',
  CONFERENCE_NUMBER: '+15550001000',
  TRANSFER_NUMBER: '+15550002000, +15550002001',
  TABLE_NAME: 'sessions',
  POLL_QUEUE_URL: 'http://127.0.0.1:9324/queue/poll',
};
const symbl = { SYMBL_APP_ID: 'id', SYMBL_APP_SECRET: 'secret', SYMBL_NUMBER: '+15550009999' };

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env, { requireQueue: true });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ ...base, ...symbl });
    expect(config.policy).toEqual({ utteranceThreshold: -0.7, windowSize: 3, windowThreshold: -0.45, streakLength: 3, negativeBelow: -0.3 });
    expect(config.pollIntervalSeconds).toBe(1);
    expect(config.telnyx.transferNumbers).toEqual(['+15550002000', '+15550002001']);
    expect(config.telnyx.conferenceNamePrefix).toBe('sentiment-ivr');
    expect(config.symbl?.baseUrl).toBe('https://api.symbl.ai');
    expect(config.telnyx.verifySignatures).toBe(true);
  });

  it('applies the settings table\'s defaults to everything left unset', () => {
    const config = loadConfig({ ...base, ...symbl });
    expect(config).toMatchObject({
      telnyx: { baseUrl: undefined, voice: 'AWS.Polly.Joanna-Neural' },
      symbl: { summaryEmails: [] },
      analyzerJoinTimeoutSeconds: 10,
      operatorRingTimeoutSeconds: 30,
      maxCallAgeSeconds: 4 * 3600,
      retentionDays: 30,
    });
  });

  it('reads what is set, trimmed, lists without empty items, the Symbl base without trailing slashes', () => {
    const config = loadConfig({
      ...base,
      ...symbl,
      CONFERENCE_NAME: ' support ',
      SYMBL_BASE_URL: 'http://127.0.0.1:4020//',
      SYMBL_SUMMARY_EMAILS: 'a@example.test,, b@example.test ',
      SENTIMENT_WINDOW_SIZE: '5',
      SENTIMENT_THRESHOLD: '-0.8',
      RETENTION_DAYS: '7',
      UNSAFE_SKIP_SIGNATURE_CHECK: '0',
    });
    expect(config).toMatchObject({
      telnyx: { conferenceNamePrefix: 'support', verifySignatures: true },
      symbl: { baseUrl: 'http://127.0.0.1:4020', summaryEmails: ['a@example.test', 'b@example.test'] },
      policy: { windowSize: 5, utteranceThreshold: -0.8 },
      retentionDays: 7,
    });
  });

  it('picks the source: symbl when its credentials are set, telnyx otherwise, or as told', () => {
    expect(loadConfig({ ...base, ...symbl }).sentimentSource).toBe('symbl');
    expect(loadConfig(base).sentimentSource).toBe('telnyx');
    expect(loadConfig({ ...base, ...symbl, SENTIMENT_SOURCE: 'telnyx' }).sentimentSource).toBe('telnyx');
    expect(problems({ ...base, SENTIMENT_SOURCE: 'symbl' })).toEqual([
      'SYMBL_APP_ID is required when SENTIMENT_SOURCE is symbl',
      'SYMBL_APP_SECRET is required when SENTIMENT_SOURCE is symbl',
      'SYMBL_NUMBER is required when SENTIMENT_SOURCE is symbl (the number Symbl calls from)',
    ]);
  });

  it.each([
    [{ TELNYX_API_KEY: undefined }, 'TELNYX_API_KEY is required'],
    [{ TRANSFER_NUMBER: '' }, 'TRANSFER_NUMBER is required (one or more E.164 numbers, comma separated)'],
    [{ TRANSFER_NUMBER: '+1555,5550002' }, 'TRANSFER_NUMBER has "+1555", which is not an E.164 number such as +14155550100'],
    [{ CONFERENCE_NUMBER: '5550001000' }, 'CONFERENCE_NUMBER must be an E.164 number such as +14155550100'],
    [{ SENTIMENT_THRESHOLD: '-1.5' }, 'SENTIMENT_THRESHOLD must be a number from -1 to 1, got "-1.5"'],
    [{ SENTIMENT_THRESHOLD: 'low' }, 'SENTIMENT_THRESHOLD must be a number from -1 to 1, got "low"'],
    [{ POLL_INTERVAL_SECONDS: '0.5' }, 'POLL_INTERVAL_SECONDS must be a whole number from 1 to 900, got "0.5"'],
    [{ TELNYX_BASE_URL: 'http://127.0.0.1:4010' }, 'TELNYX_BASE_URL must end in /v2, for example http://127.0.0.1:4010/v2'],
    [{ TELNYX_PUBLIC_KEY: '' }, 'TELNYX_PUBLIC_KEY is required (base64 Ed25519 key from the Telnyx portal); set UNSAFE_SKIP_SIGNATURE_CHECK=true only for local experiments'],
    [{ TELNYX_PUBLIC_KEY: Buffer.from('-----BEGIN PUBLIC KEY-----').toString('base64') }, 'TELNYX_PUBLIC_KEY must be the base64 of a raw 32-byte Ed25519 public key (not PEM)'],
    [{ POLL_QUEUE_URL: undefined }, 'POLL_QUEUE_URL is required'],
    [{ SENTIMENT_SOURCE: 'vader' }, 'SENTIMENT_SOURCE must be symbl or telnyx'],
    [{ UNSAFE_SKIP_SIGNATURE_CHECK: 'yes' }, 'UNSAFE_SKIP_SIGNATURE_CHECK must be true or false'],
    [{ TELNYX_CONNECTION_ID: ' ' }, 'TELNYX_CONNECTION_ID is required'],
    [{ TABLE_NAME: undefined }, 'TABLE_NAME is required'],
    [{ TRANSFER_NUMBER: ' , ' }, 'TRANSFER_NUMBER is required (one or more E.164 numbers, comma separated)'],
    [{ SYMBL_NUMBER: '5550009999' }, 'SYMBL_NUMBER has "5550009999", which is not an E.164 number such as +14155550100'],
    [{ SENTIMENT_WINDOW_SIZE: '51' }, 'SENTIMENT_WINDOW_SIZE must be a whole number from 1 to 50, got "51"'],
    [{ SENTIMENT_STREAK_LENGTH: '0' }, 'SENTIMENT_STREAK_LENGTH must be a whole number from 1 to 50, got "0"'],
    [{ SENTIMENT_NEGATIVE_BELOW: '2' }, 'SENTIMENT_NEGATIVE_BELOW must be a number from -1 to 1, got "2"'],
    [{ ANALYZER_JOIN_TIMEOUT_SECONDS: '901' }, 'ANALYZER_JOIN_TIMEOUT_SECONDS must be a whole number from 1 to 900, got "901"'],
    [{ OPERATOR_RING_TIMEOUT_SECONDS: '4' }, 'OPERATOR_RING_TIMEOUT_SECONDS must be a whole number from 5 to 600, got "4"'],
    [{ MAX_CALL_AGE_SECONDS: '1h' }, 'MAX_CALL_AGE_SECONDS must be a whole number from 1 to 2592000, got "1h"'],
    [{ RETENTION_DAYS: '3651' }, 'RETENTION_DAYS must be a whole number from 1 to 3650, got "3651"'],
    [{ SYMBL_BASE_URL: 'api.symbl.ai' }, 'SYMBL_BASE_URL must be a URL'],
    [{ POLL_QUEUE_URL: 'poll' }, 'POLL_QUEUE_URL must be a URL'],
    [{ SENTIMENT_THRESHOLD: '-0.3' }, 'SENTIMENT_WINDOW_THRESHOLD must not be below SENTIMENT_THRESHOLD (the window rule would never fire first)'],
  ])('names the variable and the problem: %o', (override, message) => {
    expect(problems({ ...base, ...override })).toContain(message);
  });

  it('reports every problem at once', () => {
    expect(problems({ TABLE_NAME: 'x' }).length).toBeGreaterThanOrEqual(4);
  });

  it('reports each variable\'s problems in the table\'s order, then the rules between settings', () => {
    expect(problems({ ...base, CONFERENCE_NUMBER: 'x', POLL_INTERVAL_SECONDS: '0', SENTIMENT_SOURCE: 'symbl', POLL_QUEUE_URL: undefined })).toEqual([
      'CONFERENCE_NUMBER must be an E.164 number such as +14155550100',
      'POLL_INTERVAL_SECONDS must be a whole number from 1 to 900, got "0"',
      'SYMBL_APP_ID is required when SENTIMENT_SOURCE is symbl',
      'SYMBL_APP_SECRET is required when SENTIMENT_SOURCE is symbl',
      'SYMBL_NUMBER is required when SENTIMENT_SOURCE is symbl (the number Symbl calls from)',
      'POLL_QUEUE_URL is required',
    ]);
  });

  it('leaves the rules on secret values out when the secret is not known (at synth time)', () => {
    const { values } = readSettings('functions', { SENTIMENT_SOURCE: 'symbl', SYMBL_NUMBER: '+15550009999', TELNYX_PUBLIC_KEY: key });
    expect(crossFieldProblems(values, { secretsKnown: false })).toEqual(['SYMBL_APP_ID is required when SENTIMENT_SOURCE is symbl']);
    expect(crossFieldProblems(readSettings('functions', { SYMBL_APP_ID: 'id', TELNYX_PUBLIC_KEY: key }).values, { secretsKnown: false })).toEqual([]);
  });

  it('checks the public key at synth time too: it is a plain setting, not a secret', () => {
    expect(crossFieldProblems(readSettings('functions', { SYMBL_APP_ID: 'id' }).values, { secretsKnown: false })).toEqual([
      'TELNYX_PUBLIC_KEY is required (base64 Ed25519 key from the Telnyx portal); set UNSAFE_SKIP_SIGNATURE_CHECK=true only for local experiments',
    ]);
  });

  it('turns signature checks off only when asked, and then needs no key', () => {
    const config = loadConfig({ ...base, TELNYX_PUBLIC_KEY: undefined, UNSAFE_SKIP_SIGNATURE_CHECK: 'true' });
    expect(config.telnyx.verifySignatures).toBe(false);
  });
});

describe('SHADOW_POLICY', () => {
  it('reads a shadow policy over the live one: what it leaves out is the live value', () => {
    const config = loadConfig({ ...base, SENTIMENT_THRESHOLD: '-0.8', SHADOW_POLICY: '{"SENTIMENT_THRESHOLD": -0.6, "SENTIMENT_STREAK_LENGTH": "2"}' });
    expect(config.shadowPolicy).toEqual({ ...config.policy, utteranceThreshold: -0.6, streakLength: 2 });
    expect(config.policy.utteranceThreshold).toBe(-0.8);
  });

  it('has no shadow when it is unset', () => {
    expect(loadConfig(base).shadowPolicy).toBeUndefined();
  });

  it('names each problem: not JSON, not an object, an unknown field, a value out of range, the rules between fields', () => {
    expect(problems({ ...base, SHADOW_POLICY: '{nope' })[0]).toMatch(/^SHADOW_POLICY is not JSON/);
    expect(problems({ ...base, SHADOW_POLICY: '[1]' })).toEqual(['SHADOW_POLICY must be a JSON object of policy settings']);
    expect(problems({ ...base, SHADOW_POLICY: '{"TRANSFER_NUMBER": "+1"}' })[0]).toMatch(/TRANSFER_NUMBER, which is not a policy setting/);
    expect(problems({ ...base, SHADOW_POLICY: '{"SENTIMENT_STREAK_LENGTH": 0}' })[0]).toMatch(/^SHADOW_POLICY: SENTIMENT_STREAK_LENGTH/);
    expect(problems({ ...base, SHADOW_POLICY: '{"SENTIMENT_THRESHOLD": true}' })).toEqual(['SHADOW_POLICY: SENTIMENT_THRESHOLD must be a number']);
    expect(problems({ ...base, SHADOW_POLICY: '{"SENTIMENT_WINDOW_THRESHOLD": -0.9}' })[0]).toMatch(/WINDOW_THRESHOLD must not be below/);
  });

  it('is checked at synth time too', () => {
    const { values } = readSettings('functions', { ...base, SHADOW_POLICY: '{"SENTIMENT_THRESHOLD": 5}' });
    expect(crossFieldProblems(values, { requireQueue: false, secretsKnown: false }).join('\n')).toMatch(/SHADOW_POLICY: SENTIMENT_THRESHOLD/);
  });
});

describe('SENTIMENT_SCORER', () => {
  it('scores locally unless told to use Comprehend', () => {
    expect(loadConfig(base).scorer).toBe('local');
    expect(loadConfig({ ...base, SENTIMENT_SCORER: 'comprehend' }).scorer).toBe('comprehend');
    expect(problems({ ...base, SENTIMENT_SCORER: 'vader' })[0]).toMatch(/^SENTIMENT_SCORER/);
  });
});
