import { ComprehendClient, DetectSentimentCommand } from '@aws-sdk/client-comprehend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scorerFor } from '../../functions/shared/scorer.js';
import { loadConfig } from '../../lib/config.js';
import { prompts } from '../../lib/core/prompts.js';
import { createAfinnScorer } from '../../lib/sentiment/afinn-scorer.js';
import { comprehendPolarity, comprehendTextLimitBytes, createComprehendScorer, type FallbackReason } from '../../lib/sentiment/comprehend-scorer.js';
import { timeouts } from '../../lib/timeouts.js';
import { productEnvironment } from '../../local/environment.js';
import { memoryLog } from '../../local/harness.js';
import { localAwsSettings } from '../../local/servers.js';
import { startComprehendSimulator, type ComprehendSimulator } from '../../local/sim/comprehend-simulator.js';
import { localWorld } from '../support/lifecycle.js';

const world = localWorld();
const local = createAfinnScorer();
let sim: ComprehendSimulator;
let client: ComprehendClient;

beforeAll(async () => {
  sim = await startComprehendSimulator();
  // As the webhook builds it (functions/shared/scorer.ts), pointed at the stand-in.
  client = new ComprehendClient({ ...localAwsSettings, endpoint: sim.endpoint, maxAttempts: 1 });
});
afterEach(() => {
  sim.setOutage(undefined);
  sim.setLatency(0);
  expect(sim.errors).toEqual([]);
});
afterAll(async () => {
  client.destroy();
  await sim.stop();
});

/** The product's settings for a Telnyx-source deployment, with these overrides. */
function configWith(overrides: Record<string, string>) {
  return loadConfig(
    productEnvironment({
      source: 'telnyx',
      telnyx: { baseUrl: 'http://127.0.0.1:9/v2', publicKeyBase64: Buffer.alloc(32, 1).toString('base64') },
      tableName: 'sessions',
      queueUrl: 'http://127.0.0.1:9/queue',
      overrides,
    }),
  );
}

/** A Comprehend scorer on the stand-in, with what it logged and reported. */
async function comprehendScorer() {
  const log = memoryLog();
  const fallbacks: FallbackReason[] = [];
  const scorer = await createComprehendScorer({ client, fallback: local, log, onFallback: (reason) => fallbacks.push(reason) });
  return { scorer, log, fallbacks };
}

const warnings = (log: ReturnType<typeof memoryLog>) => log.lines.filter((line) => line.level === 'warn');

