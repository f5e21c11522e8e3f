import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  attemptOutcomes,
  dimensions,
  escalationRules,
  loggedSignals,
  metricNames,
  metricsNamespace,
  metricsService,
  scorerFallbackReasons,
  verdictChanges,
  webhookAnswerClasses,
} from '../lib/metrics/metric-names.js';
import type { IvrFunction } from './ivr-function.js';

export interface ObservabilityProps {
  readonly topic: Topic;
  readonly api: HttpApi;
  readonly accessLogs: ILogGroup;
  readonly webhook: IvrFunction;
  readonly poller: IvrFunction;
  readonly callsApi: IvrFunction;
  readonly table: Table;
  readonly pollQueue: Queue;
  readonly deadLetters: Queue;
}

/** Seconds a poll message may wait before polling counts as stalled. */
export const pollQueueMaxAgeSeconds = 60;
/** The answer rates alarmed on, in percent of the webhook's answers over five minutes (with at least this many answers). */
export const answerRateAlarms = { forgedPercent: 10, serverErrorPercent: 2, minimumAnswers: 20 } as const;

const minute = Duration.minutes(1);
const fiveMinutes = Duration.minutes(5);

/** One of the product's own metrics (embedded metric format, see lib/metrics/metric-names.ts). */
function productMetric(name: string, statistic: string, dimension?: readonly [string, string], period = fiveMinutes): Metric {
  return new Metric({
    namespace: metricsNamespace,
    metricName: name,
    dimensionsMap: { service: metricsService, ...(dimension ? { [dimension[0]]: dimension[1] } : {}) },
    statistic,
    period,
    ...(dimension ? { label: dimension[1] } : {}),
  });
}

/**
 * What operations watches: a dashboard of escalations, operators and the webhook's answers
 * beside the AWS services' own figures, and alarms on what needs a human, each notifying the
 * alarm topic (and again when it clears).
 */
