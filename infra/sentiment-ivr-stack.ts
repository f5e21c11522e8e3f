import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, type HttpRoute, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { IvrFunction } from './ivr-function.js';

/** The keys of the one secret; the functions read it once per cold start. */
export const appSecretKeys = ['TELNYX_API_KEY', 'TELNYX_PUBLIC_KEY', 'SYMBL_APP_SECRET'] as const;

/**
 * The product's non-secret settings, each passed to both functions under the environment
 * variable named in its doc comment, plus the stack's own knobs. Secrets are never props.
 */
export interface SentimentIvrSettings {
  /** `TELNYX_CONNECTION_ID`: the Call Control application's id. */
  readonly telnyxConnectionId: string;
  /** `CONFERENCE_NUMBER`: the E.164 number customers call. */
  readonly conferenceNumber: string;
  /** `CONFERENCE_NAME`: prefix of each call's conference name. @default 'sentiment-ivr' */
  readonly conferenceName?: string;
  /** `TRANSFER_NUMBER`: operators' E.164 numbers, tried in order on no answer. */
  readonly transferNumbers: readonly string[];
  /** `TELNYX_BASE_URL`: the Telnyx API base, ending in `/v2`. @default - the SDK's own (omitted) */
  readonly telnyxBaseUrl?: string;
  /** `SENTIMENT_SOURCE`. @default - decided by the functions' config: Symbl when its app is configured, else Telnyx (omitted) */
  readonly sentimentSource?: 'symbl' | 'telnyx';
  /** `SYMBL_APP_ID`. @default - none (omitted; required for the Symbl source) */
  readonly symblAppId?: string;
  /** `SYMBL_BASE_URL`. @default 'https://api.symbl.ai' */
  readonly symblBaseUrl?: string;
  /** `SYMBL_NUMBER`: numbers Symbl's analyzer calls from. @default - none (omitted; required for the Symbl source) */
  readonly symblNumbers?: readonly string[];
  /** `SYMBL_SUMMARY_EMAILS`: who gets Symbl's summary after a call. @default - nobody (omitted) */
  readonly symblSummaryEmails?: readonly string[];
  /** `SENTIMENT_THRESHOLD`: an utterance at or below this polarity escalates. @default -0.7 */
  readonly sentimentThreshold?: number;
  /** `POLL_INTERVAL_SECONDS`: seconds between sentiment polls of a live call. @default 1 */
  readonly pollIntervalSeconds?: number;
  /** `LOG_LEVEL` for Powertools Logger. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

  /**
   * Complete ARN (with its 6-character suffix) of an existing Secrets Manager secret holding
   * the JSON object with {@link appSecretKeys}. Use it to keep credentials outside this
   * stack's lifecycle or share them between stages.
   * @default - the stack creates the secret with empty values, to be filled in after
   * the first deploy (`aws secretsmanager put-secret-value`, see README.md, "Deploying")
   */
  readonly appSecretArn?: string;
  /** Address subscribed to the alarm topic (confirm the email SNS sends). @default - no subscription */
  readonly alarmEmail?: string;
  /**
   * What the `WebhookFailoverUrl` output shows: Telnyx retries a failed delivery there, so
   * point it at a deployment in a second region when there is one.
   * @default - this stack's own webhook URL
   */
  readonly failoverWebhookUrl?: string;
  /** Steady-state requests per second the webhook API accepts (above it, 429). @default 100 */
  readonly webhookRateLimit?: number;
  /** Burst of requests the webhook API accepts at once. @default 200 */
  readonly webhookBurstLimit?: number;
}

export interface SentimentIvrStackProps extends StackProps, SentimentIvrSettings {}

/** Seconds a poll message may wait before polling counts as stalled. */
const pollQueueMaxAgeSeconds = 60;
const pollerTimeout = Duration.seconds(10);

/**
 * The whole product: `POST /webhook` (HTTP API) → webhook function; the poll queue → poller
 * function; one table of call sessions; one secret; alarms on what needs a human.
 */
