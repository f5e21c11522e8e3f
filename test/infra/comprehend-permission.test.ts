import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildStack, logicalId } from './stack-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON; the assertions check its shape
type CfnJson = any;
type Resource = { Type: string; Properties: Record<string, CfnJson> };

function synth(sentimentScorer: 'local' | 'comprehend' | undefined) {
  const { app, stack } = buildStack(sentimentScorer === undefined ? {} : { sentimentScorer });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const roleOf = (fn: string): string => resources[fn]!.Properties.Role['Fn::GetAtt'][0] as string;
  /** Every IAM statement on a function's role, whichever policy holds it. */
  const statementsOf = (fn: string) =>
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleOf(fn)))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
  const functions = { webhook: logicalId(stack.webhook.fn), poller: logicalId(stack.poller.fn), callsApi: logicalId(stack.liveView.calls.fn) };
  return { app, stack, resources, statementsOf, functions };
}

const comprehendStatements = (statements: Array<{ Action: string | string[] }>) => statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('comprehend:')));

describe('the webhook’s permission to call Comprehend', () => {
  it('with SENTIMENT_SCORER=comprehend: DetectSentiment on *, for the webhook only', () => {
    const { resources, statementsOf, functions } = synth('comprehend');
    expect(comprehendStatements(statementsOf(functions.webhook))).toEqual([{ Action: 'comprehend:DetectSentiment', Effect: 'Allow', Resource: '*' }]);
    expect(comprehendStatements(statementsOf(functions.poller))).toEqual([]);
    expect(comprehendStatements(statementsOf(functions.callsApi))).toEqual([]);
    expect(resources[functions.webhook]!.Properties.Environment.Variables.SENTIMENT_SCORER).toBe('comprehend');
  });

  it.each([['local'], [undefined]] as const)('with SENTIMENT_SCORER=%s: no Comprehend permission anywhere', (scorer) => {
    const { resources, stack } = synth(scorer);
    expect(JSON.stringify(resources)).not.toContain('comprehend:');
    expect(stack.comprehendPolicy).toBeUndefined();
  });

  it('passes cdk-nag, the * acknowledged on that policy alone, with its reason', () => {
    const { app, stack } = synth('comprehend');
    expect(new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack).violations).toEqual([]);
    const acknowledged = stack.comprehendPolicy!.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    const rules = Object.assign({}, ...acknowledged.map((entry) => entry.data as Record<string, string>)) as Record<string, string>;
    expect(Object.keys(rules)).toEqual([expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/)]);
    expect(Object.values(rules)[0]).toMatch(/no resource-level permissions/);
    // The webhook's own policy acknowledges nothing: a * there would still be reported.
    const defaultPolicy = stack.webhook.fn.role!.node.findChild('DefaultPolicy');
    expect(defaultPolicy.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)).toEqual([]);
  });

  it('does report the same statement where nothing acknowledges it (the check is live)', () => {
    const { app, stack } = synth('comprehend');
    new Policy(stack, 'Unacknowledged', { statements: [new PolicyStatement({ actions: ['comprehend:DetectSentiment'], resources: ['*'] })] }).attachToRole(stack.poller.fn.role!);
    const findings = new AwsSolutionsChecks(app).validateScope(stack).violations.map((v) => v.ruleName);
    expect(findings).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  });
});
