import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playAll } from '../../local/play.js';
import { scenarios } from '../../local/scenarios.js';
import { startSimulatedStack, type SimulatedStack } from '../../local/simulated-stack.js';

const timeScale = 0.5;

/**
 * Every scenario through the local stack with SENTIMENT_SCORER=comprehend: the stack starts the
 * Comprehend stand-in, and the webhook's own client (built from the environment, as in Lambda)
 * asks it. A file of its own: the handlers read their configuration once per process.
 */
let world: SimulatedStack;
beforeAll(async () => {
  world = await startSimulatedStack({ source: 'telnyx', timeScale, env: { SENTIMENT_SCORER: 'comprehend' } });
});
afterAll(async () => world?.stop());

describe('end to end through the local stack, telnyx source scored by Comprehend', () => {
  it('every scenario meets its expectation, each utterance scored by the stand-in', async () => {
    const comprehend = world.stack.comprehend!;
    expect(world.stack.comprehendEndpoint).toBe(comprehend.endpoint);

    const played = await playAll(world, scenarios, timeScale);

    for (const { run, verdict } of played) expect(verdict.problems, run.scenario.name).toEqual([]);
    const said = scenarios.flatMap((s) => s.lines.map((line) => line.text));
    expect(new Set(comprehend.requests.map((r) => r.text))).toEqual(new Set(said));
    expect(comprehend.requests.every((r) => r.status === 200 && r.languageCode === 'en')).toBe(true);
    expect(world.telnyx.errors).toEqual([]);
    expect(comprehend.errors).toEqual([]);
  }, 120_000);
});
