/**
 * `npm run bench`: the figures the issues set targets for, measured on this machine. Prints a
 * table (each figure next to its target; a miss is shown, not hidden) and writes
 * bench/results.json.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { bundleBudgetBytes, bundleFunction } from '../infra/bundling.js';
import { prompts } from '../lib/core/prompts.js';
import { createAfinnScorer } from '../lib/sentiment/afinn-scorer.js';
import { dialIsFor, judge, playScenario, scenarios } from '../local/scenarios.js';
import { decodeClientState } from '../lib/telnyx/client-state.js';
import { localAwsSettings } from '../local/servers.js';
import { testNumbers } from '../local/environment.js';
import { startSimulatedStack } from '../local/simulated-stack.js';
import { startHarness, type Harness } from '../local/harness.js';
import { startLocalAws, type LocalAws } from '../local/local-aws.js';
import { evaluateScorer, loadLabeledUtterances } from '../local/scorer-eval.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const here = dirname(fileURLToPath(import.meta.url));
const scratch = join(here, '.tmp');
mkdirSync(scratch, { recursive: true });

interface Row {
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean | undefined;
}
const rows: Row[] = [];
const details: Record<string, unknown> = {};
const row = (figure: string, value: string, target = '', met?: boolean) => {
  rows.push({ figure, value, target, met });
  console.log(`  ${figure}: ${value}${target ? ` (target ${target}: ${met ? 'met' : 'MISSED'})` : ''}`);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Counts DynamoDB requests and their consumed capacity, per event when inside `perEvent.run`. */
