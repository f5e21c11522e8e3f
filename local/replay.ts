import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadPolicies } from '../lib/config.js';
import type { PolicySettings } from '../lib/core/model.js';
import { parsePolicyJson } from '../lib/settings/policy-file.js';
import { localEnvironment } from './env.js';
import { replayHtml, replayText } from './replay-report.js';
import { replaySource, ReplaySourceError, runReplay } from './replay-run.js';

/**
 * `npm run replay -- --policy candidate.json [--since T] [--until T] [--table NAME | --endpoint URL] [--html report.html]`:
 * every ended call stored in the table, judged again under a candidate policy, compared with
 * what the live policy did. Read-only (README "Tuning" lists the IAM it needs).
 */
const usage = `Usage: npm run replay -- --policy FILE [options]

  --policy FILE    the candidate policy: JSON of policy settings, e.g. {"SENTIMENT_THRESHOLD": -0.6}
  --since TIME     only calls that ended at or after TIME (ISO 8601, e.g. 2026-12-01 or 2026-12-01T09:00Z)
  --until TIME     only calls that ended at or before TIME
  --endpoint URL   DynamoDB Local's endpoint (the local stack's table; npm start prints it) [default with DYNAMODB_PORT set]
  --table NAME     the table: a deployed one (your AWS credentials and region) without --endpoint
                   [default with --endpoint: sentiment-ivr-sessions]
  --live FILE      the live policy as JSON, if the environment's SENTIMENT_* settings are not it
  --html FILE      also write a small HTML report: histograms of each call's lowest score and window mean, the changed calls`;

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      policy: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      table: { type: 'string' },
      endpoint: { type: 'string' },
      live: { type: 'string' },
      html: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  }).values;
}
try {
  args = parse();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}

function time(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) fail(`--${name} ${value} is not a date and time (ISO 8601, e.g. 2026-12-01T09:00Z)`);
  return ms;
}

async function policyFile(path: string, base: PolicySettings, flag: string): Promise<PolicySettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    fail(`--${flag} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = parsePolicyJson(text, base, path);
  if ('problems' in parsed) fail(`The policy in ${path} is not valid:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}`);
  return parsed.policy;
}

if (!args.policy) fail('--policy FILE is required');
const { env } = localEnvironment();
let live: PolicySettings;
try {
  live = loadPolicies(env).policy;
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
if (args.live) live = await policyFile(args.live, live, 'live');
const candidate = await policyFile(args.policy, live, 'policy');
const sinceMs = time('since', args.since);
const untilMs = time('until', args.until);
if (sinceMs !== undefined && untilMs !== undefined && untilMs < sinceMs) fail('--until is before --since');

const endpoint = args.endpoint ?? (args.table === undefined && env.DYNAMODB_PORT ? `http://127.0.0.1:${env.DYNAMODB_PORT}` : undefined);
if (endpoint === undefined && args.table === undefined) {
  fail('Where are the calls? Give --endpoint URL for the local stack (npm start prints its DynamoDB Local endpoint) or --table NAME for a deployed table.');
}
const source = replaySource({ table: args.table ?? 'sentiment-ivr-sessions', ...(endpoint ? { endpoint } : {}) });
const range = sinceMs === undefined && untilMs === undefined ? 'of any time' : `ended ${args.since ? `from ${args.since}` : ''}${args.since && args.until ? ' ' : ''}${args.until ? `to ${args.until}` : ''}`;
try {
  const run = await runReplay({ source, live, candidate, range: { ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}) } });
  const context = { table: source.tableName, where: source.where, policyFile: args.policy, range };
  console.log(replayText(run, context));
  if (args.html) {
    await writeFile(args.html, replayHtml(run, context, live, candidate));
    console.log(`\nReport written to ${args.html}`);
  }
} catch (error) {
  if (error instanceof ReplaySourceError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
} finally {
  source.dynamo.destroy();
}
