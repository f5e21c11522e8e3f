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
import { dialIsFor, playScenario, scenarios } from '../local/scenarios.js';
import { decodeClientState } from '../lib/telnyx/client-state.js';
import { quantile } from '../local/quantile.js';
import { localAwsSettings } from '../local/servers.js';
import { testNumbers } from '../local/environment.js';
import { concurrentShape, resultPrefix, type LoadSourceResult } from './load-source.js';
import { generateWebhookKeyPair, signedHeaders } from '../local/sim/webhook-signer.js';
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
/** The figures the issues name, at the top of bench/results.json. */
const writeUnitsPerCallMinute: Partial<Record<'symbl' | 'telnyx', number>> = {};
const concurrentCalls: Partial<Record<'symbl' | 'telnyx', unknown>> = {};
const row = (figure: string, value: string, target = '', met?: boolean) => {
  rows.push({ figure, value, target, met });
  console.log(`  ${figure}: ${value}${target ? ` (target ${target}: ${met ? 'met' : 'MISSED'})` : ''}`);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Counts DynamoDB requests and their consumed capacity, per event when inside `perEvent.run`. */
/** Counts DynamoDB requests and their consumed capacity (reads and writes by the command that consumed them), per event when inside `perEvent.run`. */
function instrumentedDynamo(endpoint: string) {
  const perEvent = new AsyncLocalStorage<{ requests: number }>();
  const totals = { requests: 0, readUnits: 0, writeUnits: 0 };
  const byCommand: Record<string, { requests: number; units: number }> = {};
  const client = new DynamoDBClient({ ...localAwsSettings, endpoint });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      totals.requests += 1;
      const current = perEvent.getStore();
      if (current) current.requests += 1;
      const result = await next(args);
      // The document client may not have marshalled the key yet at this step.
      const input = args.input as { Item?: { pk?: unknown }; Key?: { pk?: unknown } };
      const pk = input.Item?.pk ?? input.Key?.pk;
      const prefix = (typeof pk === 'string' ? pk : (pk as { S?: string } | undefined)?.S)?.split('#')[0];
      const command = `${String(context.commandName ?? '?').replace(/Command$/, '')}${prefix ? ` ${prefix}#` : ''}`;
      const reads = /^(Get|BatchGet|Query|Scan)/.test(command);
      const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      let units = 0;
      for (const c of (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { CapacityUnits?: number }[]) units += c.CapacityUnits ?? 0;
      if (reads) totals.readUnits += units;
      else totals.writeUnits += units;
      const entry = (byCommand[command] ??= { requests: 0, units: 0 });
      entry.requests += 1;
      entry.units += units;
      return result;
    },
    { step: 'initialize', name: 'benchCount' },
  );
  return { client, perEvent, totals, byCommand };
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
    const ratio = quantile(loaded, 0.5) / quantile(bare, 0.5);
    row(`${name} cold load (median of 10)`, `${ms(quantile(loaded, 0.5))} vs bare node ${ms(quantile(bare, 0.5))} = ${ratio.toFixed(2)}×`, '≤ 1.6× bare node', ratio <= 1.6);
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
  const getP50 = quantile(gets.slice(20), 0.5);
  const p50 = quantile(times, 0.5);
  const p99 = quantile(times, 0.99);
  row('webhook events measured', `${times.length} (${[...perType.keys()].length} event types)`);
  row('DynamoDB Local GetItem', `p50 ${ms(getP50)}, p99 ${ms(quantile(gets.slice(20), 0.99))}`);
  const getP99 = quantile(gets.slice(20), 0.99);
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
    p50Ms: +quantile(e.times, 0.5).toFixed(2),
    p99Ms: +quantile(e.times, 0.99).toFixed(2),
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
  const p50 = quantile(symblLatencies, 0.5);
  const p95 = quantile(symblLatencies, 0.95);
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
  const tp50 = quantile(telnyxLatencies, 0.5);
  const tp95 = quantile(telnyxLatencies, 0.95);
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

/** What a calm caller says, a sentence every five seconds: different words, as real speech (a repeated sentence would flatter the compressed session). */
const calmLines = [
  'I would like to ask about my account balance please',
  'my card was charged twice last week',
  'can you tell me when the refund arrives',
  'I moved house and need to change my address',
  'the app keeps logging me out every morning',
  'is there a fee for paper statements',
  'what is the interest rate on my savings',
  'thanks that helps a lot',
  'also my daughter needs a card of her own',
  'how long does a new card take to arrive',
  'ok and can I pick it up at a branch instead',
  'right I think that is all for today',
];

/** Write units per call-minute, per source, against their targets. */
const writeUnitTargets = { symbl: 150, telnyx: 100 } as const;

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
    // One-minute calls: the figure is per call-minute, so a call's set-up is spread over one minute of it.
    const callSeconds = 60;
    const calls = 4;
    try {
      await Promise.all(
        Array.from({ length: calls }, async (_, i) => {
          const customer = h.call(`+155506${i}00000`.slice(0, 12));
          const started = Date.now();
          await h.telnyx.waitFor(() => customer.heard.includes(prompts.menu), 20_000);
          for (let line = i; Date.now() - started < callSeconds * 1000; line++) {
            customer.say(calmLines[line % calmLines.length]!, { final: true, score: 0.1 });
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
    const telnyxRequests = h.telnyx.requests.length;
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
      telnyxApi: perMinute(telnyxRequests),
      webhooks: perMinute(webhooks),
      sqsSends: perMinute(sqs.totals.sends),
      dynamoRequests: perMinute(dynamo.totals.requests),
      dynamoReadUnits: perMinute(dynamo.totals.readUnits),
      dynamoWriteUnits: perMinute(dynamo.totals.writeUnits),
      lambdaInvocations: perMinute(lambdaInvocations),
      awsUsdPerCallMinute: cost / minutes,
    };
    row(
      `${source} source, per call-minute`,
      `webhooks ${figures.webhooks.toFixed(1)}, Telnyx API ${figures.telnyxApi.toFixed(1)}, Symbl ${figures.symbl.toFixed(1)}, SQS sends ${figures.sqsSends.toFixed(1)}, DynamoDB ${figures.dynamoRequests.toFixed(1)} requests (${figures.dynamoReadUnits.toFixed(1)} RCU, ${figures.dynamoWriteUnits.toFixed(1)} WCU), Lambda ${figures.lambdaInvocations.toFixed(1)} invocations; AWS ≈ $${(figures.awsUsdPerCallMinute * 1000).toFixed(3)} per 1,000 call-minutes`,
    );
    const breakdown = Object.entries(dynamo.byCommand)
      .sort((a, b) => b[1].units - a[1].units)
      .map(([command, e]) => `${command} ${perMinute(e.requests).toFixed(1)} req/${perMinute(e.units).toFixed(1)} units`);
    console.log(`    DynamoDB per call-minute by command: ${breakdown.join(', ')}`);
    row(`${source} source, DynamoDB write units per call-minute`, figures.dynamoWriteUnits.toFixed(1), `≤ ${writeUnitTargets[source]}`, figures.dynamoWriteUnits <= writeUnitTargets[source]);
    writeUnitsPerCallMinute[source] = Number(figures.dynamoWriteUnits.toFixed(1));
    results[source] = { ...figures, dynamoByCommand: Object.fromEntries(Object.entries(dynamo.byCommand).map(([c, e]) => [c, { requests: perMinute(e.requests), units: perMinute(e.units) }])) };
  }
  details.perCallMinute = { ...results, prices, note: 'SQS counted as send + receive + delete per message; Symbl and Telnyx transcription charges are not included' };
}

// ---------------------------------------------------------------------------------------------

/**
 * 100 calls up at once under each source, through the local stack (the real handlers over HTTP,
 * the poll queue drained as Lambda drains it, both simulators): see `bench/load-source.ts`.
 */

/** Runs `bench/load-source.ts` for one source in a process of its own and reads its result. */
function loadInChild(source: 'symbl' | 'telnyx', calls: number): LoadSourceResult {
  const out = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'load-source.ts'), source, String(calls)], {
    cwd: join(here, '..'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = out.stdout.split('\n').find((l) => l.startsWith(resultPrefix));
  if (out.status !== 0 || !line) throw new Error(`the ${source} load run failed (exit ${out.status}): ${out.stdout.slice(-2000)}`);
  return JSON.parse(line.slice(resultPrefix.length)) as LoadSourceResult;
}

async function concurrent() {
  console.log(`\nConcurrent calls: ${concurrentShape.calls} ringing in over ${concurrentShape.arrivalSeconds} s, each on ${concurrentShape.holdSeconds} s beyond its scenario (angry, presses 1, asks for an agent, calm in turn)`);
  for (const source of ['symbl', 'telnyx'] as const) {
    // One process per source: the handlers read their configuration once per process, as in Lambda.
    const { result, api } = loadInChild(source, concurrentShape.calls);
    for (const problem of result.problems.slice(0, 10)) console.log(`    ${problem}`);
    row(
      `${source} source, ${result.calls} concurrent calls`,
      `${result.missed} missed (${result.peakConcurrent} up at once), ${result.webhooks} webhooks (${result.webhookFailures} failed), ${result.pollMessages} poll messages in ${result.seconds.toFixed(0)} s; menu after p50 ${(result.menuMs.p50 / 1000).toFixed(1)} s / p95 ${(result.menuMs.p95 / 1000).toFixed(1)} s; operator dialed p95 ${(result.escalationMs.p95 / 1000).toFixed(1)} s after the trigger`,
      '0 missed',
      result.missed === 0 && result.webhookFailures === 0 && result.simulatorErrors.length === 0,
    );
    row(
      `${source} source, call record API while ${result.calls} calls are up (a supervisor's page: the list and a call every 250 ms)`,
      `GET /calls p50 ${ms(quantile(api.list, 0.5))}, p95 ${ms(quantile(api.list, 0.95))}; GET /calls/{id} p50 ${ms(quantile(api.call, 0.5))}, p95 ${ms(quantile(api.call, 0.95))} (${api.list.length + api.call.length} requests, ${api.errors} errors)`,
    );
    details[`callsApi_${source}`] = { listMs: { p50: quantile(api.list, 0.5), p95: quantile(api.list, 0.95) }, callMs: { p50: quantile(api.call, 0.5), p95: quantile(api.call, 0.95) }, errors: api.errors };
    concurrentCalls[source] = {
      calls: result.calls,
      missed: result.missed,
      webhooks: result.webhooks,
      seconds: Number(result.seconds.toFixed(1)),
      peakConcurrent: result.peakConcurrent,
      webhookFailures: result.webhookFailures,
      pollMessages: result.pollMessages,
      menuMs: result.menuMs,
      escalationMs: result.escalationMs,
    };
  }
}

/**
 * `npm run bench -- ramp [symbl|telnyx]`: more calls at once, step by step (ringing in over a
 * minute, each on a minute more), until a step first misses a call or fails a webhook; prints
 * what broke, at what number, and the signs of why.
 */
async function ramp(source: 'symbl' | 'telnyx') {
  // 100 at once is the bench's own concurrent figure; the ramp goes on from there.
  const steps = [150, 200, 300, 400, 600];
  console.log(`\nRamp (${source} source): ${steps.join(', ')} calls at once until something breaks`);
  const results: unknown[] = [];
  for (const calls of steps) {
    const { result, lagMs } = loadInChild(source, calls);
    const broke = result.missed > 0 || result.webhookFailures > 0 || result.simulatorErrors.length > 0;
    row(
      `ramp ${source}: ${calls} calls`,
      `${result.missed} missed, ${result.webhookFailures} webhooks failed of ${result.webhooks}, menu p95 ${(result.menuMs.p95 / 1000).toFixed(1)} s, event-loop lag p99 ${lagMs.p99.toFixed(0)} ms (max ${lagMs.max.toFixed(0)})`,
    );
    results.push({ ...result, problems: result.problems.slice(0, 20), lagMs });
    if (broke) {
      console.log(`  first broke at ${calls} calls at once:`);
      for (const [kind, count] of Object.entries(result.webhookFailuresByKind)) console.log(`    webhook ${kind}: ${count} failed`);
      for (const problem of result.problems.slice(0, 10)) console.log(`    ${problem}`);
      for (const error of result.simulatorErrors.slice(0, 5)) console.log(`    simulator: ${error}`);
      break;
    }
  }
  writeFileSync(join(here, `ramp-${source}.json`), `${JSON.stringify({ measuredAt: new Date().toISOString(), cores: os.cpus().length, shape: concurrentShape, steps: results }, null, 2)}\n`);
  console.log(`Wrote ${join('bench', `ramp-${source}.json`)}`);
}

/**
 * Forged webhooks one function instance refuses per second: unsigned, signed with another key,
 * and a body changed after signing, through the Lambda handler itself (a cold one: nothing but
 * the public key is read before the signature is checked).
 */
async function forged() {
  console.log('\nForged webhooks refused by one function instance (in-process, one at a time)');
  const telnyxKey = generateWebhookKeyPair();
  const forger = generateWebhookKeyPair();
  process.env.TELNYX_PUBLIC_KEY = telnyxKey.publicKeyBase64;
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { handler } = await import('../functions/webhook/handler.js');
  // Each answer is counted as a metric line; counted, not printed, here.
  let metricLines = 0;
  (await import('../functions/shared/metrics.js')).sendMetricsTo(() => (metricLines += 1));
  const body = JSON.stringify({ data: { event_type: 'call.initiated', id: 'forged', occurred_at: new Date().toISOString(), payload: { call_control_id: 'v3:x' } } });
  const now = Math.floor(Date.now() / 1000);
  const kinds = {
    unsigned: { 'content-type': 'application/json' },
    'signed with another key': signedHeaders(forger.privateKey, body, now),
    'changed after signing': signedHeaders(telnyxKey.privateKey, body.replace('forged', 'forgeD'), now),
  };
  const perSecond: Record<string, number> = {};
  for (const [kind, headers] of Object.entries(kinds)) {
    const event = { body, isBase64Encoded: false, headers, requestContext: { http: { method: 'POST' } } } as unknown as Parameters<typeof handler>[0];
    const count = 5000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const answer = await handler(event);
      if (answer.statusCode !== 401) throw new Error(`a forged webhook (${kind}) was answered ${answer.statusCode}`);
    }
    perSecond[kind] = count / (Number(process.hrtime.bigint() - start) / 1e9);
  }
  if (metricLines < 3 * 5000) throw new Error(`forged webhooks were not all counted: ${metricLines} metric lines`);
  const slowest = Math.min(...Object.values(perSecond));
  row('forged webhooks refused per second, one instance', Object.entries(perSecond).map(([k, v]) => `${k} ${v.toFixed(0)}/s`).join(', '));
  details.forgedPerSecond = perSecond;
  details.forgedPerSecondSlowest = slowest;
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
if (only !== undefined && !['bundles', 'scorer', 'handler', 'detection', 'cost', 'forged', 'concurrent', 'ramp'].includes(only)) {
  console.error(`Unknown part "${only}": bundles, scorer, handler, detection, cost, forged, concurrent (all of them when none is named), or ramp [symbl|telnyx]`);
  process.exit(2);
}
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
if (wanted('concurrent')) await concurrent();
// Last: it loads the webhook handler in this process with a key of its own.
if (wanted('forged')) await forged();
if (only === 'ramp') await ramp(process.argv[3] === 'telnyx' ? 'telnyx' : 'symbl');

const width = Math.max(...rows.map((r) => r.figure.length));
console.log('\nSummary');
for (const r of rows.filter((r) => r.target)) {
  console.log(`  ${r.met ? 'met   ' : 'MISSED'}  ${r.figure.padEnd(width)}  ${r.value}  (target ${r.target})`);
}
if (only === undefined) writeFileSync(join(here, 'results.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, cores: os.cpus().length, concurrentCalls, writeUnitsPerCallMinute, forgedPerSecond: details.forgedPerSecondSlowest, rows, details }, null, 2)}\n`);
if (only === undefined) console.log(`\nWrote ${join("bench", "results.json")}`);
process.exit(0);