function instrumentedDynamo(endpoint: string) {
  const perEvent = new AsyncLocalStorage<{ requests: number }>();
  const totals = { requests: 0, readUnits: 0, writeUnits: 0 };
  const client = new DynamoDBClient({ ...localAwsSettings, endpoint });
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      totals.requests += 1;
      const current = perEvent.getStore();
      if (current) current.requests += 1;
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      for (const c of (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { ReadCapacityUnits?: number; WriteCapacityUnits?: number; CapacityUnits?: number }[]) {
        totals.readUnits += c.ReadCapacityUnits ?? 0;
        totals.writeUnits += c.WriteCapacityUnits ?? 0;
        if (c.ReadCapacityUnits === undefined && c.WriteCapacityUnits === undefined) totals.writeUnits += c.CapacityUnits ?? 0;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCount' },
  );
  return { client, perEvent, totals };
}

function instrumentedSqs(endpoint: string) {
  const totals = { sends: 0 };
  const client = new SQSClient({ ...localAwsSettings, endpoint });
  client.middlewareStack.add(
    (next) => async (args) => {
      totals.sends += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCount' },
  );
  return { client, totals };
}

// ---------------------------------------------------------------------------------------------

async function bundles() {
  console.log('\nBundles and cold load');
  const node = process.execPath;
  const time = (args: string[]) => {
    const start = process.hrtime.bigint();
    const out = spawnSync(node, args, { stdio: 'ignore', cwd: scratch });
    if (out.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  for (const name of ['webhook', 'poller', 'calls-api'] as const) {
    const { bytes, outfile } = await bundleFunction(`functions/${name}/handler.ts`);
    row(`${name} bundle`, `${(bytes / 1024).toFixed(1)} KB`, `≤ ${bundleBudgetBytes / 1024} KB`, bytes <= bundleBudgetBytes);
    details[`${name}BundleBytes`] = bytes;
    // Beside the project's node_modules, as in Lambda beside the runtime's SDK.
    const copy = join(scratch, `${name}.mjs`);
    copyFileSync(outfile, copy);
    rmSync(dirname(outfile), { recursive: true, force: true });
    const bare: number[] = [];
    const loaded: number[] = [];
    const load = ['-e', `import(${JSON.stringify(pathToFileURL(copy).href)})`];
    time(load);
    for (let i = 0; i < 10; i++) {
      bare.push(time(['-e', '0']));
      loaded.push(time(load));
    }
    const ratio = percentile(loaded, 0.5) / percentile(bare, 0.5);
    row(`${name} cold load (median of 10)`, `${ms(percentile(loaded, 0.5))} vs bare node ${ms(percentile(bare, 0.5))} = ${ratio.toFixed(2)}×`, '≤ 1.6× bare node', ratio <= 1.6);
    details[`${name}ColdLoad`] = { loadedMs: loaded, bareMs: bare, ratio };
  }
}

// ---------------------------------------------------------------------------------------------

async function handlerTimes(aws: LocalAws) {
  console.log('\nWebhook handler time and DynamoDB requests per event (in process, DynamoDB Local, Telnyx simulator)');
  const dynamo = instrumentedDynamo(aws.dynamoEndpoint);
  const perType = new Map<string, { times: number[]; requests: number[] }>();
  const h = await startHarness({
    aws,
    timeScale: 0.2,
    dynamo: dynamo.client,
    aroundDelivery: async (deliver, rawBody) => {
      const type = (JSON.parse(rawBody) as { data?: { event_type?: string } }).data?.event_type ?? '?';
      const counter = { requests: 0 };
      const start = process.hrtime.bigint();
      const result = await dynamo.perEvent.run(counter, deliver);
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      const entry = perType.get(type) ?? { times: [], requests: [] };
      entry.times.push(elapsed);
      entry.requests.push(counter.requests);
      perType.set(type, entry);
      return result;
    },
  });
  try {
    // One call at a time, like the GetItem below: the figure is the handler's own cost, not contention.
    for (let round = 0; round < 3; round++) {
      for (const [i, name] of ['angry', 'presses-1', 'calm', 'asks-for-agent'].entries()) {
        const scenario = scenarios.find((s) => s.name === name)!;
        await playScenario(h.telnyx, scenario, `+15550300${round}${i}0`, testNumbers.conference, 0.3).finished;
        await h.settle();
      }
    }
  } finally {
    await h.stop();
  }
  const all = [...perType.values()];
  const times = all.flatMap((e) => e.times);
  const requests = all.flatMap((e) => e.requests);
  // One DynamoDB Local GetItem, same client, same run.
  const gets: number[] = [];
  const table = await aws.newTable();
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...localAwsSettings, endpoint: aws.dynamoEndpoint }));
  for (let i = 0; i < 300; i++) {
    const start = process.hrtime.bigint();
    await documents.send(new GetCommand({ TableName: table, Key: { pk: 'S#0000000000' }, ConsistentRead: true }));
    gets.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const getP50 = percentile(gets.slice(20), 0.5);
  const p50 = percentile(times, 0.5);
  const p99 = percentile(times, 0.99);
  row('webhook events measured', `${times.length} (${[...perType.keys()].length} event types)`);
  row('DynamoDB Local GetItem', `p50 ${ms(getP50)}, p99 ${ms(percentile(gets.slice(20), 0.99))}`);
  const getP99 = percentile(gets.slice(20), 0.99);
  row(
    'webhook handler time',
    `p50 ${ms(p50)} (${(p50 / getP50).toFixed(1)}× GetItem p50), p99 ${ms(p99)} (${(p99 / getP99).toFixed(1)}× GetItem p99)`,
    'p99 ≤ 3× one GetItem',
    p99 <= 3 * getP99,
  );
  const maxRequests = Math.max(...requests);
  const meanRequests = requests.reduce((a, b) => a + b, 0) / requests.length;
  row('DynamoDB requests per event', `mean ${meanRequests.toFixed(2)}, max ${maxRequests}`, '≤ 3', maxRequests <= 3);
  const table2 = [...perType].map(([type, e]) => ({
    type,
    events: e.times.length,
    p50Ms: +percentile(e.times, 0.5).toFixed(2),
    p99Ms: +percentile(e.times, 0.99).toFixed(2),
    dynamoRequestsMax: Math.max(...e.requests),
    dynamoRequestsMean: +(e.requests.reduce((a, b) => a + b, 0) / e.requests.length).toFixed(2),
  }));
  for (const t of table2) console.log(`    ${t.type.padEnd(32)} n=${String(t.events).padStart(3)} p50 ${t.p50Ms} ms  p99 ${t.p99Ms} ms  DynamoDB max ${t.dynamoRequestsMax}, mean ${t.dynamoRequestsMean}`);
  details.handler = { getItemMs: { p50: getP50 }, webhookMs: { p50, p99 }, perEventType: table2 };
}

// ---------------------------------------------------------------------------------------------

async function untilListening(h: Harness, customer: ReturnType<Harness['call']>) {
  await h.telnyx.waitFor(() => customer.heard.includes(prompts.menu), 20_000);
  for (let i = 0; i < 100; i++) {
    const session = (await h.sessionOf(customer))?.session;
    if (session?.poll.active && ((await h.runtime.store.getPollCursor(session.id))?.seq ?? 0) > 0) return session;
    await sleep(100);
  }
  throw new Error('the poll chain never started');
}

async function detectionLatency(aws: LocalAws) {
  console.log('\nDetection latency');
  const intervalSeconds = 1;
  // Symbl source: from the negative message becoming available to the operator dial reaching the simulator.
  const symblLatencies: number[] = [];
  const h = await startHarness({ aws, timeScale: 0.1, env: { POLL_INTERVAL_SECONDS: String(intervalSeconds) } });
  try {
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          const customer = h.call(`+155504${round}${i}000`.slice(0, 12));
          const session = await untilListening(h, customer);
          // Not phase-locked to the poll cycle.
          await sleep(Math.random() * intervalSeconds * 1000);
          const id = h.symbl.release(session.analyzer.conversationId!, 'this is absolutely unacceptable and I am furious', -0.92);
          const dial = await h.telnyx.waitFor(() => h.telnyx.dials().find((d) => decodeClientState(d.clientState)?.sessionId === session.id), 15_000);
          symblLatencies.push((dial.at - h.symbl.availableAt(id)!) / 1000);
          customer.hangup();
        }),
      );
    }
  } finally {
    await h.stop();
  }
  const p50 = percentile(symblLatencies, 0.5);
  const p95 = percentile(symblLatencies, 0.95);
  row(
    `Symbl source (${symblLatencies.length} calls, poll every ${intervalSeconds} s)`,
    `p50 ${p50.toFixed(2)} s (${(p50 / intervalSeconds).toFixed(2)}× interval), p95 ${p95.toFixed(2)} s (${(p95 / intervalSeconds).toFixed(2)}× interval)`,
    `p95 ≤ interval + 0.3 s = ${intervalSeconds + 0.3} s`,
    p95 <= intervalSeconds + 0.3,
  );

  // Telnyx source: from the final transcript's webhook arriving to the operator dial reaching the simulator.
  const arrivals = new Map<string, number>();
  const telnyxLatencies: number[] = [];
  const t = await startHarness({
    aws,
    source: 'telnyx',
    scorer: createAfinnScorer(),
    timeScale: 0.1,
    aroundDelivery: async (deliver, rawBody) => {
      const event = (JSON.parse(rawBody) as { data?: { event_type?: string; payload?: { call_control_id?: string } } }).data;
      if (event?.event_type === 'call.transcription' && event.payload?.call_control_id) arrivals.set(event.payload.call_control_id, Date.now());
      return deliver();
    },
  });
  try {
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          const customer = t.call(`+155505${round}${i}000`.slice(0, 12));
          await t.telnyx.waitFor(() => customer.heard.includes(prompts.menu), 20_000);
          await t.telnyx.waitFor(() => customer.transcribing, 5000);
          customer.say('this is absolutely unacceptable and I am furious', { final: true });
          const dial = await t.telnyx.waitFor(() => t.telnyx.dials().find((d) => dialIsFor(customer.callControlId, d.clientState)), 10_000);
          telnyxLatencies.push(dial.at - arrivals.get(customer.callControlId)!);
          customer.hangup();
        }),
      );
    }
  } finally {
    await t.stop();
  }
  const tp50 = percentile(telnyxLatencies, 0.5);
  const tp95 = percentile(telnyxLatencies, 0.95);
  row(`Telnyx source (${telnyxLatencies.length} calls, inline)`, `p50 ${ms(tp50)}, p95 ${ms(tp95)}`, 'p95 ≤ 150 ms', tp95 <= 150);
  details.detection = { symblSeconds: symblLatencies, telnyxMs: telnyxLatencies, pollIntervalSeconds: intervalSeconds };
}

