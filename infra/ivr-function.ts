import { Duration } from 'aws-cdk-lib';
import type { IGrantable, IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type RecursiveLoop, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { metricsService } from '../lib/metrics/metric-names.js';
import { settingsTable } from '../lib/settings/table.js';
import { nodejsBundling, projectRoot } from './bundling.js';

/** Our defaults for every function; each prop says what it is when omitted. */
export interface IvrFunctionProps {
  /** Entry file, relative to the repository root, e.g. `functions/webhook/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  /** Non-secret settings only: secrets are read from Secrets Manager at cold start. */
  readonly environment: Readonly<Record<string, string>>;
  /** The function's timeout (the stack passes the product's budget, lib/timeouts.ts). */
  readonly timeout: Duration;
  /** @default 512 MB */
  readonly memorySize?: number;
  /** @default one month */
  readonly logRetention?: RetentionDays;
  /** Powertools log level. @default - the settings table's `LOG_LEVEL` default, 'INFO' */
  readonly logLevel?: string;
  /** @default Lambda's default, which stops a function that re-triggers itself */
  readonly recursiveLoop?: RecursiveLoop;
}

/**
 * A product function: `NodejsFunction` bundled by {@link nodejsBundling}, Node 24 on arm64,
 * an explicit log group with retention, and a role that can write only to that log group
 * (instead of the `AWSLambdaBasicExecutionRole` managed policy, which allows any log group).
 * Everything else it may do is granted by the stack with `grant*`.
 */
export class IvrFunction extends Construct implements IGrantable {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: IvrFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.logGroup.grantWrite(role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(projectRoot, props.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      recursiveLoop: props.recursiveLoop,
      bundling: nodejsBundling,
      environment: {
        POWERTOOLS_SERVICE_NAME: metricsService,
        LOG_LEVEL: props.logLevel ?? settingsTable.LOG_LEVEL.default,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
  }

  get grantPrincipal(): IPrincipal {
    return this.fn.grantPrincipal;
  }
}
