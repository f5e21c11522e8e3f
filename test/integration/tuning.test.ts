import { describe, expect, it } from 'vitest';
import { createCallsRuntime } from '../../lib/app/calls-runtime.js';
import { prompts } from '../../lib/core/prompts.js';
import { createEmbeddedMetrics } from '../../lib/metrics/embedded-metrics.js';
import { metricNames, metricsNamespace } from '../../lib/metrics/metric-names.js';
import { silentLog } from '../../lib/log.js';
import { createAfinnScorer } from '../../lib/sentiment/afinn-scorer.js';
import type { Harness } from '../../local/harness.js';
import type { SimCall } from '../../local/sim/index.js';
import { localWorld } from '../support/lifecycle.js';

const world = localWorld();

interface Emf {
  readonly _aws: { readonly Timestamp: number; readonly CloudWatchMetrics: readonly { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

/** The functions' metric lines, as CloudWatch Logs would read them. */
function collected() {
  const lines: string[] = [];
  const metrics = createEmbeddedMetrics({ service: 'sentiment-ivr', log: silentLog, write: (line) => lines.push(line) });
  const emf = () => lines.map((line) => JSON.parse(line) as Emf);
  const named = (name: string) => emf().filter((e) => e._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name));
  return { metrics, emf, named };
}

async function listening(h: Harness, from?: string): Promise<SimCall> {
  const customer = h.call(from);
  await h.telnyx.waitFor(() => customer.heard.includes(prompts.menu) && customer.transcribing, 15_000);
  return customer;
}

describe('tuning: the shadow policy and the metrics, against DynamoDB Local and the simulators', () => {
  it('records the shadow verdict beside the live one, shows it in the call record API, and never acts on it', async () => {
    const { metrics, named } = collected();
    // The shadow escalates on any negative utterance; the live policy on -0.7.
    const h = await world.harness({ source: 'telnyx', scorer: createAfinnScorer(), metrics, env: { SHADOW_POLICY: '{"SENTIMENT_THRESHOLD": -0.3, "SENTIMENT_WINDOW_THRESHOLD": -0.3}' } });
    const api = await createCallsRuntime({ tableName: h.config.tableName, policy: h.config.policy, shadowPolicy: h.config.shadowPolicy! }, { log: h.log, dynamo: world.aws.dynamo });
    const customer = await listening(h);
    customer.say('the website keeps giving me an error');
    await h.settle();
    const session = (await h.sessionOf(customer))!.session;
    expect(session.verdicts?.shadow).toMatchObject({ rule: 'utterance', text: 'the website keeps giving me an error' });
    expect(session.escalation).toBeUndefined();
    expect(h.telnyx.dials()).toHaveLength(0);

    const detail = JSON.parse((await api({ path: `/calls/${session.id}`, query: {} })).body) as Record<string, unknown>;
    expect(detail.shadow).toMatchObject({ rule: 'utterance', agrees: false, text: 'the website keeps giving me an error' });
    expect(detail).not.toHaveProperty('verdict');
    expect(detail.shadowThresholds).toEqual({ utterance: -0.3, window: -0.3, negative: -0.3 });
    const list = JSON.parse((await api({ path: '/calls', query: { status: 'live' } })).body) as { calls: Record<string, unknown>[] };
    expect(list.calls[0]!.shadow).toMatchObject({ rule: 'utterance', agrees: false });

    customer.hangup();
    await h.settle();
    const disagreements = named(metricNames.shadowDisagreements);
    expect(disagreements).toHaveLength(1);
    expect(disagreements[0]).toMatchObject({ Change: 'newly', [metricNames.shadowDisagreements]: 1, service: 'sentiment-ivr' });
  });

  it('publishes an escalation by rule, the operator answering, the seconds to connect, in embedded metric format', async () => {
    const { metrics, named, emf } = collected();
    const h = await world.harness({ source: 'telnyx', scorer: createAfinnScorer(), metrics });
    const customer = await listening(h);
    customer.say('this is absolutely terrible, I am furious');
    await h.telnyx.waitFor(() => h.telnyx.dials().length === 1, 10_000);
    await h.settle();
    const session = (await h.sessionOf(customer))!.session;
    expect(session.escalation?.status).toBe('connected');
    customer.hangup();
    await h.settle();

    for (const line of emf()) {
      expect(line._aws.CloudWatchMetrics[0]!.Namespace).toBe(metricsNamespace);
      expect(line._aws.CloudWatchMetrics[0]!.Dimensions[0]).toContain('service');
    }
    expect(named(metricNames.escalations)).toEqual([expect.objectContaining({ Rule: 'utterance', [metricNames.escalations]: 1 })]);
    expect(named(metricNames.operatorAttempts)).toEqual([expect.objectContaining({ Outcome: 'answered' })]);
    const seconds = named(metricNames.secondsToOperator);
    expect(seconds).toHaveLength(1);
    expect(seconds[0]!._aws.CloudWatchMetrics[0]!.Metrics[0]!.Unit).toBe('Seconds');
    const waited = seconds[0]![metricNames.secondsToOperator] as number;
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThanOrEqual((session.escalation!.connectedAtMs! - session.escalation!.claimedAtMs) / 1000);
    expect(named(metricNames.endedWithoutOperator)).toEqual([]);
  });

  it('counts a call that ended escalated with no operator reached', async () => {
    const { metrics, named } = collected();
    const h = await world.harness({ source: 'telnyx', scorer: createAfinnScorer(), metrics });
    for (const operator of h.config.telnyx.transferNumbers) h.telnyx.setDialBehavior(operator, { busy: true });
    const customer = await listening(h);
    await customer.press('1');
    await h.telnyx.waitFor(() => customer.heard.includes(prompts.noOperator), 10_000);
    customer.hangup();
    await h.settle();
    expect(named(metricNames.escalations)).toEqual([expect.objectContaining({ Rule: 'dtmf' })]);
    expect(named(metricNames.endedWithoutOperator)).toHaveLength(1);
  });
});
