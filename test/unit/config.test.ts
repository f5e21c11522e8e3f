import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.js';

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
  ])('names the variable and the problem: %o', (override, message) => {
    expect(problems({ ...base, ...override })).toContain(message);
  });

  it('reports every problem at once', () => {
    expect(problems({ TABLE_NAME: 'x' }).length).toBeGreaterThanOrEqual(4);
  });

  it('turns signature checks off only when asked, and then needs no key', () => {
    const config = loadConfig({ ...base, TELNYX_PUBLIC_KEY: undefined, UNSAFE_SKIP_SIGNATURE_CHECK: 'true' });
    expect(config.telnyx.verifySignatures).toBe(false);
  });
});