export class SentimentIvrStack extends Stack {
  readonly table: Table;
  readonly pollQueue: Queue;
  readonly pollDeadLetterQueue: Queue;
  readonly appSecret: ISecret;
  readonly webhook: IvrFunction;
  readonly poller: IvrFunction;
  readonly api: HttpApi;
  readonly webhookUrl: string;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: SentimentIvrStackProps) {
    super(scope, id, props);
    checkSettings(props);

    this.table = new Table(this, 'Sessions', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Call records outlive the stack: deleting the stack must not delete call history.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.pollDeadLetterQueue = new Queue(this, 'PollDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.pollQueue = new Queue(this, 'PollQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guidance for SQS event sources: at least six times the function timeout,
      // so a message is not redelivered while a slow batch is still being handled.
      visibilityTimeout: Duration.seconds(pollerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.pollDeadLetterQueue, maxReceiveCount: 5 },
    });

    this.appSecret = props.appSecretArn
      ? Secret.fromSecretCompleteArn(this, 'AppSecret', props.appSecretArn)
      : this.createAppSecret();

    const environment = functionEnvironment(props, {
      TABLE_NAME: this.table.tableName,
      POLL_QUEUE_URL: this.pollQueue.queueUrl,
      APP_SECRET_ARN: this.appSecret.secretArn,
    });

    this.webhook = new IvrFunction(this, 'Webhook', {
      entry: 'functions/webhook/handler.ts',
      description: 'sentiment-ivr: verifies and handles Telnyx call webhooks',
      environment,
      logLevel: props.logLevel,
    });
    this.poller = new IvrFunction(this, 'Poller', {
      entry: 'functions/poller/handler.ts',
      description: 'sentiment-ivr: polls live calls for sentiment and escalates',
      environment,
      logLevel: props.logLevel,
      timeout: pollerTimeout,
      // The poller re-sends its own message every cycle (SQS → Lambda → SQS). Lambda would
      // take that for a runaway loop and drop the message after about 16 rounds.
      recursiveLoop: RecursiveLoop.ALLOW,
    });

    for (const fn of [this.webhook, this.poller]) {
      this.table.grantReadWriteData(fn);
      this.pollQueue.grantSendMessages(fn);
      this.appSecret.grantRead(fn);
    }
    this.poller.fn.addEventSource(
      new SqsEventSource(this.pollQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(0),
        reportBatchItemFailures: true,
      }),
    );

    this.api = new HttpApi(this, 'WebhookApi', {
      description: 'sentiment-ivr: Telnyx webhooks',
      createDefaultStage: false,
    });
    const [webhookRoute] = this.api.addRoutes({
      path: '/webhook',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('WebhookIntegration', this.webhook.fn),
    });
    const accessLogs = new LogGroup(this, 'WebhookApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    const stage = new HttpStage(this, 'WebhookApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.webhookRateLimit ?? 100, burstLimit: props.webhookBurstLimit ?? 200 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: accessLogFormat() },
    });
    this.webhookUrl = `${stage.url}webhook`;

    this.alarmTopic = new Topic(this, 'Alarms', { displayName: 'sentiment-ivr alarms', enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.addAlarms();
    this.addOutputs(props);
    if (webhookRoute) this.acknowledgeNagFindings(webhookRoute);
  }

  private createAppSecret(): Secret {
    // Empty placeholders: put the real values after the first deploy (until then the functions
    // fail their config check, naming the missing keys). CloudFormation does not write this
    // value again unless this resource's properties change, so keep them fixed.
    return new Secret(this, 'AppSecret', {
      description: `sentiment-ivr credentials: JSON with ${appSecretKeys.join(', ')}`,
      secretObjectValue: Object.fromEntries(appSecretKeys.map((key) => [key, SecretValue.unsafePlainText('')])),
    });
  }

  private addAlarms(): void {
    const minute = Duration.minutes(1);
    const alarm = (id: string, description: string, metric: IMetric, threshold: number): void => {
      const created = new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.alarmTopic));
      created.addOkAction(new SnsAction(this.alarmTopic));
    };
    alarm(
      'PollDeadLettersAlarm',
      'Poll messages failed 5 times and were set aside: some calls are no longer polled for sentiment.',
      this.pollDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: Stats.MAXIMUM }),
      0,
    );
    alarm(
      'WebhookServerErrorsAlarm',
      'The webhook API answered Telnyx with 5xx: events are being retried or lost.',
      this.api.metricServerError({ period: minute, statistic: Stats.SUM }),
      0,
    );
    alarm(
      'PollerErrorsAlarm',
      'The poller function failed whole invocations (not single messages).',
      this.poller.fn.metricErrors({ period: minute, statistic: Stats.SUM }),
      0,
    );
    alarm(
      'PollQueueAgeAlarm',
      `A poll message waited over ${pollQueueMaxAgeSeconds} s: sentiment polling has stalled and escalations are late.`,
      this.pollQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: Stats.MAXIMUM }),
      pollQueueMaxAgeSeconds,
    );
  }

  private addOutputs(props: SentimentIvrSettings): void {
    new CfnOutput(this, 'WebhookUrl', {
      description: 'Telnyx portal, Call Control application: Webhook URL (API v2)',
      value: this.webhookUrl,
    });
    new CfnOutput(this, 'WebhookFailoverUrl', {
      description: props.failoverWebhookUrl
        ? 'Telnyx portal: Webhook Failover URL (the second deployment)'
        : 'Telnyx portal: Webhook Failover URL. Single region, so the same endpoint: Telnyx retries a failed delivery there',
      value: props.failoverWebhookUrl ?? this.webhookUrl,
    });
    new CfnOutput(this, 'TableName', { description: 'Call sessions (DynamoDB)', value: this.table.tableName });
    new CfnOutput(this, 'PollQueueUrl', { description: 'Sentiment poll queue (SQS)', value: this.pollQueue.queueUrl });
    new CfnOutput(this, 'AppSecretArn', {
      description: `Secret to fill in: JSON with ${appSecretKeys.join(', ')}`,
      value: this.appSecret.secretArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Alarm notifications (SNS)', value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'WebhookLogGroup', { description: 'Webhook function logs', value: this.webhook.logGroup.logGroupName });
    new CfnOutput(this, 'PollerLogGroup', { description: 'Poller function logs', value: this.poller.logGroup.logGroupName });
  }

  /** cdk-nag AwsSolutions findings that are right for this product, each with its reason. */
  private acknowledgeNagFindings(webhookRoute: HttpRoute): void {
    Validations.of(webhookRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Telnyx cannot present AWS credentials or tokens; the webhook function authenticates every request by its Ed25519 signature over the raw body (±300 s) and rejects others with 401.',
    });
    if (this.appSecret instanceof Secret) {
      Validations.of(this.appSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The values are vendor credentials (Telnyx API key and public key, Symbl app secret) issued in the vendors\' portals; no rotation Lambda can create them. Rotate in the portal, then put-secret-value.',
      });
    }
  }
}

