import { describe, expect, it } from 'vitest';
import { runLoad } from '../../local/load.js';

/**
 * Fifty calls up at once through the local stack under one sentiment source, with Telnyx's
 * delivery faults: about one webhook in five delivered twice (the copy possibly at the same
 * moment), one in five taken out of its leg's order. Every call must meet its scenario's
 * expectation: an angry caller, one who presses 1 and one who asks for an agent each get one
 * operator, once; a calm caller none. Each source runs in its own test file: the handlers read
 * their configuration once per process, as in Lambda.
 */
export function fiftyConcurrentCallsUnder(source: 'symbl' | 'telnyx'): void {
  describe(`fifty concurrent calls, ${source} source, with duplicated and reordered deliveries`, () => {
    it('every call meets its expectation, no webhook fails, and all fifty are up at once', async () => {
      const result = await runLoad({
        source,
        calls: 50,
        arrivalSeconds: 25,
        holdSeconds: 30,
        timeScale: 1,
        faults: { duplicateRate: 0.2, reorderRate: 0.2, maxDelayMs: 400 },
      });
      expect(result.problems).toEqual([]);
      expect(result.simulatorErrors).toEqual([]);
      expect(result.webhookFailuresByKind).toEqual({});
      expect(result.peakConcurrent).toBe(50);
      // The faults did happen, to many calls.
      expect(result.duplicated).toBeGreaterThan(50);
      expect(result.reordered).toBeGreaterThan(50);
    }, 240_000);
  });
}
