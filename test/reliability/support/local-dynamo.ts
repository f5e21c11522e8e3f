import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createTable, localAwsSettings, startDynamoLocal, type RunningServer } from '../../../local/servers.js';

/**
 * One DynamoDB Local for a test file, started before its tests and stopped after them, with a
 * client and fresh tables on demand. Call at the top level of a test file.
 */
export function localDynamo() {
  let server: RunningServer | undefined;
  let client: DynamoDBClient | undefined;
  let tables = 0;
  beforeAll(async () => {
    server = await startDynamoLocal();
    client = new DynamoDBClient({ ...localAwsSettings, endpoint: server.endpoint });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });
  const started = () => {
    if (!server || !client) throw new Error('DynamoDB Local not started yet');
    return { server, client };
  };
  return {
    get endpoint(): string {
      return started().server.endpoint;
    },
    get client(): DynamoDBClient {
      return started().client;
    },
    /** A new, empty table (its own DynamoDB Local, so a counter names it). */
    async newTable(prefix: string): Promise<string> {
      const name = `${prefix}-${++tables}`;
      await createTable(started().server.endpoint, name);
      return name;
    },
  };
}
