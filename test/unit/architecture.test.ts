/**
 * The layout rules, read off the source: every decision in lib/core (which depends on nothing
 * else), lib/app only doing I/O in order, Lambda types in functions/, and bench and tests kept
 * apart. A rule broken here is a decision leaking into the wrong place.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../infra/bundling.js';

function sourceFiles(folder: string): string[] {
  const root = join(projectRoot, folder);
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(root, name));
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)) found.push(match[1]!);
  for (const match of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]!);
  return found;
}

const rel = (file: string) => relative(projectRoot, file);

describe('the layout', () => {
  it('lib/core imports only lib/core and node builtins', () => {
    const core = join(projectRoot, 'lib/core');
    const outside: string[] = [];
    for (const file of sourceFiles('lib/core')) {
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('node:')) continue;
        const target = specifier.startsWith('.') ? resolve(dirname(file), specifier) : undefined;
        if (target === undefined || !target.startsWith(`${core}/`)) outside.push(`${rel(file)} imports ${specifier}`);
      }
    }
    expect(sourceFiles('lib/core').length).toBeGreaterThan(5);
    expect(outside).toEqual([]);
  });

  it('lib/app has no switch on Telnyx event types and builds no command', () => {
    const model = readFileSync(join(projectRoot, 'lib/core/model.ts'), 'utf8');
    const union = model.slice(model.indexOf('export type Command ='), model.indexOf('export type CommandKind'));
    const commandKinds = [...union.matchAll(/kind: '(\w+)'/g)].map((m) => m[1]!);
    expect(commandKinds).toContain('dialOperator');
    const problems: string[] = [];
    for (const file of sourceFiles('lib/app')) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/case\s+'((?:call|conference)\.[\w.]+)'/g)) problems.push(`${rel(file)} switches on ${match[1]}`);
      for (const match of text.matchAll(/kind:\s*'(\w+)'/g)) {
        if (commandKinds.includes(match[1]!)) problems.push(`${rel(file)} builds a ${match[1]} command`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('Lambda event types stay in functions/', () => {
    const leaks = sourceFiles('lib').flatMap((file) => importsOf(file).filter((s) => s === 'aws-lambda').map((s) => `${rel(file)} imports ${s}`));
    expect(leaks).toEqual([]);
  });

  it('each function builds only its own use case', () => {
    const webhook = readFileSync(join(projectRoot, 'functions/webhook/handler.ts'), 'utf8');
    const poller = readFileSync(join(projectRoot, 'functions/poller/handler.ts'), 'utf8');
    expect(webhook).toMatch(/createWebhookRuntime/);
    expect(webhook).not.toMatch(/createPollerRuntime|createRuntime\b/);
    expect(poller).toMatch(/createPollerRuntime/);
    expect(poller).not.toMatch(/createWebhookRuntime|createRuntime\b/);
  });

  it('bench/ and test/ do not import each other', () => {
    const crossing = [
      ...sourceFiles('bench').flatMap((file) => importsOf(file).filter((s) => resolve(dirname(file), s).startsWith(join(projectRoot, 'test'))).map((s) => `${rel(file)} imports ${s}`)),
      ...sourceFiles('test').flatMap((file) => importsOf(file).filter((s) => resolve(dirname(file), s).startsWith(join(projectRoot, 'bench'))).map((s) => `${rel(file)} imports ${s}`)),
    ];
    expect(crossing).toEqual([]);
  });
});