describe('the Comprehend scorer against the stand-in, through the real SDK', () => {
  it('scores an utterance as Comprehend’s Positive − Negative, asking in English', async () => {
    const { scorer, fallbacks } = await comprehendScorer();
    const text = 'the technician came early and fixed everything';
    sim.setScores(text, { Positive: 0.1, Negative: 0.7, Neutral: 0.15, Mixed: 0.05 });
    const before = sim.requests.length;

    expect(scorer.name).toBe('comprehend');
    expect(await scorer.score(text)).toBeCloseTo(-0.6, 10);
    expect(sim.requests.slice(before)).toEqual([
      expect.objectContaining({ target: 'Comprehend_20171127.DetectSentiment', text, languageCode: 'en', status: 200 }),
    ]);
    const derived = 'thank you, that was really helpful';
    expect(await scorer.score(derived)).toBeCloseTo(comprehendPolarity(sim.resultFor(derived).SentimentScore), 10);
    expect(await scorer.score(derived)).toBeGreaterThanOrEqual(0.3);
    expect(fallbacks).toEqual([]);
  });

  it('scores lower as the text gets more negative, down past the escalation threshold', async () => {
    const { scorer, fallbacks } = await comprehendScorer();
    const texts = [
      'I am calling about my bill',
      'the bill is wrong',
      'the bill is wrong and I am upset',
      'the bill is wrong, I am upset and this is terrible',
      'the bill is wrong, I am upset, furious and this is terrible',
    ];
    const scores: number[] = [];
    for (const text of texts) scores.push(await scorer.score(text));

    expect(scores[0]).toBe(0);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThan(scores[i - 1]!);
    expect(scores.at(-1)).toBeLessThanOrEqual(-0.7);
    expect(fallbacks).toEqual([]);
  });

  it('cuts text over Comprehend’s limit on a character boundary instead of having it refused', async () => {
    const { scorer, fallbacks } = await comprehendScorer();
    const long = 'I have waited for weeks and this is terrible \u{1F621} '.repeat(150);
    expect(Buffer.byteLength(long, 'utf8')).toBeGreaterThan(comprehendTextLimitBytes);
    // The stand-in refuses it as Comprehend does, so the cut is what makes it pass.
    await expect(client.send(new DetectSentimentCommand({ Text: long, LanguageCode: 'en' }))).rejects.toMatchObject({ name: 'TextSizeLimitExceededException' });

    const score = await scorer.score(long);
    const sent = sim.requests.at(-1)!;
    expect(sent.status).toBe(200);
    expect(Buffer.byteLength(sent.text!, 'utf8')).toBeLessThan(comprehendTextLimitBytes);
    expect(Buffer.byteLength(sent.text!, 'utf8')).toBeGreaterThan(comprehendTextLimitBytes - 60);
    expect(long.startsWith(sent.text!)).toBe(true);
    expect(sent.text).not.toMatch(/[\uD800-\uDBFF]$/);
    expect(score).toBeCloseTo(comprehendPolarity(sim.resultFor(sent.text!).SentimentScore), 10);
    expect(fallbacks).toEqual([]);
  });

  it('scores empty or blank text 0 without asking Comprehend', async () => {
    const { scorer, fallbacks } = await comprehendScorer();
    const before = sim.requests.length;
    expect(await scorer.score('')).toBe(0);
    expect(await scorer.score('  \n ')).toBe(0);
    expect(sim.requests.length).toBe(before);
    expect(fallbacks).toEqual([]);
  });

  it('gives up on a slow answer after its timeout and scores locally, reporting a timeout', async () => {
    const { scorer, log, fallbacks } = await comprehendScorer();
    const text = 'I am not happy with how long this takes';
    sim.setLatency(timeouts.comprehendRequestMs + 1500);

    const startedMs = Date.now();
    const score = await scorer.score(text);
    const tookMs = Date.now() - startedMs;

    expect(tookMs).toBeGreaterThanOrEqual(timeouts.comprehendRequestMs - 50);
    expect(tookMs).toBeLessThan(timeouts.comprehendRequestMs + 500);
    expect(score).toBe(local.score(text));
    expect(score).not.toBeCloseTo(comprehendPolarity(sim.resultFor(text).SentimentScore), 2);
    expect(fallbacks).toEqual(['timeout']);
    expect(warnings(log)).toEqual([expect.objectContaining({ extra: [expect.objectContaining({ reason: 'timeout' })] })]);
  });

  it('scores locally when Comprehend throttles, reporting it as throttled, and asks Comprehend again next time', async () => {
    const { scorer, log, fallbacks } = await comprehendScorer();
    const text = 'this is terrible, I am furious';
    sim.failNext('throttling');

    expect(await scorer.score(text)).toBe(local.score(text));
    expect(sim.requests.at(-1)).toMatchObject({ status: 400, errorType: 'ThrottlingException' });
    expect(fallbacks).toEqual(['throttled']);
    expect(warnings(log)).toEqual([expect.objectContaining({ extra: [expect.objectContaining({ reason: 'throttled', error: 'ThrottlingException', status: 400 })] })]);

    expect(await scorer.score(text)).toBeCloseTo(comprehendPolarity(sim.resultFor(text).SentimentScore), 10);
    expect(fallbacks).toEqual(['throttled']);
  });

  it('scores locally through an outage, reporting and logging each failure once', async () => {
    const { scorer, log, fallbacks } = await comprehendScorer();
    sim.setOutage('internal');
    const texts = ['the app keeps crashing', 'great, thanks for the help'];

    for (const text of texts) expect(await scorer.score(text)).toBe(local.score(text));

    expect(fallbacks).toEqual(['error', 'error']);
    expect(warnings(log)).toHaveLength(2);
    expect(warnings(log)[0]!.extra).toEqual([expect.objectContaining({ reason: 'error', error: 'InternalServerException', status: 500 })]);
  });

  it('scores locally when Comprehend cannot be reached at all', async () => {
    const unreachable = new ComprehendClient({ ...localAwsSettings, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const fallbacks: FallbackReason[] = [];
    const scorer = await createComprehendScorer({ client: unreachable, fallback: local, log: memoryLog(), onFallback: (reason) => fallbacks.push(reason) });
    try {
      expect(await scorer.score('my bill is wrong')).toBe(local.score('my bill is wrong'));
      expect(fallbacks).toEqual(['error']);
    } finally {
      unreachable.destroy();
    }
  });

  it('never logs what the customer said, whatever went wrong', async () => {
    const { scorer, log, fallbacks } = await comprehendScorer();
    const text = 'my card number is on file and the Zanzibar charge is wrong';
    sim.setLatency(timeouts.comprehendRequestMs + 500);
    await scorer.score(text);
    sim.setLatency(0);
    sim.failNext('throttling');
    await scorer.score(text);
    sim.setOutage('internal');
    await scorer.score(text);

    expect(fallbacks).toEqual(['timeout', 'throttled', 'error']);
    const logged = JSON.stringify(log.lines);
    expect(logged).not.toContain('Zanzibar');
    expect(logged).not.toContain('card number');
  });
});

describe('SENTIMENT_SCORER', () => {
  it('picks Comprehend, the local scorer behind it, only for the Telnyx source', async () => {
    const log = memoryLog();
    const comprehend = await scorerFor(configWith({ SENTIMENT_SCORER: 'comprehend' }), { log, comprehend: client });
    const plain = await scorerFor(configWith({}), { log, comprehend: client });
    const symbl = await scorerFor(
      loadConfig({ ...productEnvironment({ source: 'symbl', telnyx: { baseUrl: 'http://127.0.0.1:9/v2', publicKeyBase64: Buffer.alloc(32, 1).toString('base64') }, symblBaseUrl: 'http://127.0.0.1:9', tableName: 't', queueUrl: 'http://127.0.0.1:9/q' }), SENTIMENT_SCORER: 'comprehend' }),
      { log, comprehend: client },
    );

    expect(comprehend?.name).toBe('comprehend');
    expect(plain?.name).toBe('afinn');
    expect(symbl).toBeUndefined();
  });

  it('still scores, locally, when nothing listens for fallbacks', async () => {
    const scorer = await scorerFor(configWith({ SENTIMENT_SCORER: 'comprehend' }), { log: memoryLog(), comprehend: client });
    sim.setOutage('internal');
    expect(await scorer!.score('this is awful')).toBe(local.score('this is awful'));
  });
});

describe('a call scored by Comprehend, through the webhook', () => {
  async function callWithComprehend() {
    const log = memoryLog();
    const fallbacks: FallbackReason[] = [];
    const scorer = await scorerFor(configWith({ SENTIMENT_SCORER: 'comprehend' }), { log, comprehend: client, onFallback: (reason) => fallbacks.push(reason) });
    const h = await world.harness({ source: 'telnyx', scorer: scorer!, log, env: { SENTIMENT_SCORER: 'comprehend' } });
    const customer = h.call();
    await h.telnyx.waitFor(() => customer.heard.includes(prompts.menu) && customer.transcribing, 15_000);
    return { h, customer, log, fallbacks };
  }

  it('scores what the customer says with Comprehend and escalates on it', async () => {
    const { h, customer, fallbacks } = await callWithComprehend();
    const text = 'this is terrible, I am furious and disgusted';
    const comprehendScore = comprehendPolarity(sim.resultFor(text).SentimentScore);
    expect(comprehendScore).not.toBeCloseTo(local.score(text), 2);

    customer.say(text);
    await h.telnyx.waitFor(() => h.telnyx.dials().length === 1, 10_000);
    await h.settle();

    const session = (await h.sessionOf(customer))!.session;
    expect(session.utterances).toEqual([expect.objectContaining({ text, score: comprehendScore })]);
    expect(session.escalation?.reason).toMatchObject({ rule: 'utterance', score: comprehendScore });
    expect(sim.requests.filter((r) => r.text === text).length).toBeGreaterThanOrEqual(1);
    expect(fallbacks).toEqual([]);
    customer.hangup();
    await h.settle();
  });

  it('answers 200 through a Comprehend outage and keeps the utterance, scored locally', async () => {
    const { h, customer, log, fallbacks } = await callWithComprehend();
    sim.setOutage('internal');
    const text = 'I am not happy with the Zanzibar charge';

    customer.say(text);
    await h.telnyx.waitFor(() => h.telnyx.webhooks.some((w) => w.event_type === 'call.transcription' && w.status !== 0), 10_000);
    await h.settle();

    const transcriptions = h.telnyx.webhooks.filter((w) => w.event_type === 'call.transcription');
    expect(transcriptions.length).toBeGreaterThanOrEqual(1);
    expect(transcriptions.map((w) => w.status)).toEqual(transcriptions.map(() => 200));
    const session = (await h.sessionOf(customer))!.session;
    expect(session.utterances).toEqual([expect.objectContaining({ text, score: local.score(text) })]);
    expect(fallbacks.length).toBe(transcriptions.length);
    expect(new Set(fallbacks)).toEqual(new Set(['error']));
    expect(JSON.stringify(log.lines)).not.toContain('Zanzibar');
    customer.hangup();
    await h.settle();
  });
});