export class Observability extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const alarm = (alarmId: string, description: string, metric: IMetric, threshold: number): void => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(props.topic));
      created.addOkAction(new SnsAction(props.topic));
    };

    // ---------------------------------------------------------------- the calls
    const escalations = escalationRules.map((rule) => productMetric(metricNames.escalations, Stats.SUM, [dimensions.rule, rule]));
    const attempts = attemptOutcomes.map((outcome) => productMetric(metricNames.operatorAttempts, Stats.SUM, [dimensions.outcome, outcome]));
    const disagreements = verdictChanges.map((change) => productMetric(metricNames.shadowDisagreements, Stats.SUM, [dimensions.change, change]));
    const withoutOperator = productMetric(metricNames.endedWithoutOperator, Stats.SUM);
    const toOperator = (statistic: string) => productMetric(metricNames.secondsToOperator, statistic).with({ label: statistic });
    alarm(
      'EndedWithoutOperatorAlarm',
      'A call escalated and ended without an operator connected: no operator answered, or the customer gave up waiting.',
      withoutOperator,
      0,
    );

    // ---------------------------------------------------------------- the webhook's answers
    const answers = Object.fromEntries(
      webhookAnswerClasses.map((answer) => [answer, productMetric(metricNames.webhookAnswers, Stats.SUM, [dimensions.answer, answer])]),
    ) as Record<(typeof webhookAnswerClasses)[number], Metric>;
    const usingMetrics = Object.fromEntries(webhookAnswerClasses.map((answer) => [`a${answer.replace('xx', '')}`, answers[answer]]));
    const total = webhookAnswerClasses.map((answer) => `FILL(a${answer.replace('xx', '')}, 0)`).join(' + ');
    const rateOf = (key: string, label: string) =>
      new MathExpression({
        expression: `IF((${total}) >= ${answerRateAlarms.minimumAnswers}, 100 * FILL(${key}, 0) / (${total}), 0)`,
        usingMetrics,
        period: fiveMinutes,
        label,
      });
    alarm(
      'WebhookForgedRateAlarm',
      `Over ${answerRateAlarms.forgedPercent}% of webhook requests were refused as forged (401): a flood of unsigned requests, or TELNYX_PUBLIC_KEY does not match the portal's key.`,
      rateOf('a401', '401 %'),
      answerRateAlarms.forgedPercent,
    );
    alarm(
      'WebhookErrorRateAlarm',
      `Over ${answerRateAlarms.serverErrorPercent}% of webhook deliveries were answered 5xx by the function: Telnyx redelivers them, then gives up.`,
      rateOf('a5', '5xx %'),
      answerRateAlarms.serverErrorPercent,
    );
    alarm(
      'WebhookServerErrorsAlarm',
      'The webhook API answered Telnyx with 5xx: events are being retried or lost.',
      props.api.metricServerError({ period: minute, statistic: Stats.SUM }),
      0,
    );

    // ---------------------------------------------------------------- throttling
    const throttled = new MetricFilter(this, 'WebhookThrottledFilter', {
      logGroup: props.accessLogs,
      filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: metricsNamespace,
      metricName: 'WebhookThrottled',
      metricValue: '1',
    }).metric({ period: minute, statistic: Stats.SUM });
    alarm('WebhookThrottledAlarm', 'The HTTP API throttled webhook requests (429): to Telnyx each is a failed delivery. See README "Scaling".', throttled, 0);
    const functions = { webhook: props.webhook, poller: props.poller, calls: props.callsApi };
    const throttles = new MathExpression({
      expression: Object.keys(functions).map((name) => `FILL(${name}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, f.fn.metricThrottles({ period: minute, statistic: Stats.SUM })])),
      period: minute,
      label: 'Lambda throttles',
    });
    alarm('FunctionThrottlesAlarm', 'Lambda throttled a function: the account or function concurrency limit is reached. See README "Scaling".', throttles, 0);
    const tableThrottles = new MathExpression({
      expression: 'FILL(r, 0) + FILL(w, 0)',
      usingMetrics: {
        r: props.table.metric('ReadThrottleEvents', { period: minute, statistic: Stats.SUM }),
        w: props.table.metric('WriteThrottleEvents', { period: minute, statistic: Stats.SUM }),
      },
      period: minute,
      label: 'DynamoDB throttled events',
    });
    alarm('TableThrottlesAlarm', 'DynamoDB throttled reads or writes on the sessions table. See README "Scaling".', tableThrottles, 0);

    // ---------------------------------------------------------------- the rest of the machinery
    const keyRefused = [props.webhook, props.poller].map((f, i) =>
      new MetricFilter(this, `TelnyxKeyRefusedFilter${i}`, {
        logGroup: f.logGroup,
        filterPattern: FilterPattern.literal(`"${loggedSignals.telnyxKeyRefused}"`),
        metricNamespace: metricsNamespace,
        metricName: 'TelnyxKeyRefused',
        metricValue: '1',
      }).metric({ period: minute, statistic: Stats.SUM }),
    );
    alarm(
      'TelnyxKeyRefusedAlarm',
      'Telnyx refused the API key (401): no command reaches a call until TELNYX_API_KEY in the secret is fixed.',
      new MathExpression({ expression: 'FILL(k0, 0) + FILL(k1, 0)', usingMetrics: { k0: keyRefused[0]!, k1: keyRefused[1]! }, period: minute }),
      0,
    );
    alarm(
      'PollDeadLettersAlarm',
      'Poll messages failed 5 times and were set aside: some calls are no longer polled for sentiment.',
      props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: Stats.MAXIMUM }),
      0,
    );
    alarm(
      'PollerErrorsAlarm',
      'The poller function failed whole invocations (not single messages).',
      props.poller.fn.metricErrors({ period: minute, statistic: Stats.SUM }),
      0,
    );
    const queueAge = props.pollQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: Stats.MAXIMUM });
    alarm('PollQueueAgeAlarm', `A poll message waited over ${pollQueueMaxAgeSeconds} s: sentiment polling has stalled and escalations are late.`, queueAge, pollQueueMaxAgeSeconds);

    // ---------------------------------------------------------------- the dashboard
    const graph = (title: string, left: IMetric[], stacked = false, width = 8) => new GraphWidget({ title, left, stacked, width, height: 6 });
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '## sentiment-ivr\nEscalations, operators and the webhook, from the functions\' embedded metrics; the services\' own figures below. README: "Tuning", "Scaling".',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Escalations by rule', escalations, true),
      graph('Seconds from escalation to operator connected', [toOperator('p50'), toOperator('p90'), toOperator(Stats.MAXIMUM)]),
      graph('Operator attempts by outcome', attempts, true),
    );
    this.dashboard.addWidgets(
      new SingleValueWidget({ title: 'Escalated calls that ended without an operator', metrics: [withoutOperator], width: 8, height: 6 }),
      graph('Shadow policy disagreements', disagreements, true),
      graph('Webhook answers by class', webhookAnswerClasses.map((answer) => answers[answer]), true),
    );
    this.dashboard.addWidgets(
      graph('Throttling', [throttled, throttles, tableThrottles]),
      graph('Function duration (p90)', Object.values(functions).map((f) => f.fn.metricDuration({ statistic: 'p90', period: fiveMinutes }))),
      graph('Poll queue: oldest message (s)', [queueAge]),
    );
    this.dashboard.addWidgets(
      graph(
        'Transcripts scored locally, not by Comprehend',
        scorerFallbackReasons.map((reason) => productMetric(metricNames.scorerFallbacks, Stats.SUM, [dimensions.reason, reason])),
        true,
      ),
    );
  }
}
