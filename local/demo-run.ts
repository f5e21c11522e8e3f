import { playScenario, judge, scenarios, type CallRun } from './scenarios.js';
import { startSimulatedStack, simulatedNumbers } from './simulated-stack.js';
import { buildTimeline, dialsInto, verdictLine } from './timeline.js';

/** One source's demo: every scenario at once through the local stack; exit 0 only if all met their expectation. */
const source = process.argv[2] === 'telnyx' ? 'telnyx' : 'symbl';
const timeScale = 0.5;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const world = await startSimulatedStack({ source, timeScale, env: { POWERTOOLS_LOG_LEVEL: process.env.DEMO_LOG_LEVEL ?? 'ERROR' } });
const runs: CallRun[] = [];
const started: Promise<CallRun>[] = [];
// Operators answer, except for the call whose scenario says none will.
world.telnyx.setDialPolicy(({ conferenceId }) => {
  const creator = conferenceId ? world.telnyx.conferences.get(conferenceId)?.creatorCallControlId : undefined;
  const run = runs.find((r) => r.customer.callControlId === creator);
  return run?.scenario.operators === 'none-answer' ? { noAnswer: true } : undefined;
});

const tty = process.stdout.isTTY;
const progress = setInterval(() => {
  const done = runs.filter((r) => r.finishedAtMs !== undefined).length;
  const dials = world.telnyx.dials().length;
  const line = `  ${runs.length - done} calls in progress, ${done} finished, ${dials} operator dials`;
  if (tty) process.stdout.write(`\r${line}   `);
  else console.log(line);
}, tty ? 250 : 2000);

scenarios.forEach((scenario, index) => {
  const from = `+1555010${String(index + 1).padStart(4, '0')}`;
  started.push(
    new Promise<void>((resolve) => setTimeout(resolve, index * 150)).then(() => {
      const { run, finished } = playScenario(world.telnyx, scenario, from, simulatedNumbers.ours, timeScale);
      runs.push(run);
      return finished;
    }),
  );
});
const finished = await Promise.all(started);
// Let hangups settle: conferences end, the analyzer stops, poll chains notice within two cycles.
await new Promise((resolve) => setTimeout(resolve, 3000));
clearInterval(progress);
if (tty) process.stdout.write('\n');

let failures = 0;
for (const run of finished) {
  const session = await world.sessionOf(run.customer);
  const verdict = judge(run, session, dialsInto(world.telnyx, session?.conference.id).length);
  if (!verdict.ok) failures += 1;
  console.log(`\n${run.scenario.name}: ${run.scenario.description}${session ? ` (session ${session.id})` : ''}`);
  for (const line of buildTimeline(run, session, world.telnyx, source === 'symbl' ? world.symbl : undefined)) console.log(line);
  console.log(verdictLine(run, verdict));
}
await world.stop();
console.log(`\n${source}: ${finished.length - failures} of ${finished.length} scenarios met their expectation`);
process.exit(failures === 0 ? 0 : 1);
