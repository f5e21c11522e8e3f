import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PolicySettings, Session } from '../lib/core/model.js';
import { replayCallOf, replayCalls, type ReplayCall, type ReplayReport } from '../lib/core/policy-replay.js';
import { createCallRecords, type IndexPosition, type TimeRange } from '../lib/store/call-records.js';

export interface ReplaySource {
  /** A client for the table's account and region (or DynamoDB Local's endpoint). */
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  /** Says where, in an error: the endpoint or the region. */
  readonly where: string;
}

export interface ReplayOptions {
  readonly source: ReplaySource;
  readonly live: PolicySettings;
  readonly candidate: PolicySettings;
  readonly range?: TimeRange;
}

export interface ReplayRun {
  readonly report: ReplayReport;
  readonly calls: readonly ReplayCall[];
  /** Calls still live: not replayed (their story is not over). */
  readonly liveLeftOut: number;
}

export class ReplaySourceError extends Error {}

/** Index pages read at a time, and calls whose timelines are read at once. */
const pageSize = 100;
const timelineReads = 8;

/** Every ended call in the range, with its timeline. Read-only: Query on the status index, BatchGetItem and GetItem on the table. */
export async function readStoredCalls(source: ReplaySource, range?: TimeRange): Promise<{ calls: ReplayCall[]; liveLeftOut: number }> {
  try {
    await source.dynamo.send(new DescribeTableCommand({ TableName: source.tableName }));
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'ResourceNotFoundException') throw new ReplaySourceError(`There is no table ${source.tableName} (${source.where}). Is the name right, and the region?`);
    throw new ReplaySourceError(`Cannot read table ${source.tableName} (${source.where}): ${error instanceof Error ? error.message : String(error)}`);
  }
  const records = await createCallRecords({ client: DynamoDBDocumentClient.from(source.dynamo), tableName: source.tableName });
  const sessions: Session[] = [];
  let after: IndexPosition | undefined;
  do {
    const page = await records.listCalls('ended', pageSize, after, range);
    sessions.push(...page.sessions);
    after = page.next;
  } while (after);
  let liveLeftOut = 0;
  let liveAfter: IndexPosition | undefined;
  do {
    const page = await records.listCalls('live', pageSize, liveAfter, range);
    liveLeftOut += page.sessions.length;
    liveAfter = page.next;
  } while (liveAfter);
  // Oldest first: the report reads like the day went.
  sessions.sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1));
  const calls: ReplayCall[] = new Array(sessions.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: timelineReads }, async () => {
      for (let i = next++; i < sessions.length; i = next++) calls[i] = replayCallOf(sessions[i]!, await records.timelineOf(sessions[i]!));
    }),
  );
  return { calls, liveLeftOut };
}

/** Reads the stored calls and replays them under the candidate. */
export async function runReplay(options: ReplayOptions): Promise<ReplayRun> {
  const { calls, liveLeftOut } = await readStoredCalls(options.source, options.range);
  return { report: replayCalls(calls, options.live, options.candidate), calls, liveLeftOut };
}

/** A client for a deployed table (the user's AWS credentials and region) or for DynamoDB Local. */
export function replaySource(target: { table: string; endpoint?: string }): ReplaySource {
  if (target.endpoint) {
    const dynamo = new DynamoDBClient({ endpoint: target.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    return { dynamo, tableName: target.table, where: `DynamoDB Local at ${target.endpoint}` };
  }
  const dynamo = new DynamoDBClient({});
  return { dynamo, tableName: target.table, where: `region ${process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'from your AWS profile'}` };
}
