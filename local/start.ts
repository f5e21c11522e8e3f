import { type Config, ConfigError, loadConfig } from '../lib/config.js';
import { readSettings } from '../lib/settings/table.js';
import { localEnvironment } from './env.js';
import { describePoint, metricPoints } from './metric-lines.js';
import { startLocalStack } from './stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const { env, mapped } = localEnvironment();
if (mapped.length > 0) console.log(`Using the workshop's names: ${mapped.join(', ')}`);

// Check the settings before starting anything, with the same parser the functions use.
function refuse(problems: readonly string[]): never {
  console.error(`${new ConfigError(problems).message}\n\nSet these in the environment or in a .env file (see README.md), or run \`npm run demo\` to try it without accounts.`);
  process.exit(2);
}
const local = readSettings('local', env);
let config: Config;
try {
  config = loadConfig({ ...env, TABLE_NAME: 'local', POLL_QUEUE_URL: 'http://127.0.0.1/queue' });
} catch (error) {
  if (error instanceof ConfigError) refuse([...error.problems, ...local.problems]);
  throw error;
}
if (local.problems.length > 0) refuse(local.problems);
const stack = await startLocalStack({
  env,
  port: local.values.PORT,
  ...(local.values.DYNAMODB_PORT === undefined ? {} : { dynamoPort: local.values.DYNAMODB_PORT }),
  // In AWS these lines go to CloudWatch Logs, which makes them metrics; here, one readable line each.
  onMetric: (line) => {
    for (const point of metricPoints(line)) console.log(`metric: ${describePoint(point)}`);
  },
});
const scoredBy =
  config.scorer === 'comprehend'
    ? `by Comprehend (${stack.comprehend ? 'the stand-in' : 'the endpoint'} at ${stack.comprehendEndpoint}), the local scorer when it fails`
    : 'locally';
const source =
  config.sentimentSource === 'symbl'
    ? `symbl (${config.symbl?.baseUrl})`
    : `telnyx transcription of the customer's leg, scored ${scoredBy}${env.SENTIMENT_SOURCE ? '' : ' (no Symbl credentials set)'}`;
console.log(`sentiment-ivr is running.
  webhook:        POST ${stack.webhookUrl}
  live view:      ${stack.pageUrl} (this machine: no sign-in), its API at ${stack.pageUrl}calls
  DynamoDB Local: ${stack.dynamoEndpoint} (table ${stack.tableName}; replay: npm run replay -- --policy FILE --endpoint ${stack.dynamoEndpoint})
  poll queue:     ${stack.queueUrl}
  Telnyx API:     ${env.TELNYX_BASE_URL ?? 'https://api.telnyx.com/v2'}
  sentiment:      ${source}
Press Ctrl+C to stop.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('Stopping...');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
