import { Lazy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { pollMaxReceives, timeouts } from '../../lib/timeouts.js';
import { ConfigError, loadConfig } from '../../lib/config.js';
import { secretKeys } from '../../lib/settings/table.js';
import { logicalId, synthTemplate, testProps } from './stack-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON; the assertions check its shape
type CfnJson = any;
type Resource = { Type: string; Properties: Record<string, CfnJson>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

const { stack, template } = synthTemplate();
const resources = template.toJSON().Resources as Record<string, Resource>;
const resource = (id: string): Resource => {
  const found = resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
};

const ids = {
  table: logicalId(stack.table),
  queue: logicalId(stack.pollQueue),
  dlq: logicalId(stack.pollDeadLetterQueue),
  webhook: logicalId(stack.webhook.fn),
  poller: logicalId(stack.poller.fn),
  webhookLogs: logicalId(stack.webhook.logGroup),
  pollerLogs: logicalId(stack.poller.logGroup),
  api: logicalId(stack.api),
  topic: logicalId(stack.alarmTopic),
  secret: logicalId(stack.appSecret),
};
const functions = { webhook: ids.webhook, poller: ids.poller } as const;
/** What the filled-in secret holds. */
const secretValues = { TELNYX_API_KEY: 'KEY123', TELNYX_PUBLIC_KEY: Buffer.alloc(32, 7).toString('base64'), SYMBL_APP_SECRET: 'symbl-secret' };
const env = (fn: string): Record<string, unknown> => resource(fn).Properties.Environment.Variables;
const policyOf = (fn: string) => {
  const roleId = resource(fn).Properties.Role['Fn::GetAtt'][0] as string;
  const [policy] = Object.values(resources).filter(
    (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId),
  );
  if (!policy) throw new Error(`no policy for ${fn}`);
  return { roleId, statements: policy.Properties.PolicyDocument.Statement as Array<Record<string, CfnJson>> };
};
const actionsOn = (fn: string, target: string): string[] =>
  policyOf(fn)
    .statements.filter((s) => JSON.stringify(s.Resource).includes(`"${target}"`))
    .flatMap((s) => [s.Action].flat() as string[]);

describe('call sessions table', () => {
  it('is keyed by pk alone, on demand, with TTL, point-in-time recovery and AWS-managed encryption, and a keys-only status index', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
  });

  it('is retained when the stack is deleted or the table replaced', () => {
    expect(resource(ids.table)).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('functions', () => {
  it.each(Object.entries(functions))('%s runs Node 22 or newer on arm64 with 512 MB and the timeout budget’s limit', (_, id) => {
    const props = resource(id).Properties;
    expect(props.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.MemorySize).toBe(512);
    expect(props.Timeout).toBe(timeouts.functionTimeoutSeconds);
    expect(timeouts.functionTimeoutSeconds).toBe(30);
    expect(props.Handler).toBe('index.handler');
  });

  it.each(Object.entries({ webhook: ids.webhookLogs, poller: ids.pollerLogs }))(
    '%s logs to its own log group kept for a month',
    (name, logsId) => {
      expect(resource(functions[name as keyof typeof functions]).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logsId } });
      expect(resource(logsId).Properties.RetentionInDays).toBe(30);
    },
  );

  it.each(Object.entries(functions))('%s gets the resource names and every non-secret setting', (_, id) => {
    expect(env(id)).toEqual({
      POWERTOOLS_SERVICE_NAME: 'sentiment-ivr',
      LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      TABLE_NAME: { Ref: ids.table },
      POLL_QUEUE_URL: { Ref: ids.queue },
      APP_SECRET_ARN: { Ref: ids.secret },
      TELNYX_CONNECTION_ID: testProps.telnyxConnectionId,
      TELNYX_PUBLIC_KEY: testProps.telnyxPublicKey,
      CONFERENCE_NUMBER: testProps.conferenceNumber,
      CONFERENCE_NAME: 'sentiment-ivr',
      TRANSFER_NUMBER: '+14155550111,+14155550112',
      SYMBL_APP_ID: 'symbl-app',
      SYMBL_BASE_URL: 'https://api.symbl.ai',
      SYMBL_NUMBER: '+14155550199',
      SENTIMENT_THRESHOLD: '-0.7',
      SENTIMENT_WINDOW_SIZE: '3',
      SENTIMENT_WINDOW_THRESHOLD: '-0.45',
      SENTIMENT_STREAK_LENGTH: '3',
      SENTIMENT_NEGATIVE_BELOW: '-0.3',
      POLL_INTERVAL_SECONDS: '1',
      ANALYZER_JOIN_TIMEOUT_SECONDS: '10',
      OPERATOR_RING_TIMEOUT_SECONDS: '30',
      OPERATOR_SCREENING: 'either',
      OPERATOR_MACHINE_DETECTION: 'detect',
      OPERATOR_ACCEPT_TIMEOUT_SECONDS: '30',
      SENTIMENT_SCORER: 'local',
    });
  });

  it('passes optional settings only when they are set', () => {
    const { stack: custom, template: customTemplate } = synthTemplate({
      telnyxBaseUrl: 'https://telnyx.example.test/v2',
      sentimentSource: 'symbl',
      symblSummaryEmails: ['ops@example.test', 'lead@example.test'],
      sentimentThreshold: -0.5,
      pollIntervalSeconds: 2,
      conferenceName: 'support',
      logLevel: 'DEBUG',
    });
    const variables = (customTemplate.toJSON().Resources[logicalId(custom.poller.fn)] as Resource).Properties.Environment.Variables;
    expect(variables).toMatchObject({
      TELNYX_BASE_URL: 'https://telnyx.example.test/v2',
      SENTIMENT_SOURCE: 'symbl',
      SYMBL_SUMMARY_EMAILS: 'ops@example.test,lead@example.test',
      SENTIMENT_THRESHOLD: '-0.5',
      POLL_INTERVAL_SECONDS: '2',
      CONFERENCE_NAME: 'support',
      LOG_LEVEL: 'DEBUG',
    });
    for (const unset of ['TELNYX_BASE_URL', 'SENTIMENT_SOURCE', 'SYMBL_SUMMARY_EMAILS']) {
      expect(env(ids.webhook)).not.toHaveProperty(unset);
    }
  });

  it.each(Object.entries(functions))('%s has no secret in its environment', (_, id) => {
    const variables = env(id);
    for (const key of secretKeys) expect(variables).not.toHaveProperty(key);
    const secretLooking = Object.keys(variables).filter((name) => /KEY|SECRET|TOKEN|PASSWORD/i.test(name));
    // The public key only verifies signatures: a plain setting, so a forged webhook is refused before any network call.
    expect(secretLooking.sort()).toEqual(['APP_SECRET_ARN', 'TELNYX_PUBLIC_KEY']);
    expect(variables.APP_SECRET_ARN).toEqual({ Ref: ids.secret });
  });

  it('lets the poller re-send its own message without Lambda stopping it as a recursive loop', () => {
    expect(resource(ids.poller).Properties.RecursiveLoop).toBe('Allow');
    expect(resource(ids.webhook).Properties.RecursiveLoop).toBeUndefined();
  });

  it('refuses settings the functions would reject at cold start, naming each', () => {
    expect(() =>
      synthTemplate({ conferenceNumber: '555-0100', transferNumbers: [], pollIntervalSeconds: 0.5, sentimentThreshold: -2 }),
    ).toThrow(/CONFERENCE_NUMBER[\s\S]*TRANSFER_NUMBER[\s\S]*SENTIMENT_THRESHOLD[\s\S]*POLL_INTERVAL_SECONDS/);
    expect(() => synthTemplate({ sentimentSource: 'symbl', symblAppId: undefined })).toThrow(/SYMBL_APP_ID/);
    expect(() => synthTemplate({ telnyxBaseUrl: 'https://api.telnyx.com' })).toThrow(/TELNYX_BASE_URL must end in \/v2/);
  });

  it('refuses a number that is not one, naming the variable, in the words of the functions\' config', () => {
    expect(() => synthTemplate({ pollIntervalSeconds: Number.NaN, webhookRateLimit: Number.NaN })).toThrow(
      new ConfigError([
        'POLL_INTERVAL_SECONDS must be a whole number from 1 to 900, got "NaN"',
        'WEBHOOK_RATE_LIMIT must be a whole number from 1 to 10000, got "NaN"',
      ]),
    );
  });

  it('refuses a threshold the window rule could never beat, as the functions would', () => {
    expect(() => synthTemplate({ sentimentThreshold: -0.3 })).toThrow(
      'SENTIMENT_WINDOW_THRESHOLD must not be below SENTIMENT_THRESHOLD (the window rule would never fire first)',
    );
  });

  it('leaves unresolved tokens to deploy time and passes them on', () => {
    const { stack: tokens, template: tokenTemplate } = synthTemplate({
      conferenceNumber: Lazy.string({ produce: () => '+14155550177' }),
      pollIntervalSeconds: Lazy.number({ produce: () => 3 }),
    });
    const variables = (tokenTemplate.toJSON().Resources[logicalId(tokens.webhook.fn)] as Resource).Properties.Environment.Variables;
    expect(variables).toMatchObject({ CONFERENCE_NUMBER: '+14155550177', POLL_INTERVAL_SECONDS: '3' });
  });

  it.each(Object.entries(functions))('%s gets an environment its config accepts once the secret is read', (_, id) => {
    const deployed = Object.fromEntries(Object.entries(env(id)).map(([name, value]) => [name, typeof value === 'string' ? value : `https://resource.example.test/${name}`]));
    const config = loadConfig({ ...deployed, ...secretValues }, { requireQueue: true });
    expect(config).toMatchObject({
      telnyx: { connectionId: testProps.telnyxConnectionId, conferenceNumber: testProps.conferenceNumber, transferNumbers: testProps.transferNumbers },
      sentimentSource: 'symbl',
      symbl: { appId: testProps.symblAppId, numbers: testProps.symblNumbers },
    });
  });
});

describe('poll queue', () => {
  it('feeds the poller in batches of 10, without waiting, reporting failed items only', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: ids.poller },
      EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('hides a message for at least six times the poller timeout', () => {
    const visibility = resource(ids.queue).Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * (resource(ids.poller).Properties.Timeout as number));
  });

  it('sets a message aside after its last receive (a failed one comes back after a short wait each time), in a dead-letter queue that keeps it 14 days', () => {
    expect(resource(ids.queue).Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] },
      maxReceiveCount: pollMaxReceives,
    });
    expect(resource(ids.dlq).Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it.each([
    ['poll queue', ids.queue],
    ['dead-letter queue', ids.dlq],
  ])('%s is encrypted and refuses requests without TLS', (_, queueId) => {
    expect(resource(queueId).Properties.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('webhook API', () => {
  it('routes POST /webhook to the webhook function with payload format 2.0', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    // The webhook, and the live view's two read routes.
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
    const integration = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::ApiGatewayV2::Integration' && JSON.stringify(r.Properties.IntegrationUri).includes(ids.webhook),
    );
    expect(integration?.[1].Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [ids.webhook, 'Arn'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /webhook',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration?.[0] }]] },
      // Telnyx cannot send a JWT: the webhook checks its signature instead.
      AuthorizationType: 'NONE',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [ids.webhook, 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('throttles and access-logs its default stage', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage')!;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
    });
    const logsId = stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string;
    expect(resource(logsId)).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      integrationError: '$context.integrationErrorMessage',
    });
  });
});

describe('secret', () => {
  it('is created with empty placeholders for the two keys when no ARN is given', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const value = JSON.parse(resource(ids.secret).Properties.SecretString as string);
    expect(value).toEqual({ TELNYX_API_KEY: '', SYMBL_APP_SECRET: '' });
  });

  it('is imported, not created, when its ARN is given', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sentiment-ivr-AbCdEf';
    const { stack: imported, template: importedTemplate } = synthTemplate({ appSecretArn: arn });
    importedTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const fnProps = (importedTemplate.toJSON().Resources[logicalId(imported.webhook.fn)] as Resource).Properties;
    expect(fnProps.Environment.Variables.APP_SECRET_ARN).toBe(arn);
    importedTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: arn }),
        ]),
      },
    });
  });
});

