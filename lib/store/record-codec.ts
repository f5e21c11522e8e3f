import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { commandId } from '../core/command-ids.js';
import type { Command, RecordedEffect, Session, SessionRecord, StampedCommand } from '../core/model.js';

/**
 * A session item's body: the session with its delivery bookkeeping (the event ids seen, the
 * effects a redelivery repeats), as compressed JSON in one binary attribute. DynamoDB bills
 * writes by the kilobyte and every event rewrites the item: a minute into a call its 7 KB of
 * maps are under 2 KB this way, so each write costs a third (and DynamoDB Local, like the SDK,
 * handles a binary far faster than a deep map). The attributes conditions and indexes need
 * (`version`, `status`, the status index keys, `ttl`) stay plain beside it.
 */
export const bodyAttribute = 'body';

/** A recorded command without its id when the id is the one its event, place and kind give it (as `stampCommands` made it). */
type PackedCommand = Command & { readonly commandId?: string };

function packEffect(effect: RecordedEffect): RecordedEffect | { eventId: string; atMs?: number; commands: PackedCommand[] } {
  return {
    ...effect,
    commands: effect.commands.map(({ commandId: id, ...command }, index) =>
      id === commandId(effect.eventId, index, command.kind) ? (command as Command) : { ...(command as Command), commandId: id },
    ),
  };
}

function unpackEffect(effect: { eventId: string; atMs?: number; commands: PackedCommand[] }): RecordedEffect {
  return {
    ...effect,
    commands: effect.commands.map((command, index) => ({ ...command, commandId: command.commandId ?? commandId(effect.eventId, index, command.kind) }) as StampedCommand),
  };
}

export function packRecord(record: SessionRecord): Uint8Array {
  return deflateRawSync(JSON.stringify({ session: record.session, seenEventIds: record.seenEventIds, effects: record.effects.map(packEffect) }));
}

/** The record in a session item; items written before the body was packed carry it as plain attributes. */
export function unpackRecord(item: Readonly<Record<string, unknown>>): SessionRecord {
  const body = item[bodyAttribute];
  if (body instanceof Uint8Array) {
    const packed = JSON.parse(inflateRawSync(body).toString('utf8')) as { session: Session; seenEventIds: string[]; effects: { eventId: string; atMs?: number; commands: PackedCommand[] }[] };
    return { session: packed.session, seenEventIds: packed.seenEventIds, effects: packed.effects.map(unpackEffect) };
  }
  return {
    session: item.session as Session,
    seenEventIds: (item.seenEventIds as string[] | undefined) ?? [],
    effects: (item.effects as RecordedEffect[] | undefined) ?? [],
  };
}