// ---------------------------------------------------------------------------------------------

/** AWS list prices (us-east-1, on-demand) used for the cost estimate. */
const prices = {
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaMemoryGb: 0.5,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  sqsPerMillionRequests: 0.4,
};

async function requestsPerCallMinute(aws: LocalAws) {
  console.log('\nRequests and AWS cost per call-minute (calm calls that never escalate, so polling runs the whole call)');
  const results: Record<string, unknown> = {};
  for (const source of ['symbl', 'telnyx'] as const) {
    const dynamo = instrumentedDynamo(aws.dynamoEndpoint);
    const sqs = instrumentedSqs(aws.queue.endpoint);
    let webhooks = 0;
    let handlerMs = 0;
    const h = await startHarness({
      aws,
      source,
      timeScale: 0.1,
      dynamo: dynamo.client,
      sqs: sqs.client,
      ...(source === 'telnyx' ? { scorer: createAfinnScorer() } : {}),
      aroundDelivery: async (deliver) => {
        webhooks += 1;
        const start = Date.now();
        const result = await deliver();
        handlerMs += Date.now() - start;
        return result;
      },
    });
    const callSeconds = 30;
    const calls = 4;
    try {
      await Promise.all(
        Array.from({ length: calls }, async (_, i) => {
          const customer = h.call(`+155506${i}00000`.slice(0, 12));
          const started = Date.now();
          await h.telnyx.waitFor(() => customer.heard.includes(prompts.menu), 20_000);
          while (Date.now() - started < callSeconds * 1000) {
            customer.say('I would like to ask about my account balance please', { final: true, score: 0.1 });
            await sleep(5000);
          }
          customer.hangup();
        }),
      );
      await h.settle();
      await sleep(2500);
    } finally {
      await h.stop();
    }
    const minutes = (calls * callSeconds) / 60;
    const symblRequests = h.symbl.requests.filter((r) => r.kind !== 'token').length;
    // Lambda's event source polls the queue itself; these are the product's own sends and the
    // poller invocations it causes (one message each at this load).
    const pollerInvocations = sqs.totals.sends;
    const lambdaInvocations = webhooks + pollerInvocations;
    const perMinute = (n: number) => n / minutes;
    const cost =
      (lambdaInvocations * prices.lambdaPerMillionRequests) / 1e6 +
      (handlerMs / 1000) * prices.lambdaMemoryGb * prices.lambdaArmPerGbSecond +
      (dynamo.totals.writeUnits * prices.dynamoPerMillionWriteUnits) / 1e6 +
      (dynamo.totals.readUnits * prices.dynamoPerMillionReadUnits) / 1e6 +
      (sqs.totals.sends * 3 * prices.sqsPerMillionRequests) / 1e6;
    const figures = {
      symbl: perMinute(symblRequests),
      sqsSends: perMinute(sqs.totals.sends),
      dynamoRequests: perMinute(dynamo.totals.requests),
      dynamoReadUnits: perMinute(dynamo.totals.readUnits),
      dynamoWriteUnits: perMinute(dynamo.totals.writeUnits),
      lambdaInvocations: perMinute(lambdaInvocations),
      awsUsdPerCallMinute: cost / minutes,
    };
    row(
      `${source} source, per call-minute`,
      `Symbl ${figures.symbl.toFixed(1)}, SQS sends ${figures.sqsSends.toFixed(1)}, DynamoDB ${figures.dynamoRequests.toFixed(1)} requests (${figures.dynamoReadUnits.toFixed(1)} RCU, ${figures.dynamoWriteUnits.toFixed(1)} WCU), Lambda ${figures.lambdaInvocations.toFixed(1)} invocations; AWS ≈ $${(figures.awsUsdPerCallMinute * 1000).toFixed(3)} per 1,000 call-minutes`,
    );
    results[source] = figures;
  }
  details.perCallMinute = { ...results, prices, note: 'SQS counted as send + receive + delete per message; Symbl and Telnyx transcription charges are not included' };
}

