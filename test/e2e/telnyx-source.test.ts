import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios } from '../../local/scenarios.js';
import { startSimulatedStack, type SimulatedStack } from '../../local/simulated-stack.js';
import { playAll } from './play.js';

// Each sentiment source runs in its own test file: the handlers read their configuration once per process.
let world: SimulatedStack;
const timeScale = 0.5;

beforeAll(async () => {
  world = await startSimulatedStack({ source: 'telnyx', timeScale });
});
afterAll(async () => world?.stop());

describe('end to end through the local stack, telnyx source', () => {
  it('every scenario meets its expectation: the angry caller, keypad 1, asking for an agent, the calm caller, operators who do not answer', async () => {
    const outcomes = await playAll(world, scenarios, timeScale);
    for (const { run, verdict } of outcomes) expect(verdict.problems, run.scenario.name).toEqual([]);
    expect(world.telnyx.errors).toEqual([]);
    expect(world.symbl.errors).toEqual([]);
  });
});
