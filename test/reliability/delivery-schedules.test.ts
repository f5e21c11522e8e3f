import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperatorScreening } from '../../lib/core/model.js';
import { generateWebhookKeyPair } from '../../local/sim/webhook-signer.js';
import { atScale, recordFigures } from './support/figures.js';
import { localDynamo } from './support/local-dynamo.js';
import { runSchedule, type ScheduleContext, type ScheduleParams } from './support/schedule.js';
import type { OperatorBehavior } from './support/world.js';
import { faultyDynamo, type FaultyDynamo } from './support/write-faults.js';

const local = localDynamo();
const key = generateWebhookKeyPair();
let faulty: FaultyDynamo | undefined;
afterAll(() => faulty?.stop());
/** The runtime's DynamoDB client, through which schedules fault their session writes. */
const dynamo = (): FaultyDynamo => (faulty ??= faultyDynamo(local.endpoint));

const schedules = atScale(100, 1000);
/** Schedules run two at a time, on one table with run numbers of their own: while one waits on DynamoDB Local, the other runs. */
const sideBySide = 2;
/** A fresh table every so many schedules keeps DynamoDB Local's in-memory tables small. */
const schedulesPerTable = 100;

/** Mostly people who take the call; every other far end often enough to meet in each run. */
const operator: fc.Arbitrary<OperatorBehavior> = fc.oneof(
  { arbitrary: fc.constant('takes-call' as const), weight: 6 },
  { arbitrary: fc.constantFrom<OperatorBehavior>('listens', 'voicemail', 'no-answer', 'refused-403', 'refused-422', 'declines', 'leaves'), weight: 7 },
  { arbitrary: fc.constantFrom<OperatorBehavior>('busy', 'silent'), weight: 1 },
);
const round = fc.array(operator, { minLength: 2, maxLength: 2 });
const outageKinds = ['dial', 'gather_using_speak', 'speak', 'conference_join', 'hangup', 'gather_stop', 'answer', 'conference_create', 'conference_end', 'gather'] as const;
const rate = (max: number) => fc.integer({ min: 0, max }).map((n) => n / 100);

const scheduleParams: fc.Arbitrary<ScheduleParams> = fc.record({
  seed: fc.integer(),
  trigger: fc.constantFrom('none', 'dtmf', 'dtmf', 'utterance', 'request'),
  hangup: fc.constantFrom('late', 'late', 'early'),
  operators: fc.tuple(round, round),
  screening: fc.constantFrom<OperatorScreening>('either', 'either', 'either', 'keypress', 'human', 'both'),
  maxBatch: fc.integer({ min: 1, max: 4 }),
  duplicateRate: rate(60),
  failRate: fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 35 }).map((n) => n / 100)),
  secondRound: fc.boolean(),
  menuTimeoutRate: fc.constantFrom(0, 0.1, 0.3),
  base64Rate: fc.constantFrom(0, 0.3),
  outage: fc.option(
    fc.record({ kinds: fc.subarray([...outageKinds], { minLength: 1, maxLength: 4 }), fromMs: fc.integer({ min: 0, max: 6000 }), forMs: fc.integer({ min: 1000, max: 8000 }) }),
    { nil: undefined, freq: 2 },
  ),
  lostDialResponses: fc.constantFrom(0, 0, 0, 1, 2, 3),
  writeFaults: fc.option(fc.record({ conflictRate: rate(10), crashRate: rate(10), lostResponseRate: rate(5) }), { nil: undefined, freq: 2 }),
  delivery: fc.constantFrom('redeliver', 'telnyx'),
});

/**
 * Schedules every run starts with (sequential, so they replay exactly): between them every kind
 * of fault and far end below is met whatever the random ones draw.
 */
