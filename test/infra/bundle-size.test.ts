import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AssetStaging } from 'aws-cdk-lib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { build } from 'esbuild';
import { bundleBudgetBytes, bundleFunction, esbuildOptions, functionBundling, nodejsBundling } from '../../infra/bundling.js';
import { buildStack, scratchDir } from './stack-fixture.js';

const functionNames = ['webhook', 'poller', 'calls-api'] as const;

/** Where a bundle's bytes come from, by package (or by file for our own code), largest first. */
async function largestParts(entry: string): Promise<string> {
  const outfile = join(scratchDir('analyze'), 'index.mjs');
  const { metafile } = await build({ ...esbuildOptions(entry, outfile), metafile: true, logLevel: 'silent' });
  const bytesByPart = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(Object.values(metafile.outputs).find((output) => output.entryPoint)?.inputs ?? {})) {
    const part = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input;
    bytesByPart.set(part, (bytesByPart.get(part) ?? 0) + bytesInOutput);
  }
  return [...bytesByPart]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([part, bytes]) => `${part} ${(bytes / 1024).toFixed(0)} KB`)
    .join(', ');
}

describe.each(functionNames)('%s bundle', (name) => {
  it(`builds as minified ESM with a source map, the AWS SDK left to the runtime, within ${bundleBudgetBytes / 1024} KB`, async () => {
    const { bytes, outfile } = await bundleFunction(`functions/${name}/handler.ts`);
    onTestFinished(() => rmSync(dirname(outfile), { recursive: true, force: true }));
    console.info(`${name} bundle: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KB of ${bundleBudgetBytes / 1024} KB)`);

    const code = readFileSync(outfile, 'utf8');
    expect(code.startsWith(functionBundling.banner)).toBe(true);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(existsSync(`${outfile}.map`)).toBe(true);
    // The runtime's AWS SDK is imported lazily (on the first event), never bundled.
    expect(code).toMatch(/import\(["']@aws-sdk\/client-dynamodb["']\)/);
    expect(code).not.toMatch(/class DynamoDBClient\b/);
    // Nothing heavy runs at start-up: the Telnyx SDK and the AWS clients load with the first event.
    expect(code).not.toMatch(/^import[^;]*["']@aws-sdk\//m);
    const overBudget = bytes > bundleBudgetBytes ? `; largest parts: ${await largestParts(`functions/${name}/handler.ts`)}` : '';
    expect(bytes, `${name} bundle${overBudget}`).toBeLessThanOrEqual(bundleBudgetBytes);
  });
});

describe('bundling', () => {
  it('gives the stack the same options that the size check uses', () => {
    expect(nodejsBundling).toMatchObject({
      format: 'esm',
      target: functionBundling.target,
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      banner: functionBundling.banner,
      bundleAwsSDK: false,
      externalModules: ['@aws-sdk/*'],
    });
  });

  it('deploys byte for byte the bundles that the size check measures', async () => {
    const { stack } = buildStack({}, { bundle: true });
    for (const [name, fn] of [['webhook', stack.webhook.fn], ['poller', stack.poller.fn], ['calls-api', stack.liveView.calls.fn]] as const) {
      const staging = fn.node.findChild('Code').node.findChild('Stage') as AssetStaging;
      const deployed = readFileSync(join(staging.absoluteStagedPath, 'index.mjs'));
      const { outfile } = await bundleFunction(`functions/${name}/handler.ts`);
      onTestFinished(() => rmSync(dirname(outfile), { recursive: true, force: true }));
      const measured = readFileSync(outfile);
      expect(deployed.equals(measured), `${name} bundles differ`).toBe(true);
    }
  });
});
