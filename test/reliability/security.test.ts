/**
 * Security review items, each checked on real runs: no secret or full phone number in any log
 * line of a whole call (the memory log and the real Powertools logger's output), a size limit
 * on request bodies, client_state from the wire never believed without the stored state, a TTL
 * on every item a call writes.
 */
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { maxBodyBytes } from '../../lib/app/webhook-gate.js';
import { encodeClientState } from '../../lib/telnyx/client-state.js';
import { prompts } from '../../lib/core/prompts.js';
import type { Log } from '../../lib/log.js';
import { createAfinnScorer } from '../../lib/sentiment/afinn-scorer.js';
import type { SimCall } from '../../local/sim/index.js';
import { simulatedSymblApp } from '../../local/environment.js';
import { memoryLog, numbers, type Harness } from '../../local/harness.js';
import { localWorld } from '../support/lifecycle.js';
import { recordFigures } from './support/figures.js';
import { wholeCall } from './support/whole-call.js';

const world = localWorld();
const started = Date.now();
let checks = 0;
let violations = 0;
afterAll(() => recordFigures({ test: 'security', violations, durationMs: Date.now() - started, details: { checks } }));

/** Counts the check, then asserts it (a failing check still shows up in the figures). */
function verdict(problems: string[], what: string): void {
  checks++;
  if (problems.length > 0) violations++;
  expect(problems, what).toEqual([]);
}

/** Both sinks at once: the harness's memory log and the real Powertools logger, whose stdout is captured. */
function capturedLogs() {
  const memory = memoryLog();
  const printed: string[] = [];
  const logger = new Logger({ serviceName: 'sentiment-ivr', logLevel: 'DEBUG' });
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const capture = (chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  const both: Log = {
    debug: (m, ...e) => (memory.debug(m, ...e), logger.debug(m, ...e)),
    info: (m, ...e) => (memory.info(m, ...e), logger.info(m, ...e)),
    warn: (m, ...e) => (memory.warn(m, ...e), logger.warn(m, ...e)),
    error: (m, ...e) => (memory.error(m, ...e), logger.error(m, ...e)),
  };
  return {
    log: both,
    lines: () => [...memory.lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.extra)}`), ...printed],
    restore() {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    },
  };
}

describe('logs of whole calls', () => {
  it('hold no secret, no token, no raw client_state, no signature and no full phone number (memory log and Powertools output)', async () => {
    const logs = capturedLogs();
    let h: Harness;
    try {
      h = await world.harness({ log: logs.log });
      // One clean call, then one through failures (Telnyx 5xx, Symbl errors), whose error paths log more.
      const clean = await wholeCall(h);
      h.telnyx.failNext('dial', '503', 3);
      h.telnyx.failNext('gather_using_speak', 'timeout', 1);
      h.symbl.failNext('messages', 500, 2);
      const faulty = await wholeCall(h);
      verdict([...clean.stalls, ...faulty.stalls], 'both calls completed');
    } finally {
      logs.restore();
    }
    const lines = logs.lines();
    const token = ((await (await fetch(`${h.symbl.baseUrl}/oauth2/token:generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'application', ...simulatedSymblApp }) })).json()) as { accessToken: string }).accessToken;
    const clientStates = new Set<string>();
    for (const r of h.telnyx.requests) {
      const cs = (r.body as { client_state?: unknown } | undefined)?.client_state;
      if (typeof cs === 'string') clientStates.add(cs);
    }
    const signatures = h.telnyx.webhooks.length > 0 ? [h.telnyx.sign('x')['telnyx-signature-ed25519']!] : [];
    const secrets: Record<string, string> = {
      'the Telnyx API key': h.config.telnyx.apiKey,
      'the Symbl app secret': h.config.symbl!.appSecret,
      'a Symbl access token': token,
      ...Object.fromEntries([...clientStates].map((cs, i) => [`client_state #${i}`, cs])),
      ...Object.fromEntries(signatures.map((s, i) => [`signature #${i}`, s])),
    };
    // Every number that took part, as E.164, without the +, and without the country code.
    const phones = new Set<string>([numbers.conference, numbers.symbl, ...numbers.operators]);
    for (const leg of h.telnyx.calls.values()) phones.add(leg.from).add(leg.to);
    const forms = [...phones].flatMap((n) => [n, n.slice(1), n.slice(2)]);
    const problems: string[] = [];
    for (const line of lines) {
      for (const [what, secret] of Object.entries(secrets)) if (secret && line.includes(secret)) problems.push(`${what} in: ${line.slice(0, 300)}`);
      for (const number of forms) if (line.includes(number)) problems.push(`full phone number ${number} in: ${line.slice(0, 300)}`);
    }
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.some((l) => l.includes('"level":"INFO"') && l.includes('event applied'))).toBe(true);
    // The masked caller is there, so the check above looked at the right lines.
    expect(lines.some((l) => /\+1\*{5,}\d{2}/.test(l))).toBe(true);
    expect(clientStates.size).toBeGreaterThanOrEqual(3);
    verdict(problems, 'no secret or full number in any log line');
  }, 90_000);
});

