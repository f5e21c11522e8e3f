import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Session, TimelineEntry, TimelineKind } from '../core/model.js';
import { maxTimelineEntries } from '../core/call-flow.js';
import { unpackRecord } from './record-codec.js';
import { sortableMs, statusIndex, timelineKey } from './session-store.js';

/** Where a page of the status index ended: its last key (DynamoDB's LastEvaluatedKey for the index). */
export interface IndexPosition {
  readonly pk: string;
  readonly gsi1pk: string;
  readonly gsi1sk: string;
}

/** The read side of call sessions, for the supervisors' call record API. Nothing here scans. */
export interface CallRecords {
  /**
   * Calls of one status, newest first, from the status index, each read whole; `range` keeps
   * those inside it (ended calls by when they ended, live ones by when they started).
   */
  listCalls(
    status: 'live' | 'ended',
    limit: number,
    after: IndexPosition | undefined,
    range?: TimeRange,
  ): Promise<{ sessions: Session[]; next: IndexPosition | undefined }>;
  /** One call and its timeline, or undefined when there is no such call. */
  getCall(sessionId: string): Promise<{ session: Session; timeline: TimelineEntry[] } | undefined>;
  /** A call's timeline, in order. */
  timelineOf(session: Session): Promise<TimelineEntry[]>;
}

/** Milliseconds since the epoch, both ends included; either may be open. */
export interface TimeRange {
  readonly sinceMs?: number;
  readonly untilMs?: number;
}

export interface CallRecordsOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** BatchGetItem takes at most 100 keys. */
const batchGetSize = 100;

export async function createCallRecords(options: CallRecordsOptions): Promise<CallRecords> {
  const { BatchGetCommand, GetCommand, QueryCommand } = await import('@aws-sdk/lib-dynamodb');
  const { client, tableName } = options;

  /** Items by key, in the keys' order, missing ones left out; what DynamoDB leaves unprocessed is asked again. */
  async function getMany(keys: readonly string[]): Promise<Record<string, unknown>[]> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < keys.length; i += batchGetSize) {
      let pending: { pk: string }[] = keys.slice(i, i + batchGetSize).map((pk) => ({ pk }));
      for (let round = 0; pending.length > 0 && round < 5; round++) {
        const out = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of out.Responses?.[tableName] ?? []) found.set(item.pk as string, item);
        pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as { pk: string }[];
      }
    }
    return keys.flatMap((key) => (found.has(key) ? [found.get(key)!] : []));
  }

  const entryOf = (item: Record<string, unknown>): TimelineEntry => ({
    index: item.index as number,
    atMs: item.atMs as number,
    kind: item.entryKind as TimelineKind,
    text: item.text as string,
    ...(typeof item.score === 'number' ? { score: item.score } : {}),
  });

  async function timelineOf(session: Session): Promise<TimelineEntry[]> {
    const count = Math.min(session.timelineCount ?? 0, maxTimelineEntries);
    const keys = Array.from({ length: count }, (_, index) => timelineKey(session.id, index));
    return (await getMany(keys)).map(entryOf);
  }

  return {
    async listCalls(status, limit, after, range) {
      // Sort keys are `<15-digit ms>#<session id>`: '#' sorts below every digit, '~' above.
      const bounded = range?.sinceMs !== undefined || range?.untilMs !== undefined;
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: statusIndex.name,
          KeyConditionExpression: bounded ? '#pk = :status AND #sk BETWEEN :from AND :to' : '#pk = :status',
          ExpressionAttributeNames: { '#pk': statusIndex.partitionKey, ...(bounded ? { '#sk': statusIndex.sortKey } : {}) },
          ExpressionAttributeValues: {
            ':status': status,
            ...(bounded ? { ':from': `${sortableMs(range?.sinceMs ?? 0)}#`, ':to': `${sortableMs(range?.untilMs ?? 999_999_999_999_999)}#~` } : {}),
          },
          ScanIndexForward: false,
          Limit: limit,
          ...(after ? { ExclusiveStartKey: { ...after } } : {}),
        }),
      );
      const items = await getMany((out.Items ?? []).map((item) => item.pk as string));
      // The index is eventually consistent: a call that just changed status may still be listed under the old one.
      const sessions = items.map((item) => unpackRecord(item).session).filter((session) => (session.status === 'ended') === (status === 'ended'));
      const last = out.LastEvaluatedKey;
      return { sessions, next: last ? { pk: last.pk as string, gsi1pk: last.gsi1pk as string, gsi1sk: last.gsi1sk as string } : undefined };
    },

    async getCall(sessionId) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: `S#${sessionId}` }, ConsistentRead: true }));
      if (!out.Item) return undefined;
      const { session } = unpackRecord(out.Item);
      return { session, timeline: await timelineOf(session) };
    },

    timelineOf,
  };
}
