import type { Session } from '../lib/core/model.js';
import { judge, playScenario, scenarioDialPolicy, type CallRun, type Scenario, type Verdict } from './scenarios.js';
import { testNumbers } from './environment.js';
import type { SimulatedStack } from './simulated-stack.js';

export interface Played {
  readonly run: CallRun;
  readonly session: Session | undefined;
  readonly verdict: Verdict;
}

export interface PlayOptions {
  /** Real ms between two calls' start; 0 rings them all at once. */
  readonly staggerMs?: number;
  /** Real ms to let hangups settle before judging: conferences end, the analyzer stops, poll chains notice. */
  readonly settleMs?: number;
  /** Caller numbers are `+1555` + this + a four-digit index. */
  readonly callerPrefix?: string;
  /** Told as each call starts. */
  readonly onStart?: (run: CallRun) => void;
}

/**
 * Plays scenarios through a simulated stack, each call's operators behaving as its scenario
 * says, waits for the hangups to settle, and judges every call against its expectation.
 */
export async function playAll(world: SimulatedStack, list: readonly Scenario[], timeScale: number, options: PlayOptions = {}): Promise<Played[]> {
  const runs: CallRun[] = [];
  world.telnyx.setDialPolicy(scenarioDialPolicy(runs));
  const prefix = options.callerPrefix ?? '020';
  const finished = await Promise.all(
    list.map(async (scenario, i) => {
      if (options.staggerMs) await new Promise((resolve) => setTimeout(resolve, i * options.staggerMs!));
      const { run, finished: done } = playScenario(world.telnyx, scenario, `+1555${prefix}${String(i).padStart(4, '0')}`, testNumbers.conference, timeScale);
      runs.push(run);
      options.onStart?.(run);
      return done;
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 3000));
  const played: Played[] = [];
  for (const run of finished) {
    const session = await world.sessionOf(run.customer);
    played.push({ run, session, verdict: judge(run, session, world.telnyx) });
  }
  return played;
}
