import type { Session } from '../lib/core/model.js';
import { decodeClientState } from '../lib/telnyx/client-state.js';
import { testNumbers } from './environment.js';
import { judge, playScenario, scenarioDialPolicy, scenarios, type CallRun, type Scenario } from './scenarios.js';
import type { FaultPlan } from './sim/index.js';
import { quantile } from './quantile.js';
import { startSimulatedStack, type SimulatedStack } from './simulated-stack.js';

export interface LoadOptions {
  readonly source: 'symbl' | 'telnyx';
  readonly calls: number;
  /** Calls ring evenly over this many seconds (0: all at once). */
  readonly arrivalSeconds: number;
  /**
   * Real seconds every caller stays on beyond their scenario (talking with the operator, or
   * calmly on): long enough that every call is up at once.
   */
  readonly holdSeconds: number;
  readonly timeScale?: number;
  readonly faults?: Partial<FaultPlan>;
  /** Which scenarios the calls play, in turn. */
  readonly mix?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** A running stack to use instead of a fresh one. */
  readonly world?: SimulatedStack;
  /** Runs beside the calls (for example reading the call record API as a supervisor would) until `running()` turns false. */
  readonly probe?: (world: SimulatedStack, running: () => boolean) => Promise<void>;
}

export interface LoadResult {
  readonly source: 'symbl' | 'telnyx';
  readonly calls: number;
  /** Calls that missed their scenario's expectation. */
  readonly missed: number;
  /** The most calls up at the same moment. */
  readonly peakConcurrent: number;
  readonly webhooks: number;
  /** Webhook deliveries answered 5xx or not at all (each a redelivery, or a loss). */
  readonly webhookFailures: number;
  /** The failures by answer (0: none in time) and event type. */
  readonly webhookFailuresByKind: Readonly<Record<string, number>>;
  /** Deliveries that were an extra copy of an event, and events taken out of their leg's order (by `faults`). */
  readonly duplicated: number;
  readonly reordered: number;
  readonly pollMessages: number;
  readonly seconds: number;
  /** From the call ringing to its menu playing (real ms): how long set-up (the analyzer joining) took under this load. */
  readonly menuMs: { readonly p50: number; readonly p95: number; readonly max: number };
  /** From the escalating sentence or key to the operator being dialed, per escalated call (real ms). */
  readonly escalationMs: { readonly p50: number; readonly p95: number; readonly max: number };
  /** What each missed call got wrong, with where its session was. */
  readonly problems: readonly string[];
  readonly simulatorErrors: readonly string[];
}

/** The mix the bench and the load test play: an angry caller, one who presses 1, one who asks for a person, a calm one. */
export const loadMix = ['angry', 'presses-1', 'asks-for-agent', 'calm'] as const;


/** A scenario whose caller stays on `holdMs` longer than it would (after its cue, or from the menu). */
function held(scenario: Scenario, holdMs: number): Scenario {
  return { ...scenario, hangUp: { ...scenario.hangUp, afterMs: scenario.hangUp.afterMs + holdMs } };
}

/**
 * Many calls through the simulated stack at once: they ring evenly over `arrivalSeconds`, each
 * plays its scenario and stays on `holdSeconds` more, and every call is judged against its
 * scenario's expectation once all have hung up.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const timeScale = options.timeScale ?? 0.5;
  const world =
    options.world ??
    (await startSimulatedStack({
      source: options.source,
      timeScale,
      ...(options.faults ? { faults: options.faults } : {}),
      env: { ANALYZER_JOIN_TIMEOUT_SECONDS: '30', POWERTOOLS_LOG_LEVEL: process.env.LOAD_LOG_LEVEL ?? 'ERROR', ...options.env },
    }));
  const mix = (options.mix ?? loadMix).map((name) => held(scenarios.find((s) => s.name === name)!, (options.holdSeconds * 1000) / timeScale));
  const runs: CallRun[] = [];
  world.telnyx.setDialPolicy(scenarioDialPolicy(runs));
  const webhooksBefore = world.telnyx.webhooks.length;
  const pollsBefore = world.stack.pollerStats.messages;
  let up = 0;
  let peakConcurrent = 0;
  const started = Date.now();
  let running = true;
  const probing = options.probe?.(world, () => running);
  try {
    const finished = await Promise.all(
      Array.from({ length: options.calls }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * options.arrivalSeconds * 1000) / options.calls));
        const { run, finished: done } = playScenario(world.telnyx, mix[i % mix.length]!, `+1555090${String(i).padStart(4, '0')}`, testNumbers.conference, timeScale);
        runs.push(run);
        up += 1;
        peakConcurrent = Math.max(peakConcurrent, up);
        const ended = await done;
        up -= 1;
        return ended;
      }),
    );
    running = false;
    await probing;
    // Let hangups settle: conferences end, analyzers stop, poll chains notice.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const seconds = (Date.now() - started) / 1000;
    const problems: string[] = [];
    const escalationMs: number[] = [];
    for (const run of finished) {
      const session: Session | undefined = await world.sessionOf(run.customer);
      const verdict = judge(run, session, world.telnyx);
      if (!verdict.ok) {
        problems.push(
          `${run.scenario.name}: ${verdict.problems.join('; ')} (analyzer ${session?.analyzer.status}, ${session?.utterances.length ?? 0} utterances, menu ${session?.menu.status})`,
        );
      }
      const trigger = session?.escalation?.reason.atMs;
      const dialed = session && world.telnyx.dials().find((d) => decodeClientState(d.clientState)?.sessionId === session.id);
      if (trigger !== undefined && dialed) escalationMs.push(dialed.at - trigger);
    }
    const webhooks = world.telnyx.webhooks.slice(webhooksBefore);
    const menuMs = finished.flatMap((run) => (run.menuAtMs === undefined ? [] : [run.menuAtMs - run.startedAtMs]));
    return {
      source: options.source,
      calls: options.calls,
      missed: problems.length,
      peakConcurrent,
      webhooks: webhooks.length,
      webhookFailures: webhooks.filter((w) => w.status >= 500 || w.status === 0).length,
      webhookFailuresByKind: webhooks
        .filter((w) => w.status >= 500 || w.status === 0)
        .reduce<Record<string, number>>((counts, w) => ({ ...counts, [`${w.status} ${w.event_type}`]: (counts[`${w.status} ${w.event_type}`] ?? 0) + 1 }), {}),
      duplicated: webhooks.filter((w) => w.duplicate).length,
      reordered: webhooks.filter((w) => w.delayed).length,
      pollMessages: world.stack.pollerStats.messages - pollsBefore,
      seconds,
      menuMs: { p50: quantile(menuMs, 0.5), p95: quantile(menuMs, 0.95), max: Math.max(...menuMs) },
      escalationMs: { p50: quantile(escalationMs, 0.5), p95: quantile(escalationMs, 0.95), max: Math.max(...escalationMs) },
      problems,
      simulatorErrors: [...world.telnyx.errors, ...world.symbl.errors].map(String),
    };
  } finally {
    running = false;
    if (!options.world) await world.stop();
  }
}
