import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createTable, localAwsSettings, startDynamoLocal, startQueue, type LocalQueue, type RunningServer } from './servers.js';

export interface LocalAws {
  readonly dynamo: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly queue: LocalQueue;
  readonly dynamoEndpoint: string;
  /** A fresh table per call, so tests in one file do not see each other's items. */
  newTable(): Promise<string>;
  stop(): Promise<void>;
}

/** DynamoDB Local and the SQS emulator on random ports, for one test file. */
export async function startLocalAws(): Promise<LocalAws> {
  const [dynamoServer, queue] = await Promise.all([startDynamoLocal(), startQueue({ visibilityTimeoutSeconds: 2, name: `q-${randomUUID().slice(0, 8)}` })]);
  const dynamo = new DynamoDBClient({ ...localAwsSettings, endpoint: dynamoServer.endpoint });
  const sqs = new SQSClient({ ...localAwsSettings, endpoint: queue.endpoint });
  const servers: RunningServer[] = [dynamoServer, queue];
  return {
    dynamo,
    documents: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    sqs,
    queue,
    dynamoEndpoint: dynamoServer.endpoint,
    async newTable() {
      const name = `sessions-${randomUUID().slice(0, 8)}`;
      await createTable(dynamoServer.endpoint, name);
      return name;
    },
    async stop() {
      dynamo.destroy();
      sqs.destroy();
      await Promise.allSettled(servers.map((s) => s.stop()));
    },
  };
}
