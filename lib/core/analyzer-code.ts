/** One DTMF digit heard on the analyzer's leg, in whatever order its webhook arrived. */
export interface HeardDigit {
  readonly digit: string;
  readonly atMs: number;
  /** The webhook event id: breaks ties and removes duplicates. */
  readonly eventId: string;
}

/** Session ids are ten digits; the analyzer dials one, then `#`. */
export const sessionCodePattern = /^\d{10}$/;

/**
 * Reads the session code from digits that arrive one webhook each, possibly duplicated or out
 * of order: orders them by time, and takes the ten digits before a `#`. Undefined until the
 * code is complete.
 */
export function codeFromDigits(digits: readonly HeardDigit[]): string | undefined {
  const unique = new Map(digits.map((d) => [d.eventId, d]));
  const ordered = [...unique.values()].sort((a, b) => a.atMs - b.atMs || (a.eventId < b.eventId ? -1 : 1));
  const sequence = ordered.map((d) => d.digit).join('');
  const match = /(\d{10})#/.exec(sequence);
  return match?.[1];
}

/** A gather's collected digits (Telnyx strips the terminating `#`) as a session code, if they are one. */
export function codeFromGather(digits: string): string | undefined {
  const trimmed = digits.replace(/#$/, '');
  return sessionCodePattern.test(trimmed) ? trimmed : undefined;
}