// ---------------------------------------------------------------------------------------------

async function throughput() {
  console.log('\nThroughput: 100 concurrent calls through the local stack (real handlers over HTTP, both simulators)');
  const timeScale = 0.5;
  const world = await startSimulatedStack({ source: 'symbl', timeScale, pollerConcurrency: 4, env: { ANALYZER_JOIN_TIMEOUT_SECONDS: '30', POWERTOOLS_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'ERROR' } });
  const started = Date.now();
  const mix = ['angry', 'presses-1', 'asks-for-agent', 'calm'].map((name) => scenarios.find((s) => s.name === name)!);
  try {
    const runs = Array.from({ length: 100 }, (_, i) => playScenario(world.telnyx, mix[i % mix.length]!, `+1555070${String(i).padStart(4, '0')}`, testNumbers.conference, timeScale));
    const finished = await Promise.all(runs.map((r) => r.finished));
    await sleep(5000);
    const elapsed = (Date.now() - started) / 1000;
    let failures = 0;
    for (const run of finished) {
      const session = await world.sessionOf(run.customer);
      const verdict = judge(run, session, world.telnyx);
      if (!verdict.ok) {
        failures += 1;
        console.log(`    ${run.scenario.name}: ${verdict.problems.join('; ')} (analyzer ${session?.analyzer.status}, ${session?.utterances.length ?? 0} utterances, menu ${session?.menu.status})`);
      }
    }
    const serverErrors = world.telnyx.webhooks.filter((w) => w.status >= 500 || w.status === 0).length;
    const deliveries = world.telnyx.webhooks.length;
    const errors = failures + serverErrors + world.telnyx.errors.length + world.symbl.errors.length;
    row(
      '100 concurrent calls',
      `${elapsed.toFixed(1)} s, ${deliveries} webhooks (${(deliveries / elapsed).toFixed(0)}/s), ${world.stack.pollerStats.messages} poll messages; ${failures} calls missed their expectation, ${serverErrors} webhook 5xx`,
      'zero errors',
      errors === 0,
    );
    details.throughput = { calls: 100, seconds: elapsed, deliveries, failures, serverErrors, pollMessages: world.stack.pollerStats.messages };
  } finally {
    await world.stop();
  }
}