describe('request body size limit', () => {
  it('refuses bodies over 64 KB with 413 before reading them, plain or base64, by bytes not characters', async () => {
    const h = await world.harness();
    const pad = (bytes: number, unit = 'a') => {
      const head = '{"data":"';
      const tail = '"}';
      return head + unit.repeat(Math.floor((bytes - head.length - tail.length) / Buffer.byteLength(unit))) + tail;
    };
    const send = (body: string, base64 = false) =>
      h.runtime.webhook({ body: base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: base64, headers: h.telnyx.sign(body) });
    const atLimit = pad(maxBodyBytes);
    const problems: string[] = [];
    const expectStatus = async (what: string, response: Promise<{ status: number }>, status: number) => {
      const got = (await response).status;
      if (got !== status) problems.push(`${what}: ${got}, expected ${status}`);
    };
    expect(Buffer.byteLength(atLimit)).toBe(maxBodyBytes);
    await expectStatus('exactly 64 KB, signed (not an event: 400, but read)', send(atLimit), 400);
    await expectStatus('one byte over', send(`${atLimit} `), 413);
    await expectStatus('one byte over, base64', send(`${atLimit} `, true), 413);
    await expectStatus('64 KB at the limit, base64', send(atLimit, true), 400);
    await expectStatus('under 64K characters but over 64 KB in UTF-8', send(pad(maxBodyBytes + 30, '€')), 413);
    await expectStatus('10 MB, unsigned', h.runtime.webhook({ body: 'x'.repeat(10 * 1024 * 1024), isBase64Encoded: false, headers: {} }), 413);
    verdict(problems, 'the size limit');
  }, 60_000);
});

/** A signed webhook, as Telnyx would send it. */
async function signed(h: Harness, type: string, payload: Record<string, unknown>) {
  const body = JSON.stringify({
    data: { record_type: 'event', event_type: type, id: crypto.randomUUID(), occurred_at: new Date().toISOString(), payload },
    meta: { attempt: 1 },
  });
  return h.runtime.webhook({ body, isBase64Encoded: false, headers: h.telnyx.sign(body) });
}

async function inMenu(h: Harness): Promise<SimCall> {
  const customer = h.call();
  await h.telnyx.waitFor(() => customer.heard.includes(prompts.menu), 20_000);
  await h.settle();
  return customer;
}

/** What a forged event could change in a session: everything but the menu's own progress. */
const guarded = (s: import('../../lib/core/model.js').Session) => ({
  status: s.status,
  customer: s.customer,
  conference: s.conference,
  analyzer: s.analyzer,
  escalation: s.escalation,
  utterances: s.utterances,
  endedAtMs: s.endedAtMs,
});

