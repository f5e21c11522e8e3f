import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildStack } from './stack-fixture.js';

interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{ readonly pluginName: string; readonly violations: ReadonlyArray<{ ruleName: string; severity: string }> }>;
}

/** Every acknowledgment recorded in the tree: construct path → rule id → reason. */
function acknowledgments(root: IConstruct): Record<string, Record<string, string>> {
  const found: Record<string, Record<string, string>> = {};
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        found[construct.node.path] = { ...found[construct.node.path], ...(entry.data as Record<string, string>) };
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error or warning when synthesized', () => {
    const { app, stack } = buildStack();
    const pack = new AwsSolutionsChecks(app, { verbose: true });
    expect(pack.validateScope(stack).violations).toEqual([]);

    Validations.of(app).addPlugins(pack);
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  });

  it('acknowledges only the findings that are right for this product, each with its reason', () => {
    const { stack } = buildStack();
    const acknowledged = acknowledgments(stack);
    const rules = (...ids: string[]) => ids.map((id) => `Annotation::AwsSolutions-${id}`);
    expect(Object.fromEntries(Object.entries(acknowledged).map(([path, found]) => [path, Object.keys(found)]))).toEqual({
      'SentimentIvr/WebhookApi/POST--webhook': [expect.stringMatching(/AwsSolutions-APIG4$/)],
      'SentimentIvr/AppSecret': [expect.stringMatching(/AwsSolutions-SMG4$/)],
      // The live view: what a paid plan, a custom domain or a WAF would add, and CDK's own page copier.
      'SentimentIvr/LiveView/Supervisors': rules('COG3', 'COG8', 'COG2'),
      'SentimentIvr/LiveView/Page': rules('S1'),
      'SentimentIvr/LiveView/Distribution': rules('CFR1', 'CFR2', 'CFR3', 'CFR4'),
      [Object.keys(acknowledged).find((path) => path.startsWith('SentimentIvr/Custom::CDKBucketDeployment'))!]: rules(
        'L1',
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'IAM5[Resource::*]',
        'IAM5[Resource::<LiveViewPage902DBA5D.Arn>/*]',
        'IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        'IAM5[Action::s3:Abort*]',
        'IAM5[Action::s3:DeleteObject*]',
        'IAM5[Action::s3:GetBucket*]',
        'IAM5[Action::s3:GetObject*]',
        'IAM5[Action::s3:List*]',
      ),
    });
    for (const reason of Object.values(acknowledged).flatMap((rules) => Object.values(rules))) {
      expect(reason.length).toBeGreaterThan(60);
    }
  });

  it('has nothing to acknowledge on a secret the stack does not own', () => {
    const { stack } = buildStack({ appSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sentiment-ivr-AbCdEf' });
    expect(Object.keys(acknowledgments(stack)).filter((path) => !path.includes('LiveView') && !path.includes('BucketDeployment'))).toEqual(['SentimentIvr/WebhookApi/POST--webhook']);
  });

  it('does report a finding this stack avoids (the check is live)', () => {
    const { app, stack } = buildStack();
    new Queue(stack, 'BareQueue');
    const rules = new AwsSolutionsChecks(app).validateScope(stack).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
