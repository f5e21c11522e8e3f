import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { prompts } from '../../lib/core/prompts.js';
import type { ScriptLine, SimCall } from '../../local/sim/index.js';
import type { Harness } from '../../local/harness.js';
import { localWorld } from '../support/lifecycle.js';

const world = localWorld();
let h: Harness | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A call whose analyzer speaks the given script (ms after it joins, real time: the harness scales by 0.05). */
async function scriptedCall(harness: Harness, lines: ScriptLine[]): Promise<SimCall> {
  harness.symbl.onConversation(() => lines.map((l) => ({ ...l, atMs: l.atMs / 0.05 })));
  const customer = harness.call();
  await harness.telnyx.waitFor(() => customer.heard.includes(prompts.menu), 15_000);
  return customer;
}

const messageRequests = (harness: Harness) => harness.symbl.requests.filter((r) => r.kind === 'messages').length;

describe('the sentiment poller (SQS chain) against fauxqs, DynamoDB Local and the Symbl simulator', () => {
  it('a conversation that turns negative escalates exactly once, and the session records why', async () => {
    h = await world.harness();
    const customer = await scriptedCall(h, [
      { atMs: 100, text: 'hi I am calling about my bill', score: 0.1 },
      { atMs: 300, text: 'it is higher than last month', score: -0.2 },
      { atMs: 500, text: 'this is absolutely ridiculous and unacceptable', score: -0.86 },
      { atMs: 900, text: 'I am so angry', score: -0.9 },
    ]);
    const dial = await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 15_000);
    await sleep(3000);
    await h.settle();
    expect(h.telnyx.dials()).toEqual([dial]);
    const { session } = (await h.sessionOf(customer))!;
    expect(session.escalation?.reason).toMatchObject({ rule: 'utterance', text: 'this is absolutely ridiculous and unacceptable', score: -0.86 });
    expect(session.escalation?.claimedAtMs).toBeGreaterThan(session.createdAtMs);
    expect(session.poll.active).toBe(false);
    // The menu prompt was heard back through the conference and ignored.
    expect(session.utterances.map((u) => u.text)).not.toContain(prompts.menu);
    expect(h.symbl.tokenRequests).toBe(1);
  });

  it('a calm conversation never escalates, and its poll chain stops within two cycles of the hangup', async () => {
    h = await world.harness();
    const customer = await scriptedCall(h, [
      { atMs: 100, text: 'hello there', score: 0.2 },
      { atMs: 400, text: 'I would like to check my order', score: 0.1 },
    ]);
    await sleep(3500);
    const during = messageRequests(h);
    expect(during).toBeGreaterThanOrEqual(2);
    customer.hangup();
    await h.settle();
    await sleep(2200);
    const afterTwoCycles = messageRequests(h);
    await sleep(2500);
    expect(messageRequests(h)).toBe(afterTwoCycles);
    expect(h.telnyx.dials()).toEqual([]);
    expect((await h.sessionOf(customer))!.session).toMatchObject({ status: 'ended', poll: { active: false } });
  });

  it('a Symbl outage mid-call skips cycles, recovers, and keeps a single chain', async () => {
    h = await world.harness();
    const customer = await scriptedCall(h, [{ atMs: 100, text: 'hello', score: 0.1 }]);
    await sleep(1500);
    const conversationId = (await h.sessionOf(customer))!.session.analyzer.conversationId!;
    h.symbl.failNext('messages', 503, 2);
    h.symbl.failNext('messages', 429, 1);
    await sleep(3500);
    const start = messageRequests(h);
    await sleep(3000);
    // One chain at one poll a second: about three requests in three seconds, not six.
    expect(messageRequests(h) - start).toBeLessThanOrEqual(4);
    h.symbl.release(conversationId, 'this is a disgrace, I am furious', -0.92);
    await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 10_000);
    await sleep(1500);
    expect(h.telnyx.dials()).toHaveLength(1);
    expect(h.log.lines.some((l) => l.message.startsWith('sentiment source unavailable'))).toBe(true);
  });

  it('a 401 from Symbl re-authenticates once and polling goes on', async () => {
    h = await world.harness();
    const customer = await scriptedCall(h, [{ atMs: 100, text: 'hello', score: 0.1 }]);
    await sleep(1200);
    h.symbl.expireTokens();
    const conversationId = (await h.sessionOf(customer))!.session.analyzer.conversationId!;
    h.symbl.release(conversationId, 'get me a representative', -0.1);
    const dial = await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 10_000);
    expect(dial.to).toBe('+15550002001');
    expect(h.symbl.tokenRequests).toBe(2);
    expect((await h.sessionOf(customer))!.session.escalation?.reason.rule).toBe('request');
  });

  it('the same poll message delivered twice does not double the chain nor the dial', async () => {
    h = await world.harness();
    const customer = await scriptedCall(h, [{ atMs: 100, text: 'hello', score: 0.1 }]);
    await sleep(1500);
    const { session } = (await h.sessionOf(customer))!;
    const body = JSON.stringify({ kind: 'poll', sessionId: session.id, seq: (await h.runtime.store.getPollCursor(session.id))?.seq ?? 0 });
    await Promise.all([0, 1, 2].map(() => world.aws.sqs.send(new SendMessageCommand({ QueueUrl: world.aws.queue.queueUrl, MessageBody: body }))));
    await sleep(2000);
    const start = messageRequests(h);
    await sleep(3000);
    expect(messageRequests(h) - start).toBeLessThanOrEqual(4);
    h.symbl.release(session.analyzer.conversationId!, 'I hate this so much', -0.95);
    await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 10_000);
    await sleep(1500);
    expect(h.telnyx.dials()).toHaveLength(1);
  });

  it('DTMF 1 racing a sentiment trigger dials the operator once', async () => {
    h = await world.harness();
    const customer = await scriptedCall(h, [{ atMs: 100, text: 'hello', score: 0.1 }]);
    await sleep(1200);
    const { session } = (await h.sessionOf(customer))!;
    h.symbl.release(session.analyzer.conversationId!, 'worst service ever', -0.97);
    await customer.press('1');
    await h.telnyx.waitFor(() => h!.telnyx.dials()[0], 10_000);
    await sleep(2500);
    await h.settle();
    expect(h.telnyx.dials()).toHaveLength(1);
    expect(['dtmf', 'utterance']).toContain((await h.sessionOf(customer))!.session.escalation?.reason.rule);
  });

  it('an operator who does not answer is followed by the next number; when all fail, apology and menu', async () => {
    h = await world.harness();
    h.telnyx.setDialBehavior('+15550002001', { noAnswer: true });
    h.telnyx.setDialBehavior('+15550002002', { busy: true });
    const customer = await scriptedCall(h, []);
    const menusBefore = customer.heard.filter((t) => t === prompts.menu).length;
    await customer.press('1');
    await h.telnyx.waitFor(() => customer.heard.includes(prompts.noOperator), 20_000);
    await h.telnyx.waitFor(() => customer.heard.filter((t) => t === prompts.menu).length > menusBefore, 10_000);
    expect(h.telnyx.dials().map((d) => d.to)).toEqual(['+15550002001', '+15550002002']);
    const { session } = (await h.sessionOf(customer))!;
    expect(session.escalation).toMatchObject({ status: 'failed' });
    expect(session.escalation?.attempts.map((a) => a.status)).toEqual(['failed', 'failed']);
  });
});
