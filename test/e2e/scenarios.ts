import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playAll } from '../../local/play.js';
import { scenarios } from '../../local/scenarios.js';
import { startSimulatedStack, type SimulatedStack } from '../../local/simulated-stack.js';

const timeScale = 0.5;

/**
 * Every scenario through the local stack under one sentiment source. Each source runs in its
 * own test file: the handlers read their configuration once per process, as in Lambda.
 */
export function everyScenarioUnder(source: 'symbl' | 'telnyx'): void {
  let world: SimulatedStack;
  beforeAll(async () => {
    world = await startSimulatedStack({ source, timeScale });
  });
  afterAll(async () => world?.stop());

  describe(`end to end through the local stack, ${source} source`, () => {
    it(`every scenario meets its expectation: ${scenarios.map((s) => s.name).join(', ')}`, async () => {
      const played = await playAll(world, scenarios, timeScale);
      for (const { run, verdict } of played) expect(verdict.problems, run.scenario.name).toEqual([]);
      expect(world.telnyx.errors).toEqual([]);
      expect(world.symbl.errors).toEqual([]);
    }, 120_000);
  });
}
