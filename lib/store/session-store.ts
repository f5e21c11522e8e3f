import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HeardDigit } from '../core/analyzer-code.js';
import type { LegLink, Link, Role, Session, SessionRecord } from '../core/model.js';
import type { PollCursor } from '../core/poll-chain.js';
import { bodyAttribute, packRecord, unpackRecord } from './record-codec.js';

export type CreateOutcome = 'created' | 'exists';
/** A lost conditional write comes back with what is stored now, so the caller need not read it again. */
export type SaveOutcome = { readonly outcome: 'saved' } | { readonly outcome: 'conflict'; readonly current: SessionRecord | undefined };

/** Sessions: every write is conditional. */
export interface SessionRepository {
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /** Creates the session, with its look-up entries, only if its id is free. */
  create(record: SessionRecord, links: readonly Link[]): Promise<CreateOutcome>;
  /** Writes, with any new look-up entries, only if the stored version is still `record.session.version - 1`. */
  save(record: SessionRecord, links: readonly Link[]): Promise<SaveOutcome>;
}

/** Look-ups from a leg or a conference back to its session. */
export interface SessionLookups {
  findByLeg(callControlId: string): Promise<LegLink | undefined>;
  findByConference(conferenceId: string): Promise<string | undefined>;
}

/** One-time claims on a key. */
export interface Claims {
  /** True for the one caller that takes it. */
  claim(key: string): Promise<boolean>;
  /** Whether someone took it already (without taking it). */
  isClaimed(key: string): Promise<boolean>;
}

/** Digits heard on an analyzer leg before it said which session it belongs to. */
export interface AnalyzerDigits {
  /** Adds one digit (a duplicate overwrites itself); returns all digits so far, and the leg's session once it has one. */
  addAnalyzerDigit(callControlId: string, digit: HeardDigit): Promise<{ sessionId: string | undefined; digits: HeardDigit[] }>;
}

/** Callers that turned out to be the analyzer (calling from a number not configured as one), by a one-way key. */
export interface AnalyzerCallers {
  rememberAnalyzerCaller(callerKey: string): Promise<void>;
  isAnalyzerCaller(callerKey: string): Promise<boolean>;
}

/** Each session's poll-chain position: a small item, so a cycle that hears nothing new writes only it. */
export interface PollCursors {
  getPollCursor(sessionId: string): Promise<PollCursor | undefined>;
  /** Moves the chain from `seq` to `seq + 1`, recording the message that did; false when it is not at `seq`. */
  advancePollCursor(sessionId: string, seq: number, messageId: string): Promise<boolean>;
}

/** The one DynamoDB table serves them all; each use case takes only the part it needs. */
export type SessionStore = SessionRepository & SessionLookups & Claims & AnalyzerDigits & AnalyzerCallers & PollCursors;

/** Digits kept per unidentified analyzer leg: a session code and its `#`, and some room for noise. */
export const maxAnalyzerDigits = 24;

export interface DynamoSessionStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
  readonly nowMs: () => number;
}

const sessionKey = (id: string) => `S#${id}`;
const legKey = (callControlId: string) => `L#${callControlId}`;
const conferenceKey = (conferenceId: string) => `C#${conferenceId}`;
const claimKey = (key: string) => `X#${key}`;
const callerItemKey = (callerKey: string) => `N#${callerKey}`;
const cursorKey = (sessionId: string) => `P#${sessionId}`;
const digitPrefix = 'd_';

// Named conditions: what each guarded write requires of the stored item.
const sessionIsNew = 'attribute_not_exists(pk)';
const versionIs = '#version = :expected';
const chainNotStarted = 'attribute_not_exists(pk)';
const chainAt = '#seq = :seq';

