import { describe, expect, it } from 'vitest';
import { eventWorstMs, failedMessageReturnSeconds, pollerWorstMs, pollMaxReceives, telnyxCommandWorstMs, timeouts, webhookWorstMs } from '../../lib/timeouts.js';

describe('the timeout budget', () => {
  it('one Telnyx command, every try timing out with the capped waits between, fits the command budget and then some', () => {
    expect(telnyxCommandWorstMs).toBe(timeouts.telnyxTries * timeouts.telnyxRequestMs + (timeouts.telnyxTries - 1) * timeouts.telnyxBackoffCapMs);
    expect(telnyxCommandWorstMs).toBeLessThan(timeouts.functionTimeoutSeconds * 1000);
  });

  it('SDK timeout × tries + backoff < function timeout < SQS visibility timeout, for both functions', () => {
    expect(webhookWorstMs).toBeLessThan(timeouts.functionTimeoutSeconds * 1000);
    expect(pollerWorstMs).toBeLessThan(timeouts.functionTimeoutSeconds * 1000);
    expect(timeouts.functionTimeoutSeconds * 1000).toBeLessThan(timeouts.visibilityTimeoutSeconds * 1000);
    // Lambda's guidance for SQS event sources: visibility at least six times the function timeout.
    expect(timeouts.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * timeouts.functionTimeoutSeconds);
  });

  it('the webhook’s worst case includes one Comprehend call, and still fits the function timeout', () => {
    expect(webhookWorstMs).toBe(eventWorstMs + timeouts.comprehendRequestMs);
    expect(webhookWorstMs).toBeLessThan(timeouts.functionTimeoutSeconds * 1000);
    // Short: a transcript scored late holds up the webhook; past this the local scorer answers.
    expect(timeouts.comprehendRequestMs).toBeLessThanOrEqual(1000);
    // The poller never scores: its worst case is an event's handling and one read of the analyzer.
    expect(pollerWorstMs).toBe(eventWorstMs + timeouts.symblRequestMs);
  });

  it('a Retry-After from Telnyx never stretches a wait past the cap', () => {
    expect(timeouts.telnyxBackoffCapMs).toBeLessThanOrEqual(1000);
  });

  it('a failed queue message comes back well before the visibility timeout, then less often, and is set aside only after ten minutes of trouble', () => {
    const waits = Array.from({ length: pollMaxReceives - 1 }, (_, i) => failedMessageReturnSeconds(i + 1));
    expect(waits[0]).toBeLessThan(timeouts.visibilityTimeoutSeconds / 10);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1]!);
    // As long as before the shorter waits (five receives, a visibility timeout apart), before the dead-letter queue.
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(600);
    // SQS takes at most 12 hours; a receive count past the table, or none, still gets a wait.
    expect(Math.max(...waits)).toBeLessThanOrEqual(43_200);
    expect(failedMessageReturnSeconds(99)).toBe(waits.at(-1));
    expect(failedMessageReturnSeconds(Number.NaN)).toBe(waits[0]);
  });
});
