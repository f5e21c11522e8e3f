/**
 * Faults on the session store's writes, injected below the store in the DynamoDB client the
 * runtime uses (a middleware), so the product's own code meets them as it would in AWS:
 *
 * - `conflict`: just before the product's conditional write, another writer gets in first (a
 *   concurrent delivery: for a create, the same session written; for a save, the stored session
 *   re-written one version on), so the product's condition fails against DynamoDB Local;
 * - `crash`: the write lands, then the process "dies" before running the commands (the call
 *   throws as a killed Lambda would leave it: state written, nothing done);
 * - `lost-response`: the write lands but its answer is lost; the SDK sends it again, and that
 *   retry fails its own condition.
 *
 * Each armed fault fires once, on the first write that matches its point. Besides armed points,
 * a schedule may run `within` a decision per session write (random faults from its seed): only
 * the writes of its own async context meet it, so schedules can share the client side by side.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Session } from '../../../lib/core/model.js';
import { bodyAttribute, packRecord, unpackRecord } from '../../../lib/store/record-codec.js';
import { localAwsSettings } from '../../../local/servers.js';

export type WriteFault = 'conflict' | 'crash' | 'lost-response';

export interface SessionWrite {
  readonly kind: 'create' | 'save';
  readonly transaction: boolean;
  /** The stored session: undefined for a create, and for a save once no armed point is left to match. */
  readonly before: Session | undefined;
  readonly after: Session;
}

/** A place in a call where the product writes its session. */
export interface WritePoint {
  readonly name: string;
  matches(write: SessionWrite): boolean;
}

const attempt = (s: Session | undefined) => s?.escalation?.attempts[0];

/** Every session write of a whole call (answered, analyzer joined, menu, DTMF 1, operator, hangup). */
export const writePoints: readonly WritePoint[] = [
  { name: 'session created (call.initiated)', matches: (w) => w.kind === 'create' },
  { name: 'analyzer start recorded (Symbl answer fed back)', matches: (w) => w.before?.analyzer.status === 'requested' && w.after.analyzer.status === 'started' },
  { name: 'customer answered', matches: (w) => w.before?.customer.answered === false && w.after.customer.answered },
  { name: 'conference learned (with its look-up, a transaction)', matches: (w) => w.before?.conference.id === undefined && w.after.conference.id !== undefined },
  { name: 'customer joined the conference', matches: (w) => w.before?.customer.joined === false && w.after.customer.joined },
  { name: 'analyzer identified (with its leg, a transaction)', matches: (w) => w.before?.analyzer.callControlId === undefined && w.after.analyzer.callControlId !== undefined },
  { name: 'analyzer joined', matches: (w) => w.before !== undefined && w.before.analyzer.status !== 'joined' && w.after.analyzer.status === 'joined' },
  { name: 'menu started', matches: (w) => w.before?.menu.status === 'waiting' && w.after.menu.status === 'playing' },
  { name: 'poll cycle heard speech (poller)', matches: (w) => w.before !== undefined && w.after.heard.newestAtMs > w.before.heard.newestAtMs },
  { name: 'escalation claimed', matches: (w) => w.before !== undefined && w.before.escalation === undefined && w.after.escalation !== undefined },
  { name: 'operator leg bound (dial answer fed back)', matches: (w) => attempt(w.before) !== undefined && attempt(w.before)?.callControlId === undefined && attempt(w.after)?.callControlId !== undefined },
  { name: 'operator answered and briefed on its own leg', matches: (w) => w.before?.escalation?.briefed === false && w.after.escalation?.briefed === true },
  { name: 'operator accepted (asked into the conference)', matches: (w) => attempt(w.before)?.status === 'screening' && attempt(w.after)?.status === 'joining' },
  { name: 'operator connected', matches: (w) => w.before?.escalation?.status !== 'connected' && w.after.escalation?.status === 'connected' },
  { name: 'session ended (customer hung up)', matches: (w) => w.before?.status === 'active' && w.after.status === 'ended' },
];

interface RawWrite {
  readonly kind: 'create' | 'save';
  readonly transaction: boolean;
  readonly tableName: string;
  readonly item: Record<string, unknown>;
  /** Every item the write puts (the session and, in a transaction, its look-ups). */
  readonly items: Record<string, unknown>[];
}

const plainItem = (item: Record<string, unknown>): Record<string, unknown> => {
  // Document-client input may or may not be marshalled yet at this step.
  const marshalled = typeof item.pk === 'object' && item.pk !== null && 'S' in item.pk;
  return marshalled ? unmarshall(item as Parameters<typeof unmarshall>[0]) : item;
};

/** The session item a PutItem or TransactWriteItems carries, if it is one (look-ups and claims are not). */
function sessionWriteOf(commandName: string | undefined, input: Record<string, unknown>): RawWrite | undefined {
  const puts: { TableName?: string; Item?: Record<string, unknown>; ConditionExpression?: string }[] = [];
  if (commandName === 'PutItemCommand') puts.push(input as (typeof puts)[number]);
  else if (commandName === 'TransactWriteItemsCommand') {
    for (const entry of (input.TransactItems ?? []) as { Put?: (typeof puts)[number] }[]) if (entry.Put) puts.push(entry.Put);
  } else return undefined;
  for (const put of puts) {
    if (!put.Item || !put.ConditionExpression) continue;
    const item = plainItem(put.Item);
    if (typeof item.pk !== 'string' || !item.pk.startsWith('S#')) continue;
    return {
      kind: put.ConditionExpression.includes('attribute_not_exists') ? 'create' : 'save',
      transaction: commandName === 'TransactWriteItemsCommand',
      tableName: put.TableName ?? '',
      item,
      items: puts.filter((p) => p.Item).map((p) => plainItem(p.Item!)),
    };
  }
  return undefined;
}