/** The settings every function gets: the props' product settings plus resource names. */
function functionEnvironment(
  props: SentimentIvrSettings,
  resources: { TABLE_NAME: string; POLL_QUEUE_URL: string; APP_SECRET_ARN: string },
): Record<string, string> {
  const optional = (name: string, value: string | undefined): Record<string, string> =>
    value === undefined || value === '' ? {} : { [name]: value };
  return {
    ...resources,
    TELNYX_CONNECTION_ID: props.telnyxConnectionId,
    CONFERENCE_NUMBER: props.conferenceNumber,
    CONFERENCE_NAME: props.conferenceName ?? 'sentiment-ivr',
    TRANSFER_NUMBER: props.transferNumbers.join(','),
    ...optional('TELNYX_BASE_URL', props.telnyxBaseUrl),
    ...optional('SENTIMENT_SOURCE', props.sentimentSource),
    ...optional('SYMBL_APP_ID', props.symblAppId),
    SYMBL_BASE_URL: props.symblBaseUrl ?? 'https://api.symbl.ai',
    ...optional('SYMBL_NUMBER', props.symblNumbers?.join(',')),
    ...optional('SYMBL_SUMMARY_EMAILS', props.symblSummaryEmails?.join(',')),
    SENTIMENT_THRESHOLD: String(props.sentimentThreshold ?? -0.7),
    POLL_INTERVAL_SECONDS: String(props.pollIntervalSeconds ?? 1),
  };
}

/** One JSON line per request, with the fields that explain a failed delivery. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      requestTime: '$context.requestTime',
      sourceIp: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLength: '$context.responseLength',
      latencyMs: '$context.responseLatency',
      integrationStatus: '$context.integrationStatus',
      integrationLatencyMs: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      error: '$context.error.message',
    }),
  );
}

const e164 = /^\+[1-9]\d{6,14}$/;

/**
 * Fails synth with every bad setting named, rather than deploying functions whose config
 * parse fails on their first cold start. Unresolved tokens are left alone.
 */
function checkSettings(props: SentimentIvrSettings): void {
  const problems: string[] = [];
  const phones = (name: string, values: readonly string[], required: boolean): void => {
    if (required && values.length === 0) problems.push(`${name} needs at least one E.164 number`);
    for (const value of values) {
      if (!e164.test(value)) problems.push(`${name} has "${value}", which is not an E.164 number such as +14155550100`);
    }
  };
  if (props.telnyxConnectionId.trim() === '') problems.push('TELNYX_CONNECTION_ID is required');
  phones('CONFERENCE_NUMBER', [props.conferenceNumber], true);
  phones('TRANSFER_NUMBER', props.transferNumbers, true);
  phones('SYMBL_NUMBER', props.symblNumbers ?? [], props.sentimentSource === 'symbl');
  if (props.sentimentSource === 'symbl' && !props.symblAppId) problems.push('SYMBL_APP_ID is required when SENTIMENT_SOURCE is symbl');
  if (props.telnyxBaseUrl !== undefined && !/\/v2\/?$/.test(props.telnyxBaseUrl)) {
    problems.push('TELNYX_BASE_URL must end in /v2');
  }
  const threshold = props.sentimentThreshold ?? -0.7;
  if (!(threshold >= -1 && threshold <= 1)) problems.push(`SENTIMENT_THRESHOLD must be from -1 to 1, got ${threshold}`);
  const interval = props.pollIntervalSeconds ?? 1;
  // SQS DelaySeconds, which spaces the polls, is at most 900.
  if (!Number.isInteger(interval) || interval < 1 || interval > 900) {
    problems.push(`POLL_INTERVAL_SECONDS must be a whole number from 1 to 900, got ${interval}`);
  }
  if (problems.length > 0) throw new Error(`Invalid sentiment-ivr settings:\n  - ${problems.join('\n  - ')}`);
}
