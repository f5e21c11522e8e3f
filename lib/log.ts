/** The logger methods the product uses; Powertools' Logger satisfies it, and so does a test double. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Masks a phone number for logs: country code and last two digits stay. */
export function maskPhone(number: string | undefined): string {
  if (!number) return '';
  const digits = number.replace(/[^\d+]/g, '');
  if (digits.length <= 4) return '***';
  const prefix = digits.startsWith('+') ? digits.slice(0, 2) : '';
  return `${prefix}${'*'.repeat(Math.max(3, digits.length - prefix.length - 2))}${digits.slice(-2)}`;
}

/** A logger that drops everything, for tools and tests that do not inspect logs. */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
