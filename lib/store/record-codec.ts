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

/**
 * Version 1's preset dictionary: the keys, values and prompts most bodies repeat, so even their
 * first occurrence in a body costs a few bytes. Frozen: a body names its dictionary in its first
 * byte, so a changed prompt (or a new field) needs a version 2 beside it, never an edit here.
 */
const dictionaryV1 = Buffer.from(
  [
    '"kind":"poll","sessionId":"","seq":"reason":"call_hangup","detail":"The customer pressed 1 for an operator."',
    '"verdicts":{"live":{"rule":"utterance","atMs":"text":"score":-0.',
    '"attempts":[{"to":"+1*******0","status":"ringing","callControlId":"v3:","outcome":"answered","endedCause":"normal_clearing"}],"round":0,"briefed":false,"askedAtMs":',
    '"escalation":{"reason":{"rule":"dtmf","claimedAtMs":"status":"waiting-for-conference","dialing","screening","joining","connected","failed","left"',
    "Escalated call.  Press 1 to take the call, or 2 to decline.",
    "We're still trying to reach an operator. Please stay on the line.We're sorry, no operator is available right now.The operator has left the call.",
    'Please hold while we connect you to an operator.',
    '"kind":"scheduleWakeup","wakeup":{"kind":"check","delaySeconds":"kind":"schedulePoll","kind":"stopGather","kind":"speak","kind":"hangup","kind":"joinConference","conferenceId":"","mute":true',
    '"kind":"answer","kind":"createConference","kind":"startAnalyzer","dtmf":",,","kind":"startTranscription","kind":"dialOperator","kind":"briefOperator","kind":"conferenceSpeak","callControlIds":["',
    "We'll stay on the line with you. Tell us how we can help, and an operator will join if you need one.",
    "Sorry, we didn't get that. Press 1 to speak with an operator, or press 2 to hear the options again.",
    'Thank you for calling. Press 1 to speak with an operator. Press 2 to hear these options again. Or simply tell us how we can help.',
    '{"session":{"id":"","version":,"createdAtMs":17,"updatedAtMs":17,"status":"active","customer":{"callControlId":"v3:","fromMasked":"+1*******","answered":true,"joined":true,"hungUp":false,"callerKey":"',
    '"keys":[{"digit":"1","atMs":17}],"promptPath":"call","conference":{"name":"ivr-","id":"","ended":false},"analyzer":{"source":"symbl","status":"joined","connectionId":"","conversationId":"',
    '"menu":{"status":"playing","misses":0},"poll":{"active":true},"timelineCount":',
    '"heard":{"newestAtMs":17,"recent":[{"id":"","atMs":17',
    '"utterances":[{"id":"","text":"","score":0.,"atMs":17',
    '"seenEventIds":["poll:","effects":[{"eventId":"","atMs":17,"commands":[{"kind":"playMenu","callControlId":"v3:","text":"","tag":{"sessionId":"","role":"customer"}}]}]}',
  ].join(''),
);

/** The dictionaries bodies may name, by their first byte. */
const dictionaries: Readonly<Record<number, Buffer>> = { 1: dictionaryV1 };
const currentVersion = 1;

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
  const json = JSON.stringify({ session: record.session, seenEventIds: record.seenEventIds, effects: record.effects.map(packEffect) });
  const packed = deflateRawSync(json, { level: 9, dictionary: dictionaries[currentVersion] });
  const body = new Uint8Array(packed.length + 1);
  body[0] = currentVersion;
  body.set(packed, 1);
  return body;
}

/** The record in a session item; items written before the body was packed carry it as plain attributes. */
export function unpackRecord(item: Readonly<Record<string, unknown>>): SessionRecord {
  const body = item[bodyAttribute];
  if (body instanceof Uint8Array) {
    const dictionary = dictionaries[body[0]!];
    if (!dictionary) throw new Error(`A session body of unknown version ${body[0]}`);
    const packed = JSON.parse(inflateRawSync(body.subarray(1), { dictionary }).toString('utf8')) as { session: Session; seenEventIds: string[]; effects: { eventId: string; atMs?: number; commands: PackedCommand[] }[] };
    return { session: packed.session, seenEventIds: packed.seenEventIds, effects: packed.effects.map(unpackEffect) };
  }
  return {
    session: item.session as Session,
    seenEventIds: (item.seenEventIds as string[] | undefined) ?? [],
    effects: (item.effects as RecordedEffect[] | undefined) ?? [],
  };
}