// ---------------------------------------------------------------------------------------------

function scorer() {
  console.log('\nLocal sentiment scorer (local/fixtures/sentiment-utterances.json)');
  const evaluation = evaluateScorer(createAfinnScorer(), loadLabeledUtterances());
  row(
    'AFINN scorer',
    `${(evaluation.overall.ratio * 100).toFixed(1)}% accurate (held out ${(evaluation.heldOut.ratio * 100).toFixed(1)}%), ${evaluation.falseEscalations.length} false escalations, ${evaluation.microsPerUtterance.median.toFixed(1)} µs per utterance`,
  );
  details.scorer = evaluation;
}

// ---------------------------------------------------------------------------------------------

const only = process.argv[2];
const wanted = (part: string) => only === undefined || only === part;
console.log(`sentiment-ivr benchmarks on ${os.cpus().length} cores, Node ${process.version}`);
if (wanted('bundles')) await bundles();
if (wanted('scorer')) scorer();
if (wanted('handler') || wanted('detection') || wanted('cost')) {
  const aws = await startLocalAws();
  try {
    if (wanted('handler')) await handlerTimes(aws);
    if (wanted('detection')) await detectionLatency(aws);
    if (wanted('cost')) await requestsPerCallMinute(aws);
  } finally {
    await aws.stop();
  }
}
if (wanted('throughput')) await throughput();

const width = Math.max(...rows.map((r) => r.figure.length));
console.log('\nSummary');
for (const r of rows.filter((r) => r.target)) {
  console.log(`  ${r.met ? 'met   ' : 'MISSED'}  ${r.figure.padEnd(width)}  ${r.value}  (target ${r.target})`);
}
if (only === undefined) writeFileSync(join(here, 'results.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, cores: os.cpus().length, rows, details }, null, 2)}\n`);
if (only === undefined) console.log(`\nWrote ${join("bench", "results.json")}`);
process.exit(0);
