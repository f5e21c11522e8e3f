/**
 * The README's screenshots of the supervisors' live view, taken during the demo:
 * `npx tsx local/screenshots.ts` plays the demo's scenarios through a simulated stack with the
 * list open, captures docs/screenshots/live-view.png while calls are live and one has escalated,
 * then docs/screenshots/call-page.png (the angry caller's page). On the way it measures how
 * long key webhooks take to show on the list, and prints that.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from './browser.js';
import { measureLiveViewLatency } from './live-view-latency.js';
import { quantile } from './quantile.js';
import type { CallRun } from './scenarios.js';
import { startSimulatedStack } from './simulated-stack.js';

/** The demo's calls at their real pace: operators have time to join while the calls are live. */
const timeScale = 1;
const out = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// A looser candidate beside the live policy, so the call page shows its lines and its verdict.
const world = await startSimulatedStack({ source: 'telnyx', timeScale, env: { POWERTOOLS_LOG_LEVEL: 'ERROR', SHADOW_POLICY: JSON.stringify({ SENTIMENT_THRESHOLD: -0.3, SENTIMENT_WINDOW_THRESHOLD: -0.3 }) } });
const browser = await launchBrowser();
try {
  await mkdir(out, { recursive: true });
  const page = await browser.newPage();
  const runs: CallRun[] = [];

  /** The list while the demo runs: five calls or more live, the angry one escalated, an operator with a caller if one gets there in time. */
  const listShot = (async () => {
    let angryId: string | undefined;
    const started = Date.now();
    for (; Date.now() - started < 60_000; await new Promise((resolve) => setTimeout(resolve, 200))) {
      const angry = runs.find((r) => r.scenario.name === 'angry');
      angryId ??= angry ? (await world.sessionOf(angry.customer))?.id : undefined;
      if (!angryId) continue;
      const live = await page.locator('#live-table tbody tr').count();
      const escalated = await page.locator(`#live-table tr[data-session-id="${angryId}"]:not([data-escalation=""])`).count();
      const withOperator = await page.locator('#live-table tr[data-state="with an operator"]').count();
      if (live >= 5 && escalated === 1 && (withOperator >= 2 || Date.now() - started > 15_000)) {
        await page.screenshot({ path: `${out}live-view.png` });
        return angryId;
      }
    }
    throw new Error('The list never showed five live calls with the angry one escalated');
  })();

  const measurement = await measureLiveViewLatency({ world, page, timeScale, play: { callerPrefix: '010', onStart: (run) => runs.push(run) } });
  const angryId = await listShot;

  await page.goto(`${world.stack.pageUrl}#/calls/${angryId}`);
  await page.locator('#call-chart svg [data-threshold]').first().waitFor();
  await page.locator('#call-transcript li .score-badge').first().waitFor();
  await page.screenshot({ path: `${out}call-page.png`, fullPage: true });
  console.log(`wrote ${out}live-view.png and ${out}call-page.png`);

  const { samples, missed, played } = measurement;
  for (const { run, verdict } of played) if (!verdict.ok) console.log(`(the product missed in ${run.scenario.name}: ${verdict.problems.join('; ')})`);
  const latencies = samples.map((s) => s.latencyMs);
  const pageShare = samples.flatMap((s) => (s.answeredAtMs === undefined ? [] : [s.shownAtMs - s.answeredAtMs]));
  console.log(`\nwebhook → list, ${samples.length} samples (${missed.length} never shown):`);
  for (const s of samples) console.log(`  ${s.scenario.padEnd(22)} ${s.change.padEnd(17)} ${String(s.latencyMs).padStart(5)} ms`);
  console.log(`  p50 ${quantile(latencies, 0.5)} ms, p95 ${quantile(latencies, 0.95)} ms, max ${Math.max(...latencies)} ms`);
  console.log(`  from the webhook's answer: p50 ${quantile(pageShare, 0.5)} ms, p95 ${quantile(pageShare, 0.95)} ms`);
  for (const m of missed) console.log(`  never shown: ${m.scenario} ${m.change} (${m.sessionId})`);
} finally {
  await browser.close();
  await world.stop();
}
