/**
 * What the product stores and shows of what a caller said is redacted first, by these rules, in
 * this order (each sees the text the previous one left):
 *
 * 1. **E-mail addresses** (`name@host.tld`) → `[email]`.
 * 2. **Card numbers**: 13 to 19 digits, alone or in groups separated by single spaces or
 *    hyphens (`4111 1111 1111 1111`, `4111-1111-1111-1111`) → `[card number]`.
 * 3. **Long digit runs**: 6 or more digits, alone or grouped the same way (account numbers,
 *    `123-45-6789` social security numbers, phone numbers) → `[number]`.
 *
 * Shorter numbers (an amount, a date, "press 1", "2 weeks") stay: they are what a supervisor
 * needs to follow the call. Speech-to-text that spells digits as words ("four one one one") is
 * not caught; the rules are for what transcription returns as digits.
 */

const email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** Digits in groups joined by one space or hyphen; a run starts where no digit comes before it (letters may: `ABC123456`). */
const digitRun = /(?<!\d)(?<!\d[ -])\d(?:[ -]?\d)*/g;

/** The redaction rules, as named replacements: tests and the README list them from here. */
export const redactionRules = [
  { name: 'e-mail address', replacement: '[email]' },
  { name: 'card number (13–19 digits)', replacement: '[card number]' },
  { name: 'digit run of 6 or more', replacement: '[number]' },
] as const;

/** The text with e-mail addresses, card numbers and long digit runs replaced (see the rules above). */
export function redact(text: string): string {
  return text.replace(email, '[email]').replace(digitRun, (run) => {
    const digits = run.replace(/[ -]/g, '').length;
    if (digits >= 13 && digits <= 19) return '[card number]';
    if (digits >= 6) return '[number]';
    return run;
  });
}
