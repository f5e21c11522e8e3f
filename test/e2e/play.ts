import { judge, playScenario, type CallRun, type Scenario, type Verdict } from '../../local/scenarios.js';
import { simulatedNumbers, type SimulatedStack } from '../../local/simulated-stack.js';
import { dialsInto } from '../../local/timeline.js';

export interface Outcome {
  readonly run: CallRun;
  readonly verdict: Verdict;
  readonly conferenceId: string | undefined;
}

/**
 * Plays scenarios at once through a simulated stack (operators answer unless a scenario says
 * none will), waits for the hangups to settle, and judges every call.
 */
export async function playAll(world: SimulatedStack, list: readonly Scenario[], timeScale: number, settleMs = 3000): Promise<Outcome[]> {
  const runs: CallRun[] = [];
  world.telnyx.setDialPolicy(({ conferenceId }) => {
    const creator = conferenceId ? world.telnyx.conferences.get(conferenceId)?.creatorCallControlId : undefined;
    return runs.find((r) => r.customer.callControlId === creator)?.scenario.operators === 'none-answer' ? { noAnswer: true } : undefined;
  });
  const finished = list.map((scenario, i) => {
    const { run, finished } = playScenario(world.telnyx, scenario, `+1555020${String(i).padStart(4, '0')}`, simulatedNumbers.ours, timeScale);
    runs.push(run);
    return finished;
  });
  await Promise.all(finished);
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const outcomes: Outcome[] = [];
  for (const run of runs) {
    const session = await world.sessionOf(run.customer);
    const conferenceId = session?.conference.id;
    outcomes.push({ run, conferenceId, verdict: judge(run, session, dialsInto(world.telnyx, conferenceId).length) });
  }
  return outcomes;
}
