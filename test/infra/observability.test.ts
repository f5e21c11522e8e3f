import { describe, expect, it } from 'vitest';
import { attemptOutcomes, escalationRules, metricNames, metricsNamespace, loggedSignals } from '../../lib/metrics/metric-names.js';
import { answerRateAlarms } from '../../infra/observability.js';
import { logicalId, synthTemplate } from './stack-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON; the assertions check its shape
type CfnJson = any;
type Resource = { Type: string; Properties: Record<string, CfnJson> };

const { stack, template } = synthTemplate();
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm').map(([id, r]) => [id.replace(/^Observability/, '').replace(/[0-9A-F]{8}$/, ''), r.Properties]));
const alarm = (name: string) => {
  const found = alarms[name];
  if (!found) throw new Error(`no alarm ${name} among ${Object.keys(alarms).join(', ')}`);
  return found;
};
/** The metrics a math-expression alarm reads, by id. */
const metricsOf = (props: CfnJson): Record<string, { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: CfnJson }[] }> =>
  Object.fromEntries(props.Metrics.filter((m: CfnJson) => m.MetricStat).map((m: CfnJson) => [m.Id, m.MetricStat.Metric]));
const expressionOf = (props: CfnJson): string => props.Metrics.find((m: CfnJson) => m.Expression && m.ReturnData !== false).Expression;

describe('the dashboard', () => {
  const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, Resource]];
  const body = JSON.stringify(dashboard.Properties.DashboardBody);

  it('draws every product metric, each rule and outcome by name', () => {
    for (const name of Object.values(metricNames)) expect(body).toContain(name);
    for (const value of [...escalationRules, ...attemptOutcomes]) expect(body).toContain(`\\"${value}\\"`);
    expect(body).toContain(metricsNamespace);
  });

  it('is named in the outputs', () => {
    template.hasOutput('DashboardName', { Value: { Ref: logicalId(stack.observability.dashboard) } });
  });
});

describe('alarms on the product metrics', () => {
  it('fire on any escalated call that ended without an operator', () => {
    expect(alarm('EndedWithoutOperatorAlarm')).toMatchObject({ Namespace: metricsNamespace, MetricName: metricNames.endedWithoutOperator, Statistic: 'Sum', Threshold: 0 });
  });

  it.each([
    ['WebhookForgedRateAlarm', 'a401', answerRateAlarms.forgedPercent],
    ['WebhookErrorRateAlarm', 'a5', answerRateAlarms.serverErrorPercent],
  ])('%s: a share of the webhook answers, once there are enough of them to mean something', (name, id, threshold) => {
    const props = alarm(name);
    expect(props.Threshold).toBe(threshold);
    expect(expressionOf(props)).toMatch(new RegExp(`^IF\\(\\(.+\\) >= ${answerRateAlarms.minimumAnswers}, 100 \\* FILL\\(${id}, 0\\) / \\(.+\\), 0\\)$`));
    const read = metricsOf(props);
    expect(Object.keys(read).sort()).toEqual(['a2', 'a400', 'a401', 'a413', 'a5']);
    expect(read[id]).toMatchObject({ Namespace: metricsNamespace, MetricName: metricNames.webhookAnswers });
  });
});

describe('alarms on throttling', () => {
  it('count 429s from the API access log', () => {
    const [[, filter]] = ofType('AWS::Logs::MetricFilter').filter(([, r]) => JSON.stringify(r.Properties.FilterPattern).includes('429')) as [[string, Resource]];
    expect(filter.Properties.FilterPattern).toBe('{ $.status = "429" }');
    expect(filter.Properties.LogGroupName).toEqual({ Ref: expect.stringMatching(/^WebhookApiAccessLogs/) });
    expect(alarm('WebhookThrottledAlarm')).toMatchObject({ MetricName: 'WebhookThrottled', Threshold: 0 });
  });

  it('sum every function\'s throttles, and the table\'s throttled reads and writes', () => {
    const fns = Object.values(metricsOf(alarm('FunctionThrottlesAlarm')));
    expect(fns.map((m) => m.MetricName)).toEqual(['Throttles', 'Throttles', 'Throttles']);
    expect(fns.map((m) => m.Dimensions![0]!.Value)).toEqual([{ Ref: logicalId(stack.webhook.fn) }, { Ref: logicalId(stack.poller.fn) }, { Ref: logicalId(stack.liveView.calls.fn) }]);
    const table = Object.values(metricsOf(alarm('TableThrottlesAlarm')));
    expect(table.map((m) => m.MetricName).sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
  });

  it('count Telnyx refusing the API key in both functions\' logs, by the words the executor logs', () => {
    const filters = ofType('AWS::Logs::MetricFilter').filter(([, r]) => r.Properties.MetricTransformations[0].MetricName === 'TelnyxKeyRefused');
    expect(filters.map(([, r]) => r.Properties.FilterPattern)).toEqual([`"${loggedSignals.telnyxKeyRefused}"`, `"${loggedSignals.telnyxKeyRefused}"`]);
    expect(alarm('TelnyxKeyRefusedAlarm').Threshold).toBe(0);
  });
});
