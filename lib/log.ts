/** The logger methods the product uses; Powertools' Logger satisfies it, and so does a test double. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** A logger that drops everything, for tools and tests that do not inspect logs. */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
