import { type CfnElement, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { HttpMethod, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AllowedMethods, CachePolicy, Distribution, OriginRequestPolicy, ViewerProtocolPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AccountRecovery, Mfa, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { projectRoot } from './bundling.js';
import { statusIndex } from '../lib/store/session-store.js';
import { IvrFunction } from './ivr-function.js';

export interface LiveViewProps {
  /** The product's HTTP API: the read routes are added to it, behind a JWT authorizer. */
  readonly api: HttpApi;
  readonly table: ITable;
  /** The functions' settings (the call record API reads the table's name and the policy's lines). */
  readonly environment: Readonly<Record<string, string>>;
  readonly logLevel?: string;
  readonly timeout: Duration;
}

/**
 * The supervisors' live view: a Cognito user pool of supervisors; `GET /calls` and
 * `GET /calls/{sessionId}` on the product's HTTP API, served by a function of their own and
 * refused without a supervisor's token (the webhook route stays as it is: Telnyx cannot send a
 * JWT); the page in a private S3 bucket behind CloudFront (origin access control, HTTPS only),
 * with `/calls*` routed to the API on the same origin.
 */
export class LiveView extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly calls: IvrFunction;
  readonly bucket: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: LiveViewProps) {
    super(scope, id);
    const { region } = Stack.of(this);

    this.userPool = new UserPool(this, 'Supervisors', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
    });
    this.client = this.userPool.addClient('LiveViewPage', {
      // The page signs in with the supervisor's name and password (Cognito's own API, no hosted UI).
      authFlows: { userPassword: true, userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
    });

    this.calls = new IvrFunction(this, 'CallsApi', {
      entry: 'functions/calls-api/handler.ts',
      description: "sentiment-ivr: the call record API for the supervisors' live view",
      environment: props.environment,
      logLevel: props.logLevel,
      timeout: props.timeout,
    });
    // Items, and the status index only.
    Grant.addToPrincipal({
      grantee: this.calls,
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      resourceArns: [props.table.tableArn, `${props.table.tableArn}/index/${statusIndex.name}`],
    });

    const authorizer = new HttpJwtAuthorizer('SupervisorToken', `https://cognito-idp.${region}.amazonaws.com/${this.userPool.userPoolId}`, {
      jwtAudience: [this.client.userPoolClientId],
    });
    const integration = new HttpLambdaIntegration('CallsIntegration', this.calls.fn);
    for (const path of ['/calls', '/calls/{sessionId}']) props.api.addRoutes({ path, methods: [HttpMethod.GET], integration, authorizer });

    this.bucket = new Bucket(this, 'Page', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: "sentiment-ivr: the supervisors' live view",
      defaultRootObject: 'index.html',
      defaultBehavior: { origin: S3BucketOrigin.withOriginAccessControl(this.bucket), viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS },
      additionalBehaviors: {
        // The API on the page's own origin: no CORS, and the same paths as on this machine.
        '/calls*': {
          origin: new HttpOrigin(`${props.api.apiId}.execute-api.${region}.amazonaws.com`),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    new BucketDeployment(this, 'PageFiles', {
      sources: [
        Source.asset(join(projectRoot, 'web')),
        Source.jsonData('config.json', { auth: 'cognito', region, userPoolId: this.userPool.userPoolId, clientId: this.client.userPoolClientId }),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
    });

    new CfnOutput(this, 'LiveViewUrl', { description: "The supervisors' live view (sign in as a supervisor)", value: `https://${this.distribution.distributionDomainName}/` });
    new CfnOutput(this, 'SupervisorPoolId', { description: 'Cognito user pool of supervisors', value: this.userPool.userPoolId });
    new CfnOutput(this, 'AddSupervisorCommand', {
      description: 'Adds a supervisor (Cognito mails a temporary password; the page asks for a new one at first sign-in)',
      value: `aws cognito-idp admin-create-user --user-pool-id ${this.userPool.userPoolId} --username SUPERVISOR_EMAIL --user-attributes Name=email,Value=SUPERVISOR_EMAIL Name=email_verified,Value=true`,
    });
    this.acknowledgeNagFindings();
  }

  /** cdk-nag AwsSolutions findings that are right for this page, each with its reason. */
  private acknowledgeNagFindings(): void {
    // CDK's own deployment function, one per stack, that copies the page into the bucket at deploy time.
    const copier = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    const deployReason = (what: string) =>
      `CDK's BucketDeployment custom resource (it copies the page's files into the bucket once per deploy, then invalidates CloudFront): ${what}. It runs only inside CloudFormation deploys.`;
    if (copier) {
      const page = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
      const findings: Record<string, string> = {
        'AwsSolutions-L1': 'its runtime is chosen by CDK, not by this stack',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': 'CDK gives it the AWS Lambda basic execution role for its own logs',
        'AwsSolutions-IAM5[Resource::*]': 'CDK lets it create CloudFront invalidations, which IAM cannot scope to one distribution',
        [`AwsSolutions-IAM5[Resource::<${page}.Arn>/*]`]: "it writes the page's objects, and only into the page bucket",
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]': "it reads the page's files from the CDK asset bucket",
      };
      for (const action of ['Abort', 'DeleteObject', 'GetBucket', 'GetObject', 'List']) {
        findings[`AwsSolutions-IAM5[Action::s3:${action}*]`] = 'CDK grants it the S3 read and write action groups on those two buckets only';
      }
      for (const [id, what] of Object.entries(findings)) Validations.of(copier).acknowledge({ id, reason: deployReason(what) });
    }
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG3',
      reason: 'Cognito threat protection (advanced security) is a paid feature plan; supervisors are created by an administrator only (no self sign-up) with a strict password policy and optional TOTP MFA.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan is billed per active user; supervisors are few, created by an administrator, and sign in with a strict password policy.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'MFA is offered (TOTP) and left to each team: requiring it is one property (mfa: Mfa.REQUIRED) where policy demands it.',
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: "The bucket holds only the page's static files, read through CloudFront with origin access control; the distribution, not the bucket, is where requests are.",
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'Supervisors may sign in from anywhere the team works; access is by Cognito sign-in, not by country.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason: "No WAF by default (its cost is per web ACL and rule): the page is static and every API route behind it requires a supervisor's JWT.",
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason: "Access logs of a static page add little; the API behind /calls* logs every request in the HTTP API's access log group.",
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason: "The distribution uses CloudFront's default *.cloudfront.net certificate, whose minimum TLS version CloudFront sets; a custom domain with its own certificate can require TLS 1.2.",
    });
  }
}
