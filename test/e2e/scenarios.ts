import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicies } from '../../lib/config.js';
import { playAll } from '../../local/play.js';
import { replaySource, runReplay } from '../../local/replay-run.js';
import { scenarios } from '../../local/scenarios.js';
import { startSimulatedStack, type SimulatedStack } from '../../local/simulated-stack.js';

const timeScale = 0.5;
const run = promisify(execFile);

/** `npm run replay` as a user runs it: its exit code and what it printed. */
async function replayCli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'local/replay.ts', ...args], { env: { ...process.env, DYNAMODB_PORT: '' } });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout, err: failed.stderr };
  }
}

/**
 * Every scenario through the local stack under one sentiment source, then those stored calls
 * replayed. Each source runs in its own test file: the handlers read their configuration once
 * per process, as in Lambda.
 */
export function everyScenarioUnder(source: 'symbl' | 'telnyx'): void {
  let world: SimulatedStack;
  let played: Awaited<ReturnType<typeof playAll>> = [];
  beforeAll(async () => {
    world = await startSimulatedStack({ source, timeScale });
  });
  afterAll(async () => world?.stop());

  describe(`end to end through the local stack, ${source} source`, () => {
    it(`every scenario meets its expectation: ${scenarios.map((s) => s.name).join(', ')}`, async () => {
      played = await playAll(world, scenarios, timeScale);
      for (const { run, verdict } of played) expect(verdict.problems, run.scenario.name).toEqual([]);
      expect(world.telnyx.errors).toEqual([]);
      expect(world.symbl.errors).toEqual([]);
    }, 120_000);

    it('replaying those stored calls under the live policy gives every live verdict back, and changes none', async () => {
      expect(played.length).toBe(scenarios.length);
      const { policy } = loadPolicies({});
      const stored = replaySource({ table: world.stack.tableName, endpoint: world.stack.dynamoEndpoint });
      try {
        const { report, calls } = await runReplay({ source: stored, live: policy, candidate: policy });
        expect(report.callsRead).toBe(scenarios.length);
        expect(report.notReproduced).toEqual([]);
        expect(report.changes).toEqual([]);
        const escalated = played.filter((p) => p.session?.escalation !== undefined);
        expect(report.escalatedNow).toBe(escalated.length);
        // What the live policy escalated on, the replay finds again: the same rule, sentence and moment.
        for (const { session } of escalated) {
          const live = session!.verdicts?.live;
          if (live === undefined) continue;
          const replayed = calls.find((c) => c.sessionId === session!.id)!;
          expect(replayed.verdicts.live).toEqual(live);
        }
        expect(escalated.some((p) => p.session!.verdicts?.live !== undefined)).toBe(true);
      } finally {
        stored.dynamo.destroy();
      }
    }, 60_000);

    it('npm run replay reports the calls a looser policy changes, with their sentences, and refuses bad input clearly', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'replay-'));
      const candidate = join(dir, 'candidate.json');
      await writeFile(candidate, JSON.stringify({ SENTIMENT_THRESHOLD: -0.3, SENTIMENT_WINDOW_THRESHOLD: -0.3 }));
      const html = join(dir, 'report.html');
      const endpoint = world.stack.dynamoEndpoint;
      const table = world.stack.tableName;

      const looser = await replayCli(['--policy', candidate, '--endpoint', endpoint, '--table', table, '--html', html]);
      expect(looser.err).toBe('');
      expect(looser.code).toBe(0);
      expect(looser.out).toMatch(new RegExp(`calls read: +${scenarios.length}\\n`));
      expect(looser.out).toMatch(new RegExp(`live verdicts reproduced: +${scenarios.length} of ${scenarios.length}`));
      const changed = looser.out.split('\n').filter((line) => /^ {2}(newly escalated|earlier) /.test(line));
      expect(changed.length).toBeGreaterThan(0);
      for (const line of changed) expect(line).toMatch(/candidate \((utterance|window|streak|request)\) ".+" at \+\d+\.\d s/);
      const page = await readFile(html, 'utf8');
      expect(page).toContain('<svg');
      expect(page).toContain('candidate -0.3');
      expect(page).toContain('Lowest utterance score per call');

      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify({ SENTIMENT_THRESHOLD: -3, SENTIMENT_WINDOW: 2 }));
      const refused = await replayCli(['--policy', bad, '--endpoint', endpoint, '--table', table]);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/SENTIMENT_THRESHOLD/);
      expect(refused.err).toMatch(/SENTIMENT_WINDOW, which is not a policy setting/);
      expect(refused.out).toBe('');

      const missing = await replayCli(['--policy', candidate, '--endpoint', endpoint, '--table', 'no-such-table']);
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/There is no table no-such-table/);
    }, 60_000);
  });
}