describe('client_state from the wire is a hint, checked against the stored session', () => {
  it('signed events whose client_state names another session, or claims a role, change neither session', async () => {
    const h = await world.harness();
    const a = await inMenu(h);
    const b = await inMenu(h);
    const before = async () => [(await h.sessionOf(a))!.session, (await h.sessionOf(b))!.session] as const;
    const [sa, sb] = await before();
    const stranger = 'v3:stranger-leg';
    const asA = encodeClientState({ sessionId: sa.id, role: 'customer' });
    const operatorOfA = encodeClientState({ sessionId: sa.id, role: 'operator', attempt: 0, round: 0 });
    const sent = [
      ['call.hangup', { call_control_id: b.callControlId, client_state: asA, hangup_cause: 'normal_clearing' }],
      ['call.hangup', { call_control_id: stranger, client_state: asA, hangup_cause: 'normal_clearing' }],
      ['call.dtmf.received', { call_control_id: stranger, client_state: asA, digit: '1' }],
      ['call.dtmf.received', { call_control_id: b.callControlId, client_state: asA, digit: '1' }],
      ['call.gather.ended', { call_control_id: b.callControlId, client_state: asA, digits: '1', status: 'valid' }],
      ['call.answered', { call_control_id: stranger, client_state: operatorOfA }],
      ['call.initiated', { call_control_id: stranger, client_state: operatorOfA, direction: 'outgoing', from: numbers.conference, to: '+15550009876' }],
      ['call.hangup', { call_control_id: sa.analyzer.callControlId, client_state: encodeClientState({ sessionId: sb.id, role: 'analyzer' }), hangup_cause: 'normal_clearing' }],
      ['conference.created', { conference_id: sb.conference.id, call_control_id: b.callControlId, client_state: asA }],
      ['conference.participant.joined', { conference_id: sb.conference.id, call_control_id: stranger, client_state: asA }],
      ['conference.participant.joined', { conference_id: 'conf-stranger', call_control_id: stranger, client_state: asA }],
      ['call.gather.ended', { call_control_id: stranger, client_state: encodeClientState({ role: 'analyzer' }), digits: sa.id, status: 'valid' }],
    ] as const;
    const problems: string[] = [];
    for (const [type, payload] of sent) {
      const response = await signed(h, type, payload);
      if (response.status >= 500 || response.body.includes('applied')) problems.push(`${type} ${JSON.stringify(payload).slice(0, 120)} answered ${response.status} ${response.body}`);
    }
    await h.settle();
    const [aa, ab] = await before();
    // The menu may time out on its own meanwhile; what a forged event could change may not.
    for (const [name, was, now] of [['A', sa, aa], ['B', sb, ab]] as const) {
      if (JSON.stringify(guarded(now)) !== JSON.stringify(guarded(was))) problems.push(`session ${name} changed: ${JSON.stringify({ before: guarded(was), after: guarded(now) })}`);
    }
    if (h.telnyx.dials().length > 0) problems.push('an operator was dialed');
    verdict(problems, 'both sessions exactly as they were');
  }, 60_000);

  it('(Telnyx source) a transcript from a leg that is not the customer, with client_state naming the session, changes nothing', async () => {
    const h = await world.harness({ source: 'telnyx', scorer: createAfinnScorer() });
    const customer = await inMenu(h);
    const before = (await h.sessionOf(customer))!.session;
    const response = await signed(h, 'call.transcription', {
      call_control_id: 'v3:stranger-leg',
      client_state: encodeClientState({ sessionId: before.id, role: 'customer' }),
      transcription_data: { transcript: 'get me a human operator now, this is a disgrace', is_final: true, transcription_track: 'inbound' },
    });
    await h.settle();
    const after = (await h.sessionOf(customer))!.session;
    const problems: string[] = [];
    if (response.status >= 500 || response.body.includes('applied')) problems.push(`answered ${response.status} ${response.body}`);
    if (JSON.stringify(guarded(after)) !== JSON.stringify(guarded(before))) problems.push(`the session changed: escalation ${JSON.stringify(after.escalation?.reason)}, utterances ${after.utterances.length}`);
    if (h.telnyx.dials().length > 0) problems.push('an operator was dialed');
    verdict(problems, 'the session exactly as it was');
  }, 60_000);

  it('(Telnyx source) a leg claiming the analyzer role and keying a session code is not joined to that conference', async () => {
    const h = await world.harness({ source: 'telnyx', scorer: createAfinnScorer() });
    const customer = await inMenu(h);
    const before = (await h.sessionOf(customer))!.session;
    const state = encodeClientState({ role: 'analyzer' });
    const response = await signed(h, 'call.gather.ended', { call_control_id: 'v3:stranger-leg', client_state: state, digits: `${before.id}#`, status: 'valid' });
    await h.settle();
    const after = (await h.sessionOf(customer))!.session;
    const problems: string[] = [];
    if (response.status >= 500 || response.body.includes('applied')) problems.push(`answered ${response.status} ${response.body}`);
    if (after.analyzer.callControlId !== undefined) problems.push(`the stranger was taken as the analyzer: ${JSON.stringify(after.analyzer)}`);
    const joins = h.telnyx.requests.filter((r) => r.kind === 'conference_join');
    if (joins.length > 0) problems.push(`join requested for ${JSON.stringify(joins.map((r) => r.body))}`);
    verdict(problems, 'no stranger joined');
  }, 60_000);
});

describe('retention', () => {
  it('every item a whole call writes carries a TTL within the retention period, and the table expires on it', async () => {
    const h = await world.harness();
    const call = await wholeCall(h);
    const problems = [...call.stalls];
    const items = (await world.aws.documents.send(new ScanCommand({ TableName: h.config.tableName, ConsistentRead: true }))).Items ?? [];
    const now = Math.floor(Date.now() / 1000);
    const latest = now + h.config.retentionDays * 86_400 + 60;
    const kinds = new Set<string>();
    for (const item of items) {
      kinds.add(String(item.pk).slice(0, 2));
      if (typeof item.ttl !== 'number' || item.ttl < now || item.ttl > latest) problems.push(`${String(item.pk)} has ttl ${String(item.ttl)}`);
    }
    // Sessions, leg and conference look-ups, one-time claims: all of them were written.
    for (const kind of ['S#', 'L#', 'C#', 'X#']) if (!kinds.has(kind)) problems.push(`no ${kind} item written`);
    const ttl = await world.aws.dynamo.send(new DescribeTimeToLiveCommand({ TableName: h.config.tableName }));
    if (ttl.TimeToLiveDescription?.AttributeName !== 'ttl') problems.push(`table TTL attribute ${ttl.TimeToLiveDescription?.AttributeName}`);
    expect(items.length).toBeGreaterThan(5);
    verdict(problems, 'a TTL on every item');
  }, 60_000);
});
