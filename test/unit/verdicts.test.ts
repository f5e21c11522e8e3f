import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PolicySettings, PolicyVerdict, Utterance } from '../../lib/core/model.js';
import { callVerdict, policyVerdict, verdictChange } from '../../lib/core/verdicts.js';

const policy: PolicySettings = { utteranceThreshold: -0.7, windowSize: 3, windowThreshold: -0.45, streakLength: 3, negativeBelow: -0.3 };
const u = (id: string, score: number, atMs: number, text = `said ${id}`): Utterance => ({ id, text, score, atMs });
const verdict = (atMs: number, rule: PolicyVerdict['rule'] = 'utterance'): PolicyVerdict => ({ rule, detail: '', text: 'x', score: -0.8, atMs });

describe('verdicts', () => {
  it('a whole call judged at once gives the verdict it got heard one utterance at a time', () => {
    const call = [u('a', -0.2, 1000), u('b', -0.55, 2000), u('c', -0.65, 3000), u('d', -0.9, 4000)];
    const whole = callVerdict(call, policy);
    expect(whole).toMatchObject({ rule: 'window', atMs: 3000, text: 'said c' });
    // Heard one at a time, in time order: the same verdict.
    let history: Utterance[] = [];
    let stepwise: PolicyVerdict | undefined;
    for (const next of call) {
      stepwise ??= policyVerdict(history, [next], policy);
      history = [...history, next];
    }
    expect(stepwise).toEqual(whole);
  });

  it('no verdict for a calm call', () => {
    expect(callVerdict([u('a', 0.4, 1), u('b', -0.1, 2)], policy)).toBeUndefined();
  });

  it.each<[string, PolicyVerdict | undefined, PolicyVerdict | undefined, string]>([
    ['neither escalates', undefined, undefined, 'same'],
    ['only the candidate', undefined, verdict(5), 'newly'],
    ['only the current', verdict(5), undefined, 'never'],
    ['the candidate first', verdict(5), verdict(3), 'earlier'],
    ['the candidate after', verdict(5), verdict(9), 'later'],
    ['the same sentence, another rule', verdict(5), verdict(5, 'window'), 'other-rule'],
    ['the same sentence and rule', verdict(5), verdict(5), 'same'],
  ])('compares: %s', (_, current, candidate, change) => {
    expect(verdictChange(current, candidate)).toBe(change);
  });

  it('a stricter threshold never escalates later, a looser one never earlier (utterance rule alone)', () => {
    const only = (utteranceThreshold: number): PolicySettings => ({ ...policy, utteranceThreshold, windowThreshold: 1, streakLength: 1000, windowSize: 1000 });
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 30 }), fc.double({ min: -1, max: 0, noNaN: true }), (scores, delta) => {
        const call = scores.map((score, i) => u(`u${i}`, score, i * 1000));
        const current = callVerdict(call, only(-0.7));
        const looser = callVerdict(call, only(-0.7 - delta));
        expect(['same', 'newly', 'earlier']).toContain(verdictChange(current, looser));
      }),
    );
  });
});
