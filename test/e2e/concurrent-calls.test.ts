import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios } from '../../local/scenarios.js';
import { startSimulatedStack, type SimulatedStack } from '../../local/simulated-stack.js';
import { playAll } from './play.js';

let world: SimulatedStack;
const timeScale = 0.5;

beforeAll(async () => {
  // Every webhook may come twice (the copy possibly at once), and some late and out of order.
  world = await startSimulatedStack({
    source: 'symbl',
    timeScale,
    faults: { duplicateRate: 0.5, reorderRate: 0.2, maxDelayMs: 300 },
    pollerConcurrency: 4,
    // Fifty analyzers dialing in at once on two cores join late; the menu (and so the
    // customer's first words) waits for them, as it would for a slow Symbl, instead of
    // starting without them after the default timeout.
    env: { ANALYZER_JOIN_TIMEOUT_SECONDS: '20', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
});
afterAll(async () => world?.stop());

describe('50 concurrent calls with duplicated and reordered webhook deliveries', () => {
  it('escalates each call into its own conference, dials no operator twice, and leaves no session open', async () => {
    const mix = ['angry', 'presses-1', 'asks-for-agent', 'calm'].map((name) => scenarios.find((s) => s.name === name)!);
    const list = Array.from({ length: 50 }, (_, i) => mix[i % mix.length]!);
    const outcomes = await playAll(world, list, timeScale, 5000);

    expect(world.telnyx.webhooks.filter((w) => w.duplicate).length).toBeGreaterThan(200);
    expect(world.telnyx.webhooks.filter((w) => w.delayed).length).toBeGreaterThan(50);
    const problems = outcomes.filter((o) => !o.verdict.ok).map((o) => `${o.run.scenario.name}: ${o.verdict.problems.join('; ')}`);
    expect(problems).toEqual([]);

    // Every operator leg joined the conference of the call that escalated, and no call got two.
    const conferences = new Set(outcomes.map((o) => o.conferenceId));
    expect(conferences.size).toBe(50);
    const dials = world.telnyx.dials();
    expect(dials.length).toBe(outcomes.filter((o) => o.run.scenario.expect.escalated).length);
    const perConference = new Map<string, number>();
    for (const dial of dials) {
      const id = String(dial.conferenceConfig?.id);
      expect(conferences.has(id)).toBe(true);
      perConference.set(id, (perConference.get(id) ?? 0) + 1);
    }
    expect([...perConference.values()].every((n) => n === 1)).toBe(true);
    for (const conference of world.telnyx.conferences.values()) {
      expect(conference.status, conference.name).toBe('completed');
    }
    expect([...world.symbl.connections.values()].filter((c) => c.status !== 'stopped' && c.status !== 'ended')).toEqual([]);
  }, 240_000);
});