describe('permissions', () => {
  it.each(Object.entries(functions))('%s reads and writes the table, sends to the queue and reads the secret', (_, id) => {
    expect(actionsOn(id, ids.table)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']));
    expect(actionsOn(id, ids.queue)).toContain('sqs:SendMessage');
    expect(actionsOn(id, ids.secret)).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });

  it('lets only the poller consume the queue', () => {
    expect(actionsOn(ids.poller, ids.queue)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']));
    expect(actionsOn(ids.webhook, ids.queue)).not.toContain('sqs:ReceiveMessage');
  });

  it.each(Object.entries(functions))('%s has no managed policy and no wildcard resource', (_, id) => {
    const { roleId, statements } = policyOf(id);
    expect(resource(roleId).Properties.ManagedPolicyArns).toBeUndefined();
    for (const statement of statements) expect(JSON.stringify(statement.Resource)).not.toContain('*');
    expect(actionsOn(id, id === ids.webhook ? ids.webhookLogs : ids.pollerLogs)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});

describe('alarms', () => {
  const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
  const alarmOn = (namespace: string, metricName: string) => {
    const found = alarms.filter((a) => a.Namespace === namespace && a.MetricName === metricName);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it('each notify the alarm topic, when they fire and when they clear, and count missing data as fine', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    for (const alarm of alarms) {
      expect(alarm.OKActions).toEqual([{ Ref: ids.topic }]);
      expect(alarm.AlarmActions).toEqual([{ Ref: ids.topic }]);
      expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  it('fire on any message in the dead-letter queue', () => {
    expect(alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toMatchObject({
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.dlq, 'QueueName'] } }],
      Threshold: 0,
    });
  });

  it('fire on any 5xx answered to Telnyx', () => {
    expect(alarmOn('AWS/ApiGateway', '5xx')).toMatchObject({
      Dimensions: [{ Name: 'ApiId', Value: { Ref: ids.api } }],
      Statistic: 'Sum',
      Threshold: 0,
    });
  });

  it('fire on any poller error', () => {
    expect(alarmOn('AWS/Lambda', 'Errors')).toMatchObject({
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.poller } }],
      Statistic: 'Sum',
      Threshold: 0,
    });
  });

  it('fire when a poll message has waited over a minute', () => {
    expect(alarmOn('AWS/SQS', 'ApproximateAgeOfOldestMessage')).toMatchObject({
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 60,
    });
  });

  it('notify a topic that only accepts TLS, with the email subscribed when one is given', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    synthTemplate({ alarmEmail: 'oncall@example.test' }).template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.test',
    });
  });
});

