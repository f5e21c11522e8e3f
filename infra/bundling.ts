import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type BuildOptions } from 'esbuild';

/** The repository root: esbuild runs here, and relative paths below are relative to it. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Some dependencies are CommonJS and call `require` at run time; an ESM bundle has no
 * `require`, so the bundle starts by making one. Importing `createRequire` under a name of
 * our own keeps it from colliding with a bundled module's identifiers.
 */
const requireBanner =
  "import { createRequire as __ivrCreateRequire } from 'node:module'; const require = __ivrCreateRequire(import.meta.url);";

/**
 * How every function is bundled: the one definition that both the stack (through
 * {@link nodejsBundling}) and tests and benchmarks (through {@link esbuildOptions}) use,
 * so a bundle measured here is the bundle that is deployed.
 */
export const functionBundling = {
  /** The oldest Node the bundle must run on (the functions run on nodejs24.x). */
  target: 'node22',
  platform: 'node',
  /** ESM so esbuild can drop what a function never imports; Lambda loads `.mjs` as ESM. */
  format: 'esm',
  outExtension: '.mjs',
  minify: true,
  /** Stack traces map back to TypeScript with `NODE_OPTIONS=--enable-source-maps`. */
  sourcemap: true,
  /** Line mappings are enough for stack traces; embedding sources would triple the `.map`. */
  sourcesContent: false,
  /** Prefer packages' ESM builds, which tree-shake. */
  mainFields: ['module', 'main'],
  banner: requireBanner,
  treeShaking: true,
  /**
   * The AWS SDK v3 comes with the Lambda runtime: bundling our own copy would add about
   * 215 KB to each function (and the 400 KB budget has room for only one large client, the
   * Telnyx SDK). The functions load it on their first event, not at start-up.
   */
  external: ['@aws-sdk/*'] as readonly string[],
} as const;

/** Bundle size budget for one function, minified, not counting its source map. */
export const bundleBudgetBytes = 400 * 1024;

/** {@link functionBundling} as esbuild JS API options for one entry point. */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: functionBundling.platform,
    target: functionBundling.target,
    format: functionBundling.format,
    minify: functionBundling.minify,
    sourcemap: functionBundling.sourcemap,
    sourcesContent: functionBundling.sourcesContent,
    mainFields: [...functionBundling.mainFields],
    banner: { js: functionBundling.banner },
    treeShaking: functionBundling.treeShaking,
    external: [...functionBundling.external],
    absWorkingDir: projectRoot,
    logLevel: 'warning',
  };
}

/** {@link functionBundling} as `NodejsFunction` bundling props (the CDK runs esbuild's CLI). */
export const nodejsBundling: BundlingOptions = {
  target: functionBundling.target,
  format: OutputFormat.ESM,
  minify: functionBundling.minify,
  sourceMap: functionBundling.sourcemap,
  sourcesContent: functionBundling.sourcesContent,
  mainFields: [...functionBundling.mainFields],
  banner: functionBundling.banner,
  bundleAwsSDK: false,
  externalModules: [...functionBundling.external],
  esbuildArgs: {
    '--tree-shaking': String(functionBundling.treeShaking),
  },
};

/** What {@link bundleFunction} produced. */
export interface FunctionBundle {
  /** Size of the minified `.mjs`, without its source map. */
  readonly bytes: number;
  /** Where the bundle was written (a fresh directory under the OS temp dir; the caller may delete it). */
  readonly outfile: string;
}

/**
 * Bundles one function entry (relative to the repository root, or absolute) exactly as it is
 * deployed and reports its size: the size test and `npm run bench` use this.
 */
export async function bundleFunction(entry: string): Promise<FunctionBundle> {
  const outdir = await mkdtemp(join(tmpdir(), `sentiment-ivr-${basename(dirname(entry))}-`));
  // The name the CDK gives it too, so both builds are byte for byte the same.
  const outfile = join(outdir, `index${functionBundling.outExtension}`);
  await build(esbuildOptions(entry, outfile));
  const { size } = await stat(outfile);
  return { bytes: size, outfile };
}
