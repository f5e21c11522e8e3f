/** Base of the product's errors; each maps to one HTTP outcome in the webhook handler. */
export abstract class AppError extends Error {
  abstract readonly status: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Unsigned, forged or stale webhook: 401, nothing changes. */
export class SignatureError extends AppError {
  readonly status = 401;
}

/** Malformed request: 400, nothing changes. */
export class BadRequestError extends AppError {
  readonly status = 400;
}

/** Request body over the size limit: 413, nothing changes. */
export class PayloadTooLargeError extends AppError {
  readonly status = 413;
}

/** A write kept losing its conditional check to concurrent writers; the caller retries later. */
export class ConcurrencyError extends AppError {
  readonly status = 503;
}

/** A downstream service failed in a way worth retrying (the sender redelivers). */
export class TransientError extends AppError {
  readonly status = 503;
}