function isConditionFailure(error: unknown): boolean {
  const { name, CancellationReasons } = (error ?? {}) as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (name === 'ConditionalCheckFailedException') return true;
  if (name === 'TransactionCanceledException') return (CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
  return false;
}

/**
 * DynamoDB single-table store: sessions under `S#`, look-ups under `L#` (legs) and `C#`
 * (conferences), one-time claims under `X#`, callers known to be the analyzer under `N#`, poll-chain cursors under `P#`. The AWS SDK is loaded here, when the store is
 * built on the first event, not when a function starts.
 */
export async function createDynamoSessionStore(options: DynamoSessionStoreOptions): Promise<SessionStore> {
  const { client, tableName } = options;
  const { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
  const ttl = () => Math.floor(options.nowMs() / 1000) + options.retentionDays * 86_400;

  /** `writeId` marks the write attempt, so a retried write can tell its own landing from another's. */
  const sessionItem = (record: SessionRecord, writeId: string) => ({
    pk: sessionKey(record.session.id),
    kind: 'session',
    version: record.session.version,
    writeId,
    status: record.session.status,
    ...statusIndexKeys(record.session),
    ttl: ttl(),
    [bodyAttribute]: packRecord(record),
  });

  const linkItem = (sessionId: string, link: Link) =>
    link.kind === 'leg'
      ? { pk: legKey(link.callControlId), kind: 'leg', sessionId, role: link.role, ttl: ttl() }
      : { pk: conferenceKey(link.conferenceId), kind: 'conference', sessionId, ttl: ttl() };

  async function write(record: SessionRecord, links: readonly Link[], condition: string, writeId: string, values?: Record<string, unknown>): Promise<boolean> {
    const put = {
      TableName: tableName,
      Item: sessionItem(record, writeId),
      ConditionExpression: condition,
      ...(values ? { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: values } : {}),
    };
    try {
      if (links.length === 0) {
        await client.send(new PutCommand(put));
      } else {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: put }, ...links.map((link) => ({ Put: { TableName: tableName, Item: linkItem(record.session.id, link) } }))],
          }),
        );
      }
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function read(sessionId: string): Promise<{ record: SessionRecord; writeId: unknown } | undefined> {
    const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: sessionKey(sessionId) }, ConsistentRead: true }));
    if (!out.Item) return undefined;
    return { record: unpackRecord(out.Item), writeId: out.Item.writeId };
  }

  const store: SessionStore = {
    async get(sessionId) {
      return (await read(sessionId))?.record;
    },

    async create(record, links) {
      return (await write(record, links, sessionIsNew, randomUUID())) ? 'created' : 'exists';
    },

    async save(record, links) {
      const writeId = randomUUID();
      if (await write(record, links, versionIs, writeId, { ':expected': record.session.version - 1 })) return { outcome: 'saved' };
      // The SDK retries a request whose answer was lost; the retry then fails its own condition.
      // The write landed if the stored item carries this attempt's mark: a concurrent writer that
      // applied the same event from the same version stores the same state, but not our mark.
      const current = await read(record.session.id);
      return current?.writeId === writeId ? { outcome: 'saved' } : { outcome: 'conflict', current: current?.record };
    },

    async findByLeg(callControlId) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: legKey(callControlId) }, ConsistentRead: true }));
      if (!out.Item) return undefined;
      return { sessionId: out.Item.sessionId as string | undefined, role: out.Item.role as Role | undefined };
    },

    async findByConference(conferenceId) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: conferenceKey(conferenceId) }, ConsistentRead: true }));
      return out.Item?.sessionId as string | undefined;
    },

    async claim(key) {
      try {
        await client.send(
          new PutCommand({ TableName: tableName, Item: { pk: claimKey(key), kind: 'claim', ttl: ttl() }, ConditionExpression: sessionIsNew }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async isClaimed(key) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: claimKey(key) }, ProjectionExpression: 'pk', ConsistentRead: true }));
      return out.Item !== undefined;
    },

    async addAnalyzerDigit(callControlId, digit) {
      // One attribute per webhook, so a duplicate is recognised without a read; a count bounds the item.
      const name = `${digitPrefix}${digit.eventId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120)}`;
      const digitsOf = (item: Record<string, unknown>) => ({
        sessionId: item.sessionId as string | undefined,
        digits: Object.entries(item)
          .filter(([key]) => key.startsWith(digitPrefix))
          .map(([, value]) => value as HeardDigit),
      });
      try {
        const out = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: legKey(callControlId) },
            UpdateExpression: 'SET #digit = :digit, #kind = if_not_exists(#kind, :kind), #role = if_not_exists(#role, :role), #ttl = :ttl ADD #count :one',
            ConditionExpression: 'attribute_not_exists(#digit) AND (attribute_not_exists(#count) OR #count < :max)',
            ExpressionAttributeNames: { '#digit': name, '#kind': 'kind', '#role': 'role', '#ttl': 'ttl', '#count': 'digitCount' },
            ExpressionAttributeValues: {
              ':digit': { digit: digit.digit, atMs: digit.atMs, eventId: digit.eventId },
              ':kind': 'leg',
              ':role': 'analyzer',
              ':ttl': ttl(),
              ':one': 1,
              ':max': maxAnalyzerDigits,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return digitsOf(out.Attributes ?? {});
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // A duplicate, or a leg past the bound: what is stored answers.
        const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: legKey(callControlId) }, ConsistentRead: true }));
        return digitsOf(out.Item ?? {});
      }
    },

    async rememberAnalyzerCaller(callerKey) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: callerItemKey(callerKey), kind: 'analyzer-caller', ttl: ttl() } }));
    },

    async getPollCursor(sessionId) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: cursorKey(sessionId) }, ConsistentRead: true }));
      return out.Item ? { seq: out.Item.seq as number, ...(typeof out.Item.advancedBy === 'string' ? { advancedBy: out.Item.advancedBy } : {}) } : undefined;
    },

    async advancePollCursor(sessionId, seq, messageId) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: cursorKey(sessionId), kind: 'poll-cursor', seq: seq + 1, advancedBy: messageId, ttl: ttl() },
            // A chain starts with no cursor at all.
            ConditionExpression: seq === 0 ? chainNotStarted : chainAt,
            ...(seq === 0 ? {} : { ExpressionAttributeNames: { '#seq': 'seq' }, ExpressionAttributeValues: { ':seq': seq } }),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async isAnalyzerCaller(callerKey) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: callerItemKey(callerKey) } }));
      return out.Item !== undefined;
    },
  };
  return store;
}

