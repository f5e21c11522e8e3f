import { createHash } from 'node:crypto';
import type { Command, StampedCommand } from './model.js';

/**
 * A UUID-shaped id from the triggering event, the command's position and its kind. A
 * redelivered event repeats the same ids, so Telnyx ignores the repeat; two commands from one
 * event never share one (Telnyx ignores a repeated id on a leg even for another action).
 */
export function commandId(eventId: string, index: number, kind: Command['kind']): string {
  const hex = createHash('sha256').update(`${eventId}\u0000${index}\u0000${kind}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function stampCommands(eventId: string, commands: readonly Command[]): StampedCommand[] {
  return commands.map((command, index) => ({ ...command, commandId: commandId(eventId, index, command.kind) }));
}
