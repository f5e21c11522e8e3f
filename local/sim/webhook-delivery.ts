/**
 * How a webhook is delivered, attempt by attempt: the plan both drivers of the Telnyx model
 * follow (the HTTP simulator with scaled timers, the reliability schedule with its budget).
 */

/**
 * 'retry-3': up to `maxAttempts` (default 3) to the primary sink, backing off 250 ms, 500 ms, …
 * (the simulators' long-standing default). 'telnyx': as Telnyx draws it for voice: the primary
 * URL, then once to the failover URL if there is one, then given up; a leg's
 * `webhook_retries_policies` entry for the event type adds retries to the primary on its schedule.
 */
export type DeliveryMode = 'retry-3' | 'telnyx';

export interface DeliveryAttempt {
  /** Simulated ms to wait before this attempt (0 for the first). */
  readonly delayMs: number;
  readonly target: 'primary' | 'failover';
}

export interface DeliveryPlanOptions {
  /** The leg's retry policy for this event type, if any. */
  readonly retriesMs?: readonly number[] | undefined;
  /** Whether a failover sink is configured. */
  readonly failover: boolean;
  /** For 'retry-3'. */
  readonly maxAttempts?: number;
}

export function deliveryPlan(mode: DeliveryMode, options: DeliveryPlanOptions): DeliveryAttempt[] {
  if (mode === 'retry-3') {
    const attempts = Math.max(1, options.maxAttempts ?? 3);
    return Array.from({ length: attempts }, (_, i) => ({ delayMs: i === 0 ? 0 : 250 * 2 ** (i - 1), target: 'primary' }));
  }
  return [
    { delayMs: 0, target: 'primary' },
    ...(options.retriesMs ?? []).map((delayMs): DeliveryAttempt => ({ delayMs, target: 'primary' })),
    ...(options.failover ? [{ delayMs: 0, target: 'failover' } as const] : []),
  ];
}
