/**
 * A delivery schedule replays exactly: the same params and run number against a fresh table give
 * the same trace, the same webhook events (ids, timestamps, payloads) and the same Telnyx and
 * Symbl requests, byte for byte. (Sequential schedules: deliveries run concurrently race in
 * DynamoDB Local, which picks the winner.)
 */
import { describe, expect, it } from 'vitest';
import { generateWebhookKeyPair } from '../../local/sim/webhook-signer.js';
import { localDynamo } from './support/local-dynamo.js';
import { runSchedule, type ScheduleParams, type ScheduleReport } from './support/schedule.js';

const local = localDynamo();
const key = generateWebhookKeyPair();

const base: ScheduleParams = {
  seed: 0,
  trigger: 'dtmf',
  hangup: 'late',
  operators: 'first-no-answer',
  maxBatch: 3,
  duplicateRate: 0.4,
  failRate: 0.25,
  menuTimeoutRate: 0.3,
  base64Rate: 0.3,
  secondRound: true,
  sequential: true,
};

/** One schedule on a table of its own. */
async function once(params: ScheduleParams, startMs: number): Promise<ScheduleReport> {
  const tableName = await local.newTable('replay');
  return runSchedule({ run: 7, startMs, dynamo: local.client, tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64 }, params);
}

const requestsOf = (report: ScheduleReport) => report.world.requests.map((r) => `${r.service} ${r.method} ${r.path} ${JSON.stringify(r.body)} → ${r.status} ${r.outcome}`);

describe('a delivery schedule replays exactly', () => {
  const cases: [string, Partial<ScheduleParams>][] = [
    ['DTMF 1, the first operator rings out, faults and duplicates', { seed: 1_234_567 }],
    ['an angry utterance, every operator rings out, a second round', { seed: -99, trigger: 'utterance', operators: 'none-answer' }],
    ['a request for a person, the customer hangs up early', { seed: 42, trigger: 'request', hangup: 'early', operators: 'first-answers' }],
  ];
  for (const [name, overrides] of cases) {
    it(`${name}: same seed and run, fresh table, identical trace, events and requests`, async () => {
      const params = { ...base, ...overrides };
      const startMs = Date.now();

      const first = await once(params, startMs);
      const second = await once(params, startMs);

      expect(first.violations).toEqual([]);
      expect(first.trace.length).toBeGreaterThan(20);
      expect(second.trace).toEqual(first.trace);
      expect(JSON.stringify(second.world.events)).toBe(JSON.stringify(first.world.events));
      expect(requestsOf(second)).toEqual(requestsOf(first));
      expect(second.world.queue.map((m) => [m.messageId, m.body])).toEqual(first.world.queue.map((m) => [m.messageId, m.body]));
    }, 60_000);
  }

  it('a different run number on the same seed gives other ids (schedules sharing a table never share a leg)', async () => {
    const startMs = Date.now();
    const tableName = await local.newTable('replay');
    const context = { startMs, dynamo: local.client, tableName, privateKey: key.privateKey, publicKeyBase64: key.publicKeyBase64 };

    const a = await runSchedule({ ...context, run: 0 }, base);
    const b = await runSchedule({ ...context, run: 1 }, base);

    expect([a.violations, b.violations]).toEqual([[], []]);
    const legsOf = (r: ScheduleReport) => new Set(r.world.legs.keys());
    expect([...legsOf(a)].filter((id) => legsOf(b).has(id))).toEqual([]);
  }, 60_000);
});
