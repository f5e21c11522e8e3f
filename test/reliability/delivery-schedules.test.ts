import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateWebhookKeyPair } from '../../local/sim/webhook-signer.js';
import { atScale, recordFigures } from './support/figures.js';
import { localDynamo } from './support/local-dynamo.js';
import { runSchedule, type ScheduleContext, type ScheduleParams } from './support/schedule.js';

const local = localDynamo();
const key = generateWebhookKeyPair();

const schedules = atScale(100, 1000);
/** A fresh table every so many schedules keeps DynamoDB Local's in-memory tables small. */
const schedulesPerTable = 100;

const scheduleParams: fc.Arbitrary<ScheduleParams> = fc.record({
  seed: fc.integer(),
  trigger: fc.constantFrom('none', 'dtmf', 'utterance', 'request'),
  hangup: fc.constantFrom('late', 'late', 'early'),
  operators: fc.constantFrom('first-answers', 'first-answers', 'first-no-answer', 'none-answer'),
  maxBatch: fc.integer({ min: 1, max: 4 }),
  duplicateRate: fc.integer({ min: 0, max: 60 }).map((n) => n / 100),
  failRate: fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 35 }).map((n) => n / 100)),
  secondRound: fc.boolean(),
  menuTimeoutRate: fc.constantFrom(0, 0.1, 0.3),
  base64Rate: fc.constantFrom(0, 0.3),
});

describe('random delivery schedules of whole calls through the webhook, against DynamoDB Local', () => {
  it(`keep every invariant over ${schedules} schedules`, async () => {
    const started = Date.now();
    const totals = { schedules: 0, deliveries: 0, duplicates: 0, failedDeliveries: 0, faults: 0, steps: 0 };
    let tableName = '';
    let violations = 0;
    let counterexample: string | undefined;
    try {
      await fc.assert(
        fc.asyncProperty(scheduleParams, async (params) => {
          if (totals.schedules % schedulesPerTable === 0) tableName = await local.newTable('schedules');
          const context: ScheduleContext = { run: totals.schedules % schedulesPerTable, startMs: Date.now(), dynamo: local.client, tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64 };
          const report = await runSchedule(context, params);
          totals.schedules++;
          totals.deliveries += report.deliveries;
          totals.duplicates += report.duplicates;
          totals.failedDeliveries += report.failedDeliveries;
          totals.faults += report.faultsInjected;
          totals.steps += report.steps;
          if (report.violations.length > 0) {
            violations++;
            counterexample = `${JSON.stringify(params)} run ${context.run}\n${report.violations.join('\n')}\n--- last steps ---\n${report.trace.slice(-80).join('\n')}`;
            throw new Error(counterexample);
          }
        }),
        { numRuns: schedules, endOnFailure: true },
      );
    } finally {
      recordFigures({ test: 'delivery-schedules', schedules: totals.schedules, faults: totals.faults, violations, durationMs: Date.now() - started, details: totals });
    }
    expect(counterexample).toBeUndefined();
    expect(totals.schedules).toBe(schedules);
    // The schedules did what they are for: duplicates, failures and redeliveries happened.
    expect(totals.duplicates).toBeGreaterThan(schedules);
    expect(totals.failedDeliveries).toBeGreaterThan(0);
  }, atScale(240_000, 1_800_000));
});

describe("the 'telnyx' delivery mode of a schedule", () => {
  it('delivers a failed event only as often as Telnyx would (once, with no retry policy on the leg), then gives it up', async () => {
    const params: ScheduleParams = {
      seed: 20_260_105,
      trigger: 'dtmf',
      hangup: 'late',
      operators: 'first-answers',
      maxBatch: 2,
      duplicateRate: 0,
      failRate: 0.35,
      menuTimeoutRate: 0,
      base64Rate: 0,
      secondRound: false,
      sequential: true,
      delivery: 'telnyx',
    };
    const tableName = await local.newTable('telnyx-delivery');

    const report = await runSchedule({ run: 0, startMs: Date.now(), dynamo: local.client, tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64 }, params);

    const givenUp = report.trace.filter((line) => line.endsWith('(given up)'));
    expect(report.givenUp).toBeGreaterThan(0);
    expect(givenUp).toHaveLength(report.givenUp);
    for (const line of givenUp) {
      const id = / ([0-9a-f]{8}-[0-9a-f]{3}) #/.exec(line)?.[1];
      expect(report.trace.filter((l) => l.startsWith('deliver ') && l.includes(` ${id} #`))).toEqual([line]);
    }
  }, 60_000);
});