const examples: ScheduleParams[] = [
  {
    seed: 101,
    trigger: 'dtmf',
    hangup: 'late',
    operators: [
      ['refused-403', 'voicemail'],
      ['declines', 'leaves'],
    ],
    maxBatch: 2,
    duplicateRate: 0.3,
    failRate: 0.3,
    menuTimeoutRate: 0.1,
    base64Rate: 0.3,
    secondRound: true,
    writeFaults: { conflictRate: 0.1, crashRate: 0.1, lostResponseRate: 0.1 },
    sequential: true,
    delivery: 'telnyx',
  },
  {
    seed: 202,
    trigger: 'utterance',
    hangup: 'late',
    operators: [
      ['refused-422', 'listens'],
      ['takes-call', 'takes-call'],
    ],
    maxBatch: 3,
    duplicateRate: 0.4,
    failRate: 0.3,
    menuTimeoutRate: 0,
    base64Rate: 0,
    secondRound: false,
    outage: { kinds: ['dial', 'gather_using_speak', 'speak'], fromMs: 1500, forMs: 6000 },
    lostDialResponses: 2,
    writeFaults: { conflictRate: 0.1, crashRate: 0.1, lostResponseRate: 0.05 },
    sequential: true,
    delivery: 'redeliver',
  },
  {
    seed: 303,
    trigger: 'request',
    hangup: 'late',
    operators: [
      ['busy', 'silent'],
      ['no-answer', 'takes-call'],
    ],
    screening: 'both',
    maxBatch: 2,
    duplicateRate: 0.5,
    failRate: 0.35,
    menuTimeoutRate: 0.3,
    base64Rate: 0,
    secondRound: true,
    sequential: true,
    delivery: 'telnyx',
  },
  {
    seed: 404,
    trigger: 'dtmf',
    hangup: 'early',
    operators: [
      ['silent', 'takes-call'],
      ['takes-call', 'takes-call'],
    ],
    screening: 'human',
    maxBatch: 4,
    duplicateRate: 0.5,
    failRate: 0.2,
    menuTimeoutRate: 0.1,
    base64Rate: 0.3,
    secondRound: false,
    writeFaults: { conflictRate: 0.1, crashRate: 0.05, lostResponseRate: 0.05 },
    delivery: 'redeliver',
  },
];

/** Kinds of fault and far end a run of the property must have met, to have tested what it is for. */
const mustMeet = [
  'telnyx-503',
  'telnyx-500',
  'telnyx-429',
  'telnyx-timeout',
  'telnyx-503-window',
  'dial-refused-403',
  'dial-refused-422',
  'dial-lost-response',
  'telnyx-lost-response',
  'write-conflict',
  'write-crash',
  'write-lost-response',
  'operator-voicemail',
  'operator-leaves',
  'operator-declines',
  'operator-listens',
  'operator-busy',
  'operator-silent',
  'queue-retry',
  'queue-accept-timeout',
  'queue-check',
  'queue-leg-check',
  'queue-poll',
  'queue-analyzer-timeout',
  'queue-duplicate',
];

