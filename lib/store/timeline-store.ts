import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TimelineEntry } from '../core/model.js';
import { timelineKey } from './session-store.js';

/** Each call's timeline entries, one small item each, under keys fixed by their index: a second write of one changes nothing. */
export interface TimelineWriter {
  appendTimeline(sessionId: string, entries: readonly TimelineEntry[]): Promise<void>;
}

export interface TimelineStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
  readonly nowMs: () => number;
}

/** BatchWriteItem takes at most 25 puts. */
const batchSize = 25;
/** Rounds of retrying what DynamoDB left unprocessed (throttling) before the write counts as failed. */
const maxRounds = 5;

export async function createTimelineWriter(options: TimelineStoreOptions): Promise<TimelineWriter> {
  const { BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb');
  const { client, tableName } = options;
  return {
    async appendTimeline(sessionId, entries) {
      const ttl = Math.floor(options.nowMs() / 1000) + options.retentionDays * 86_400;
      for (let i = 0; i < entries.length; i += batchSize) {
        let requests = entries.slice(i, i + batchSize).map((entry) => ({
          PutRequest: { Item: { pk: timelineKey(sessionId, entry.index), kind: 'timeline', sessionId, ...timelineAttributes(entry), ttl } },
        }));
        for (let round = 0; requests.length > 0; round++) {
          if (round >= maxRounds) throw new Error(`Timeline of session ${sessionId}: ${requests.length} entries left unwritten`);
          const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
          requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
        }
      }
    },
  };
}

/** An entry's attributes as stored (its own `kind` stored as `entryKind`: `kind` names the item's kind). */
export function timelineAttributes(entry: TimelineEntry): Record<string, unknown> {
  return { index: entry.index, atMs: entry.atMs, entryKind: entry.kind, text: entry.text, ...(entry.score !== undefined ? { score: entry.score } : {}) };
}
