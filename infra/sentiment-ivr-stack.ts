import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Grant, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { HttpApi, HttpMethod, type HttpRoute, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { secretKeys, settingsTable } from '../lib/settings/table.js';
import { statusIndex, ttlAttribute } from '../lib/store/session-store.js';
import { LiveView } from './live-view.js';
import { Observability } from './observability.js';
import { pollMaxReceives, timeouts } from '../lib/timeouts.js';
import { IvrFunction } from './ivr-function.js';
import { checkSettings, functionEnvironment, type SentimentIvrSettings } from './settings.js';

/**
 * The stack's settings ({@link SentimentIvrSettings}: one prop per non-secret row of the
 * settings table with a `prop`, documented there with its variable, default and meaning) and
 * CloudFormation's own stack props. Secrets are never props: they live in the one secret.
 */
export interface SentimentIvrStackProps extends StackProps, SentimentIvrSettings {}

/** What the webhook and the poller do to the table: read and write items, one at a time, in transactions and in batches. */
const sessionTableActions = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:BatchWriteItem',
];

/** What the webhook asks Comprehend, when it scores with it: one utterance at a time. */
const comprehendActions = ['comprehend:DetectSentiment'];
/** Both functions' timeout and the queue's visibility, from the product's one timeout budget (lib/timeouts.ts). */
const functionTimeout = Duration.seconds(timeouts.functionTimeoutSeconds);

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
  readonly liveView: LiveView;
  readonly alarmTopic: Topic;
  readonly observability: Observability;
  /** The webhook's permission to call Comprehend; only when `sentimentScorer` is `comprehend`. */
  readonly comprehendPolicy: Policy | undefined;

  constructor(scope: Construct, id: string, props: SentimentIvrStackProps) {
    super(scope, id, props);
    checkSettings(props);

    this.table = new Table(this, 'Sessions', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Call records outlive the stack: deleting the stack must not delete call history.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Live and ended calls, newest first, for the live view: keys only, so ordinary writes do not touch it.
    this.table.addGlobalSecondaryIndex({
      indexName: statusIndex.name,
      partitionKey: { name: statusIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: statusIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
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
      visibilityTimeout: Duration.seconds(timeouts.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.pollDeadLetterQueue, maxReceiveCount: pollMaxReceives },
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
      timeout: functionTimeout,
    });
    this.poller = new IvrFunction(this, 'Poller', {
      entry: 'functions/poller/handler.ts',
      description: 'sentiment-ivr: polls live calls for sentiment and escalates',
      environment,
      logLevel: props.logLevel,
      timeout: functionTimeout,
      // The poller re-sends its own message every cycle (SQS → Lambda → SQS). Lambda would
      // take that for a runaway loop and drop the message after about 16 rounds.
      recursiveLoop: RecursiveLoop.ALLOW,
    });

    for (const fn of [this.webhook, this.poller]) {
      // The table's items only: neither function reads the status index (the live view does).
      Grant.addToPrincipal({ grantee: fn, actions: sessionTableActions, resourceArns: [this.table.tableArn] });
      this.pollQueue.grantSendMessages(fn);
      this.appSecret.grantRead(fn);
    }
    this.comprehendPolicy = (props.sentimentScorer ?? settingsTable.SENTIMENT_SCORER.default) === 'comprehend' ? this.allowComprehend() : undefined;
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
      throttle: {
        rateLimit: props.webhookRateLimit ?? settingsTable.WEBHOOK_RATE_LIMIT.default,
        burstLimit: props.webhookBurstLimit ?? settingsTable.WEBHOOK_BURST_LIMIT.default,
      },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: accessLogFormat() },
    });
    this.webhookUrl = `${stage.url}webhook`;
    this.liveView = new LiveView(this, 'LiveView', { api: this.api, table: this.table, environment, logLevel: props.logLevel, timeout: functionTimeout });

    this.alarmTopic = new Topic(this, 'Alarms', { displayName: 'sentiment-ivr alarms', enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.observability = new Observability(this, 'Observability', {
      topic: this.alarmTopic,
      api: this.api,
      accessLogs,
      webhook: this.webhook,
      poller: this.poller,
      callsApi: this.liveView.calls,
      table: this.table,
      pollQueue: this.pollQueue,
      deadLetters: this.pollDeadLetterQueue,
    });
    this.addOutputs(props);
    if (webhookRoute) this.acknowledgeNagFindings(webhookRoute);
  }

  /**
   * Only the webhook scores transcripts, so only its role may call DetectSentiment. A policy of
   * its own, so the `*` it needs is acknowledged there and nowhere else.
   */
  private allowComprehend(): Policy {
    const policy = new Policy(this, 'WebhookComprehend', {
      statements: [new PolicyStatement({ actions: comprehendActions, resources: ['*'] })],
    });
    this.webhook.fn.role?.attachInlinePolicy(policy);
    return policy;
  }

  private createAppSecret(): Secret {
    // Empty placeholders: put the real values after the first deploy (until then the functions
    // fail their config check, naming the missing keys). CloudFormation does not write this
    // value again unless this resource's properties change, so keep them fixed.
    return new Secret(this, 'AppSecret', {
      description: `sentiment-ivr credentials: JSON with ${secretKeys.join(', ')}`,
      secretObjectValue: Object.fromEntries(secretKeys.map((key) => [key, SecretValue.unsafePlainText('')])),
    });
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
      description: `Secret to fill in: JSON with ${secretKeys.join(', ')}`,
      value: this.appSecret.secretArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Alarm notifications (SNS)', value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { description: 'CloudWatch dashboard: escalations, operators, the webhook, throttling', value: this.observability.dashboard.dashboardName });
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
    if (this.comprehendPolicy) {
      Validations.of(this.comprehendPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'comprehend:DetectSentiment has no resource-level permissions (IAM accepts only "*" for it): it reads no stored resource, it scores the text in the request. The policy allows that one action, for the webhook function alone.',
      });
    }
    if (this.appSecret instanceof Secret) {
      Validations.of(this.appSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: `The values (${secretKeys.join(', ')}) are vendor credentials issued in the vendors' portals; no rotation Lambda can create them. Rotate in the portal, then put-secret-value.`,
      });
    }
  }
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