/**
 * The sparse index of calls by status (only session items carry its keys): `live` calls by when
 * they started, `ended` ones by when they ended, newest first when read backwards. Keys only, so
 * a session write that changes neither its status nor its times writes nothing to it.
 */
export const statusIndex = { name: 'byStatus', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const;

/** Milliseconds as a fixed-width key part, so keys sort as times do. */
/** Milliseconds as the status index's sort keys begin: fixed width, so they sort as numbers. */
export const sortableMs = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(15, '0');

/** A session's place in the status index. */
export function statusIndexKeys(session: Session): { gsi1pk: 'live' | 'ended'; gsi1sk: string } {
  return session.status === 'ended'
    ? { gsi1pk: 'ended', gsi1sk: `${sortableMs(session.endedAtMs ?? session.updatedAtMs)}#${session.id}` }
    : { gsi1pk: 'live', gsi1sk: `${sortableMs(session.createdAtMs)}#${session.id}` };
}

/** The table's shape, for local set-up and tests (the CDK stack declares the same from these names). */
export const tableDefinition = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: statusIndex.partitionKey, AttributeType: 'S' as const },
    { AttributeName: statusIndex.sortKey, AttributeType: 'S' as const },
  ],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  GlobalSecondaryIndexes: [
    {
      IndexName: statusIndex.name,
      KeySchema: [
        { AttributeName: statusIndex.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: statusIndex.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' as const },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST' as const,
};
export const ttlAttribute = 'ttl';

/** A timeline entry's key: its call, then its index, fixed width. */
export const timelineKey = (sessionId: string, index: number) => `T#${sessionId}#${String(index).padStart(4, '0')}`;
