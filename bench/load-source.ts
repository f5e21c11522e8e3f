/**
 * One source's load run for `npm run bench`, in a process of its own (the handlers read their
 * configuration once per process, as in Lambda): `calls` calls ring in over a minute and each
 * stays on a minute beyond its scenario, so all of them are up at once, while a supervisor's page
 * reads the call record API. Prints one line, `RESULT <json>`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runLoad, type LoadResult } from '../local/load.js';

export const concurrentShape = { calls: 100, arrivalSeconds: 60, holdSeconds: 60, timeScale: 1 } as const;
export const resultPrefix = 'RESULT ';

interface ApiTimes {
  list: number[];
  call: number[];
  errors: number;
}

export interface LoadSourceResult {
  readonly result: LoadResult;
  readonly api: ApiTimes;
  /** The event loop's delay in this process (simulators, handlers and callers share it), ms. */
  readonly lagMs: { readonly p99: number; readonly max: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the call record API as one supervisor's open page does (the live list, then the newest call's page), timing each answer. */
async function superviseWhile(pageUrl: string, running: () => boolean, api: ApiTimes): Promise<void> {
  const base = pageUrl.replace(/\/$/, '');
  const timed = async (path: string, into: number[]) => {
    const start = performance.now();
    const response = await fetch(`${base}${path}`);
    const body = (await response.json()) as { calls?: { sessionId: string }[] };
    into.push(performance.now() - start);
    if (!response.ok) api.errors += 1;
    return body;
  };
  while (running()) {
    const listed = await timed('/calls?status=live&limit=50', api.list);
    const newest = listed.calls?.[0]?.sessionId;
    if (newest) await timed(`/calls/${newest}`, api.call);
    await sleep(250);
  }
}

async function main(source: 'symbl' | 'telnyx', calls: number): Promise<void> {
  const api: ApiTimes = { list: [], call: [], errors: 0 };
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const result = await runLoad({ source, ...concurrentShape, calls, probe: (world, running) => superviseWhile(world.stack.pageUrl, running, api) });
  lag.disable();
  const out: LoadSourceResult = { result, api, lagMs: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 } };
  process.stdout.write(`${resultPrefix}${JSON.stringify(out)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const source = process.argv[2] === 'telnyx' ? 'telnyx' : 'symbl';
  await main(source, Number(process.argv[3] ?? concurrentShape.calls));
  process.exit(0);
}
