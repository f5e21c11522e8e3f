import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll } from 'vitest';
import { projectRoot } from '../../infra/bundling.js';
import { SentimentIvrStack, type SentimentIvrStackProps } from '../../infra/sentiment-ivr-stack.js';

/** The context `cdk synth` runs with (feature flags from cdk.json), so tests see the same template. */
export const cdkJsonContext: Record<string, unknown> = (
  JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

/** Settings a real deployment could have. */
export const testProps: SentimentIvrStackProps = {
  telnyxConnectionId: '1234567890',
  telnyxPublicKey: Buffer.alloc(32, 7).toString('base64'),
  conferenceNumber: '+14155550100',
  transferNumbers: ['+14155550111', '+14155550112'],
  symblAppId: 'symbl-app',
  symblNumbers: ['+14155550199'],
};

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory removed after the test file. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sentiment-ivr-${prefix}-`));
  scratchDirs.push(dir);
  return dir;
}

export interface SynthOptions {
  /** Run esbuild for the functions (slow); by default no stack is bundled. */
  readonly bundle?: boolean;
}

/** A fresh app with the stack in it; bundling is skipped through `aws:cdk:bundling-stacks`. */
export function buildStack(overrides: Partial<SentimentIvrStackProps> = {}, options: SynthOptions = {}) {
  const app = new App({
    outdir: scratchDir('cdk'),
    context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': options.bundle ? ['**'] : [] },
  });
  const stack = new SentimentIvrStack(app, 'SentimentIvr', { ...testProps, ...overrides });
  return { app, stack };
}

export function synthTemplate(overrides: Partial<SentimentIvrStackProps> = {}) {
  const { stack } = buildStack(overrides);
  return { stack, template: Template.fromStack(stack) };
}

/** The logical id a construct's CloudFormation resource has in the template. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnResource);
}