describe('random delivery schedules of whole calls through the webhook, against DynamoDB Local', () => {
  it(`keep every invariant over ${schedules} schedules, delivered as Telnyx does and redelivered until acknowledged`, async () => {
    const started = Date.now();
    const totals = { schedules: 0, telnyxDelivery: 0, deliveries: 0, duplicates: 0, failedDeliveries: 0, failovers: 0, givenUp: 0, retries: 0, faults: 0, steps: 0 };
    const byKind: Record<string, number> = {};
    let tableName = '';
    let violations = 0;
    let counterexample: string | undefined;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(scheduleParams, { minLength: sideBySide, maxLength: sideBySide }), async (batch) => {
          if (totals.schedules % schedulesPerTable === 0) tableName = await local.newTable('schedules');
          const contexts = batch.map(
            (_, i): ScheduleContext => ({
              run: (totals.schedules % schedulesPerTable) + i,
              startMs: Date.now(),
              dynamo: dynamo().client,
              writeFaults: dynamo(),
              tableName,
              privateKey: key.privateKey,
              publicKeyBase64: key.publicKeyBase64,
            }),
          );
          const reports = await Promise.all(batch.map((params, i) => runSchedule(contexts[i]!, params)));
          reports.forEach((report, i) => {
            const params = batch[i]!;
            totals.schedules++;
            if (params.delivery === 'telnyx') totals.telnyxDelivery++;
            totals.deliveries += report.deliveries;
            totals.duplicates += report.duplicates;
            totals.failedDeliveries += report.failedDeliveries;
            totals.failovers += report.failovers;
            totals.givenUp += report.givenUp;
            totals.retries += report.retries;
            totals.faults += report.faultsInjected;
            totals.steps += report.steps;
            for (const [kind, n] of Object.entries(report.faults)) byKind[kind] = (byKind[kind] ?? 0) + n;
          });
          const failed = reports.findIndex((report) => report.violations.length > 0);
          if (failed >= 0) {
            violations++;
            const report = reports[failed]!;
            // Params and run number replay it alone (exactly, for a sequential one).
            counterexample = `${JSON.stringify(batch[failed])} run ${contexts[failed]!.run}\n${report.violations.join('\n')}\n--- last steps ---\n${report.trace.slice(-120).join('\n')}`;
            throw new Error(counterexample);
          }
        }),
        { numRuns: schedules / sideBySide, endOnFailure: true, examples: [[[examples[0]!, examples[1]!]], [[examples[2]!, examples[3]!]]] },
      );
    } finally {
      recordFigures({ test: 'delivery-schedules', schedules: totals.schedules, faults: totals.faults, violations, durationMs: Date.now() - started, details: { ...totals, byKind } });
    }
    expect(counterexample).toBeUndefined();
    expect(totals.schedules).toBe(schedules);
    // The schedules did what they are for: duplicates, failures, failovers, give-ups and retries
    // through the queue happened, and every kind of fault and far end was met.
    expect(totals.duplicates).toBeGreaterThan(schedules);
    expect(totals.failedDeliveries).toBeGreaterThan(0);
    expect(totals.failovers).toBeGreaterThan(0);
    expect(totals.givenUp).toBeGreaterThan(0);
    expect(totals.retries).toBeGreaterThan(schedules / 10);
    expect(mustMeet.filter((kind) => !(byKind[kind]! > 0))).toEqual([]);
  }, atScale(240_000, 2_400_000));
});

describe("the 'telnyx' delivery mode of a schedule", () => {
  it("delivers a failed event only as often as Telnyx would (the failover once; more only on the leg's retry policy, after its delays), then gives it up; the invariants hold", async () => {
    const params: ScheduleParams = {
      seed: 20_260_105,
      trigger: 'dtmf',
      hangup: 'late',
      operators: [
        ['voicemail', 'takes-call'],
        ['takes-call', 'takes-call'],
      ],
      maxBatch: 2,
      duplicateRate: 0.5,
      failRate: 0.35,
      menuTimeoutRate: 0,
      base64Rate: 0,
      secondRound: false,
      writeFaults: { conflictRate: 0, crashRate: 0.3, lostResponseRate: 0 },
      sequential: true,
      delivery: 'telnyx',
    };
    const tableName = await local.newTable('telnyx-delivery');

    const report = await runSchedule(
      { run: 0, startMs: Date.now(), dynamo: dynamo().client, writeFaults: dynamo(), tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64 },
      params,
    );

    expect(report.violations).toEqual([]);
    expect(report.failedDeliveries).toBeGreaterThan(0);
    expect(report.failovers).toBeGreaterThan(0);
    expect(report.givenUp).toBeGreaterThan(0);
    const givenUp = report.trace.filter((line) => line.endsWith('(given up)'));
    expect(givenUp).toHaveLength(report.givenUp);
    let retriedByPolicy = 0;
    for (const event of report.world.events) {
      const log = report.deliveryLog.filter((d) => d.eventId === event.id);
      const plan = report.world.deliveryPlan(event);
      // Never more attempts than the plan; the failover only last, once; each retry after its delay.
      expect(log.length).toBeLessThanOrEqual(plan.length);
      log.forEach((d, i) => {
        expect(d.target).toBe(plan[i]!.target);
        if (i > 0) expect(d.atMs - log[i - 1]!.atMs).toBeGreaterThanOrEqual(plan[i]!.delayMs);
      });
      if (log.length > 2) retriedByPolicy++;
    }
    expect(retriedByPolicy).toBeGreaterThan(0);
  }, 120_000);
});
