/**
 * `npm run test:reliability`: the reliability tests at full scale (1,000+ delivery schedules,
 * every fault case, 10,000+ fuzz cases), then one summary line of the figures. Exits non-zero
 * on any failed test or recorded violation.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Figures } from './support/figures.js';

interface VitestReport {
  readonly numTotalTests: number;
  readonly numFailedTests: number;
  readonly numRuntimeErrorTestSuites?: number;
  readonly success: boolean;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'reliability-'));
const figuresFile = join(work, 'figures.jsonl');
const reportFile = join(work, 'vitest.json');
const started = Date.now();

const exitCode = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/reliability', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`],
    { cwd: root, stdio: 'inherit', env: { ...process.env, RELIABILITY_SCALE: process.env.RELIABILITY_SCALE ?? 'full', RELIABILITY_FIGURES_FILE: figuresFile } },
  );
  child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});

const figures: Figures[] = existsSync(figuresFile)
  ? readFileSync(figuresFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Figures)
  : [];
const report: VitestReport | undefined = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as VitestReport) : undefined;
rmSync(work, { recursive: true, force: true });

const sum = (pick: (f: Figures) => number | undefined) => figures.reduce((n, f) => n + (pick(f) ?? 0), 0);
const failedTests = report ? report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0) : 1;
const violations = Math.max(sum((f) => f.violations), failedTests);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

for (const f of figures) {
  const parts = [
    f.schedules !== undefined ? `${f.schedules} schedules` : undefined,
    f.faults !== undefined ? `${f.faults} faults injected` : undefined,
    f.fuzzCases !== undefined ? `${f.fuzzCases} fuzz cases` : undefined,
    `${f.violations} violations`,
    seconds(f.durationMs),
  ].filter(Boolean);
  console.log(`  ${f.test}: ${parts.join(', ')}`);
  const d = f.details ?? {};
  const n = (key: string) => (typeof d[key] === 'number' ? (d[key] as number) : undefined);
  if (n('deliveries') !== undefined) {
    console.log(
      `    ${n('deliveries')} deliveries (${n('duplicates')} duplicates, ${n('failedDeliveries')} failed), ${n('failovers')} to the failover, ${n('givenUp')} given up after it, ` +
        `${n('retries')} commands retried through the queue, ${n('telnyxDelivery')} schedules delivered as Telnyx does`,
    );
  }
  const byKind = d.byKind as Record<string, number> | undefined;
  if (byKind) {
    const kinds = Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b));
    console.log(`    by kind: ${kinds.map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  }
}
console.log(`  ${report?.numTotalTests ?? 0} tests, ${failedTests} failed, ${seconds(Date.now() - started)} in all`);
console.log(`reliability: ${sum((f) => f.schedules)} schedules, ${sum((f) => f.faults)} faults injected, ${sum((f) => f.fuzzCases)} fuzz cases, ${violations} violations`);

process.exit(exitCode !== 0 || violations > 0 || !report?.success ? 1 : 0);