describe('outputs', () => {
  const webhookUrl = {
    'Fn::Join': ['', ['https://', { Ref: ids.api }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/webhook']],
  };

  it('give the webhook URL and its failover for the Telnyx portal', () => {
    template.hasOutput('WebhookUrl', { Value: webhookUrl });
    template.hasOutput('WebhookFailoverUrl', { Value: webhookUrl, Description: Match.stringLikeRegexp('same endpoint') });
    const failover = 'https://abc.execute-api.eu-west-1.amazonaws.com/webhook';
    synthTemplate({ failoverWebhookUrl: failover }).template.hasOutput('WebhookFailoverUrl', { Value: failover });
  });

  it('give the table, queue, secret, alarm topic and log groups', () => {
    template.hasOutput('TableName', { Value: { Ref: ids.table } });
    template.hasOutput('PollQueueUrl', { Value: { Ref: ids.queue } });
    template.hasOutput('AppSecretArn', { Value: { Ref: ids.secret } });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: ids.topic } });
    template.hasOutput('WebhookLogGroup', { Value: { Ref: ids.webhookLogs } });
    template.hasOutput('PollerLogGroup', { Value: { Ref: ids.pollerLogs } });
  });
});

describe('the live view', () => {
  it("requires a supervisor's Cognito JWT on both read routes, and only there", () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    const authorizer = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Authorizer')!;
    expect(authorizer[1].Properties).toMatchObject({ AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'] });
    for (const routeKey of ['GET /calls', 'GET /calls/{sessionId}']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizer[0] } });
    }
  });

  it('serves the page from a private bucket through CloudFront with origin access control, HTTPS only, and the API on the same origin', () => {
    template.hasResourceProperties('AWS::S3::Bucket', { PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        CacheBehaviors: [Match.objectLike({ PathPattern: '/calls*', ViewerProtocolPolicy: 'https-only', AllowedMethods: ['GET', 'HEAD'] })],
      }),
    });
  });

  it('gives the call record API read access to the table and its status index, and nothing else', () => {
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties).includes('dynamodb:Query'));
    expect(policies).toHaveLength(1);
    const actions = JSON.stringify(policies[0]!.Properties.PolicyDocument);
    expect(actions).not.toMatch(/dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/);
    expect(actions).toContain('/index/byStatus');
  });

  it('outputs the page URL and the command that adds a supervisor', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const names = Object.keys(outputs);
    expect(names.some((name) => name.includes('LiveViewUrl'))).toBe(true);
    const command = JSON.stringify(outputs[names.find((name) => name.includes('AddSupervisorCommand'))!]!.Value);
    expect(command).toContain('aws cognito-idp admin-create-user --user-pool-id');
  });
});
