import { describe, expect, it } from 'vitest';
import { eventWorstMs, pollerWorstMs, telnyxCommandWorstMs, timeouts, webhookWorstMs } from '../../lib/timeouts.js';

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
});
