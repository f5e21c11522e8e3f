/**
 * A delivery schedule replays exactly: the same params and run number against a fresh table give
 * the same trace, the same webhook events (ids, timestamps, payloads) and the same Telnyx and
 * Symbl requests, byte for byte, the same queue messages due at the same times, the same faults.
 * (Sequential schedules: deliveries run concurrently race in DynamoDB Local, which picks the
 * winner.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateWebhookKeyPair } from '../../local/sim/webhook-signer.js';
import { localDynamo } from './support/local-dynamo.js';
import { runSchedule, type ScheduleParams, type ScheduleReport } from './support/schedule.js';
import { faultyDynamo, type FaultyDynamo } from './support/write-faults.js';

const local = localDynamo();
const key = generateWebhookKeyPair();

let faulty: FaultyDynamo | undefined;
afterAll(() => faulty?.stop());
const dynamo = (): FaultyDynamo => (faulty ??= faultyDynamo(local.endpoint));

const base: ScheduleParams = {
  seed: 0,
  trigger: 'dtmf',
  hangup: 'late',
  operators: [
    ['no-answer', 'takes-call'],
    ['voicemail', 'takes-call'],
  ],
  maxBatch: 3,
  duplicateRate: 0.4,
  failRate: 0.25,
  menuTimeoutRate: 0.3,
  base64Rate: 0.3,
  secondRound: true,
  writeFaults: { conflictRate: 0.05, crashRate: 0.08, lostResponseRate: 0.03 },
  sequential: true,
};

/** One schedule on a table of its own. */
async function once(params: ScheduleParams, startMs: number): Promise<ScheduleReport> {
  const tableName = await local.newTable('replay');
  return runSchedule({ run: 7, startMs, dynamo: dynamo().client, writeFaults: dynamo(), tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64 }, params);
}

const requestsOf = (report: ScheduleReport) => report.world.requests.map((r) => `${r.service} ${r.method} ${r.path} ${JSON.stringify(r.body)} → ${r.status} ${r.outcome}`);

describe('a delivery schedule replays exactly', () => {
  /** Each case: its name, what it changes, and the faults and far ends it must meet (so its name is true). */
  const cases: [string, Partial<ScheduleParams>, string[]][] = [
    ['DTMF 1, the first operator rings out, faults, write faults and duplicates', { seed: 1_234_567 }, ['telnyx-503', 'write-crash', 'queue-retry']],
    [
      'an angry utterance, a voicemail whose dial answer was lost and a refused dial, a second round where one declines and one leaves, a Telnyx outage, delivered as Telnyx does',
      {
        seed: -99,
        trigger: 'utterance',
        operators: [
          ['voicemail', 'refused-422'],
          ['declines', 'leaves'],
        ],
        outage: { kinds: ['speak', 'gather_using_speak'], fromMs: 2000, forMs: 5000 },
        lostDialResponses: 2,
        delivery: 'telnyx',
      },
      ['dial-refused-422', 'operator-voicemail', 'operator-declines', 'operator-leaves', 'telnyx-503-window', 'dial-lost-response'],
    ],
    ['a request for a person, the customer hangs up early', { seed: 42, trigger: 'request', hangup: 'early', operators: [['listens', 'takes-call']] }, []],
  ];
  for (const [name, overrides, meets] of cases) {
    it(`${name}: same seed and run, fresh table, identical trace, events and requests`, async () => {
      const params = { ...base, ...overrides };
      const startMs = Date.now();

      const first = await once(params, startMs);
      const second = await once(params, startMs);

      expect(first.violations).toEqual([]);
      expect(meets.filter((kind) => !(first.faults[kind]! > 0))).toEqual([]);
      expect(first.trace.length).toBeGreaterThan(20);
      expect(second.trace).toEqual(first.trace);
      expect(JSON.stringify(second.world.events)).toBe(JSON.stringify(first.world.events));
      expect(requestsOf(second)).toEqual(requestsOf(first));
      expect(second.world.queue.map((m) => [m.messageId, m.body, m.dueAtMs])).toEqual(first.world.queue.map((m) => [m.messageId, m.body, m.dueAtMs]));
      expect(second.deliveryLog).toEqual(first.deliveryLog);
      expect(second.faults).toEqual(first.faults);
    }, 60_000);
  }

  it('a different run number on the same seed gives other ids (schedules sharing a table never share a leg)', async () => {
    const startMs = Date.now();
    const tableName = await local.newTable('replay');
    const context = { startMs, dynamo: dynamo().client, writeFaults: dynamo(), tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64 };

    const a = await runSchedule({ ...context, run: 0 }, base);
    const b = await runSchedule({ ...context, run: 1 }, base);

    expect([a.violations, b.violations]).toEqual([[], []]);
    const legsOf = (r: ScheduleReport) => new Set(r.world.legs.keys());
    expect([...legsOf(a)].filter((id) => legsOf(b).has(id))).toEqual([]);
  }, 60_000);
});
