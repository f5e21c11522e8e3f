import { playAll } from './play.js';
import type { CallRun } from './scenarios.js';
import { scenarios } from './scenarios.js';
import { startSimulatedStack } from './simulated-stack.js';
import { summarizeMetrics } from './metric-lines.js';
import { buildTimeline, verdictLine } from './timeline.js';

/** One source's demo: every scenario through the local stack; exit 0 only if all met their expectation. */
const source = process.argv[2] === 'telnyx' ? 'telnyx' : 'symbl';
const timeScale = 0.5;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const keep = process.argv.includes('--keep');
const world = await startSimulatedStack({
  source,
  timeScale,
  env: { POWERTOOLS_LOG_LEVEL: process.env.DEMO_LOG_LEVEL ?? 'ERROR' },
  ...(process.env.PORT ? { port: Number(process.env.PORT) } : {}),
});
console.log(`  Live view: ${world.stack.pageUrl} (this machine: no sign-in; the call record API is at ${world.stack.pageUrl}calls)`);
const runs: CallRun[] = [];

const tty = process.stdout.isTTY;
const progress = setInterval(() => {
  const done = runs.filter((r) => r.finishedAtMs !== undefined).length;
  const dials = world.telnyx.dials().length;
  const line = `  ${runs.length - done} calls in progress, ${done} finished, ${dials} operator dials`;
  if (tty) process.stdout.write(`\r${line}   `);
  else console.log(line);
}, tty ? 250 : 2000);

const played = await playAll(world, scenarios, timeScale, { staggerMs: 150, callerPrefix: '010', onStart: (run) => runs.push(run) });
clearInterval(progress);
if (tty) process.stdout.write('\n');

let failures = 0;
for (const { run, session, verdict } of played) {
  if (!verdict.ok) failures += 1;
  console.log(`\n${run.scenario.name}: ${run.scenario.description}${session ? ` (session ${session.id})` : ''}`);
  for (const line of buildTimeline(run, session, world.telnyx, source === 'symbl' ? world.symbl : undefined)) console.log(line);
  console.log(verdictLine(run, verdict));
}
console.log(`\n${source}: ${played.length - failures} of ${played.length} scenarios met their expectation`);
console.log('\nMetrics the functions published (embedded metric format; in AWS, on the dashboard):');
for (const line of summarizeMetrics(world.stack.metricLines)) console.log(`  ${line}`);
if (keep) {
  console.log(`Still serving the live view at ${world.stack.pageUrl}: Ctrl+C stops it.`);
  console.log(`Replay these calls under another policy: npm run replay -- --policy docs/candidate-policy.json --endpoint ${world.stack.dynamoEndpoint}`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
}
await world.stop();
process.exit(failures === 0 ? 0 : 1);