/** A per-write decision: the fault to inject into this session write, if any. */
export type WriteFaultDecision = (write: SessionWrite) => WriteFault | undefined;

export interface FiredFault {
  readonly point: string;
  readonly fault: WriteFault;
  readonly transaction: boolean;
}

export type FaultyDynamo = ReturnType<typeof faultyDynamo>;

/**
 * A DynamoDB client for the runtime, with write faults to arm. `stop()` destroys both clients.
 */
export function faultyDynamo(endpoint: string) {
  const client = new DynamoDBClient({ ...localAwsSettings, endpoint });
  const plain = DynamoDBDocumentClient.from(new DynamoDBClient({ ...localAwsSettings, endpoint }), { marshallOptions: { removeUndefinedValues: true } });
  const armed: { point: WritePoint; fault: WriteFault; fired: boolean }[] = [];
  const fired: FiredFault[] = [];
  let competitors = 0;
  const decisions = new AsyncLocalStorage<WriteFaultDecision>();

  /**
   * The competitor writes as the product does, conditionally: when some other writer got there in
   * between, that one was the competitor, and nothing it wrote is overwritten.
   */
  async function compete(write: RawWrite): Promise<void> {
    const ifStill = async (put: PutCommand): Promise<void> => {
      try {
        await plain.send(put);
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      }
    };
    if (write.kind === 'create') {
      // A concurrent delivery of the same event got there first, with the same items.
      const writeId = `competitor-${++competitors}`;
      for (const item of write.items) {
        await ifStill(new PutCommand({ TableName: write.tableName, Item: item.pk === write.item.pk ? { ...item, writeId } : item, ConditionExpression: 'attribute_not_exists(pk)' }));
      }
      return;
    }
    const stored = (await plain.send(new GetCommand({ TableName: write.tableName, Key: { pk: write.item.pk }, ConsistentRead: true }))).Item!;
    const record = unpackRecord(stored);
    const session = record.session;
    const version = session.version + 1;
    await ifStill(
      new PutCommand({
        TableName: write.tableName,
        Item: {
          ...stored,
          version,
          writeId: `competitor-${++competitors}`,
          [bodyAttribute]: packRecord({
            ...record,
            session: { ...session, version, updatedAtMs: session.updatedAtMs + 1 },
            seenEventIds: [...record.seenEventIds, `competitor-${competitors}`],
          }),
        },
        ConditionExpression: '#version = :read',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':read': stored.version },
      }),
    );
  }

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const write = sessionWriteOf(context.commandName, args.input as Record<string, unknown>);
      const storedSession = (item: Record<string, unknown> | undefined) => (item ? unpackRecord(item).session : undefined);
      const decide = decisions.getStore();
      if (!write || (armed.every((a) => a.fired) && decide === undefined)) return next(args);
      // Only armed points look at the session before the write (an injected decision does not: spare the read).
      const before =
        write.kind === 'save' && armed.some((a) => !a.fired)
          ? storedSession((await plain.send(new GetCommand({ TableName: write.tableName, Key: { pk: write.item.pk }, ConsistentRead: true }))).Item)
          : undefined;
      const view: SessionWrite = { kind: write.kind, transaction: write.transaction, before, after: unpackRecord(write.item).session };
      // Points that coincide in one write (the analyzer joining starts the menu) fire together.
      const hits = armed.filter((a) => !a.fired && a.point.matches(view));
      for (const h of hits) {
        h.fired = true;
        fired.push({ point: h.point.name, fault: h.fault, transaction: write.transaction });
      }
      const fault = hits[0]?.fault ?? decide?.(view);
      if (fault === undefined) return next(args);
      if (hits.length === 0) fired.push({ point: 'injected', fault, transaction: write.transaction });
      switch (fault) {
        case 'conflict':
          await compete(write);
          return next(args);
        case 'crash':
          await next(args);
          throw new Error(`injected crash right after the "${hits[0]?.point.name ?? 'injected'}" write`);
        case 'lost-response':
          await next(args);
          // The answer never arrived; the SDK sends the same request again.
          return next(args);
      }
    },
    { step: 'serialize', priority: 'high', name: 'injectWriteFaults' },
  );

  return {
    client,
    fired,
    arm(point: WritePoint, fault: WriteFault): void {
      armed.push({ point, fault, fired: false });
    },
    /** Runs `run` with a fault decided for every session write it makes. */
    within<T>(decision: WriteFaultDecision, run: () => Promise<T>): Promise<T> {
      return decisions.run(decision, run);
    },
    /** Armed faults whose point never came up. */
    unfired(): string[] {
      return armed.filter((a) => !a.fired).map((a) => `${a.fault} at ${a.point.name}`);
    },
    stop(): void {
      client.destroy();
      plain.destroy();
    },
  };
}
