import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comprehendPolarity, comprehendTextLimitBytes, trimToUtf8Bytes } from '../../lib/sentiment/comprehend-scorer.js';

// Symbl's scale, as the escalation defaults read it.
const negativeAtOrBelow = -0.3;
const escalateAtOrBelow = -0.7;

/** Four non-negative confidences that sum to 1, as Comprehend answers. */
const confidences = fc
  .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
  .filter(([a, b, c, d]) => a + b + c + d > 0)
  .map(([a, b, c, d]) => {
    const sum = a + b + c + d;
    return { Positive: a / sum, Negative: b / sum, Neutral: c / sum, Mixed: d / sum };
  });

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('Comprehend confidences on the polarity scale', () => {
  it.each([
    ['a clear negative', { Positive: 0.02, Negative: 0.9, Neutral: 0.05, Mixed: 0.03 }, -0.88],
    ['a clear positive', { Positive: 0.95, Negative: 0.01, Neutral: 0.03, Mixed: 0.01 }, 0.94],
    ['a neutral answer', { Positive: 0.05, Negative: 0.05, Neutral: 0.9, Mixed: 0 }, 0],
    ['an evenly mixed answer', { Positive: 0.3, Negative: 0.3, Neutral: 0, Mixed: 0.4 }, 0],
    ['a mixed answer leaning negative', { Positive: 0.1, Negative: 0.4, Neutral: 0, Mixed: 0.5 }, -0.3],
    ['a certain negative', { Positive: 0, Negative: 1, Neutral: 0, Mixed: 0 }, -1],
    ['confidences left out', {}, 0],
  ])('%s: %o → %d', (_, score, polarity) => {
    expect(comprehendPolarity(score)).toBeCloseTo(polarity, 10);
  });

  it('puts the policy’s cuts where Comprehend is sure enough: 0.7 negative alone escalates, 0.5 against 0.2 is negative', () => {
    expect(comprehendPolarity({ Positive: 0, Negative: 0.7, Neutral: 0.3, Mixed: 0 })).toBeLessThanOrEqual(escalateAtOrBelow);
    expect(comprehendPolarity({ Positive: 0.2, Negative: 0.5, Neutral: 0.3, Mixed: 0 })).toBeLessThanOrEqual(negativeAtOrBelow + 1e-12);
    expect(comprehendPolarity({ Positive: 0.2, Negative: 0.45, Neutral: 0.35, Mixed: 0 })).toBeGreaterThan(negativeAtOrBelow);
  });

  it('stays in [-1, 1], even for confidences out of range', () => {
    fc.assert(fc.property(confidences, (score) => Math.abs(comprehendPolarity(score)) <= 1));
    expect(comprehendPolarity({ Positive: 0, Negative: 1.5 })).toBe(-1);
    expect(comprehendPolarity({ Positive: 2, Negative: 0 })).toBe(1);
  });

  it('never rises when confidence moves to Negative, from whichever label', () => {
    fc.assert(
      fc.property(confidences, fc.constantFrom('Positive', 'Neutral', 'Mixed' as const), fc.double({ min: 0, max: 1, noNaN: true }), (score, from, share) => {
        const moved = score[from] * share;
        const more = { ...score, [from]: score[from] - moved, Negative: score.Negative + moved };
        return comprehendPolarity(more) <= comprehendPolarity(score);
      }),
    );
  });

  it('never falls when confidence moves to Positive, and Neutral and Mixed count for neither side', () => {
    fc.assert(
      fc.property(confidences, fc.double({ min: 0, max: 1, noNaN: true }), (score, share) => {
        const moved = score.Neutral * share;
        const towardPositive = { ...score, Neutral: score.Neutral - moved, Positive: score.Positive + moved };
        const towardMixed = { ...score, Neutral: score.Neutral - moved, Mixed: score.Mixed + moved };
        return comprehendPolarity(towardPositive) >= comprehendPolarity(score) && comprehendPolarity(towardMixed) === comprehendPolarity(score);
      }),
    );
  });
});

describe('text cut to Comprehend’s size', () => {
  it('leaves text within the limit as it is', () => {
    expect(trimToUtf8Bytes('my bill is wrong', 16)).toBe('my bill is wrong');
    expect(trimToUtf8Bytes('', 10)).toBe('');
  });

  it.each([
    ['ASCII', 'abcdef', 4, 'abcd'],
    ['a two-byte letter at the cut', 'caf\u00e9s', 4, 'caf'],
    ['an emoji (two UTF-16 units, four bytes) at the cut', 'ok \u{1F621}!', 5, 'ok '],
    ['an emoji that fits', 'ok \u{1F621}!', 7, 'ok \u{1F621}'],
  ])('cuts %s on a character boundary', (_, text, maxBytes, expected) => {
    expect(trimToUtf8Bytes(text, maxBytes)).toBe(expected);
  });

  it('keeps the longest start that fits, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 1, max: 600 }), (text, maxBytes) => {
        const cut = trimToUtf8Bytes(text, maxBytes);
        const next = [...text.slice(cut.length)][0];
        return text.startsWith(cut) && utf8Bytes(cut) <= maxBytes && (next === undefined || utf8Bytes(cut + next) > maxBytes);
      }),
    );
  });

  it('brings a long transcript under Comprehend’s limit', () => {
    const long = 'I have been waiting for a refund for weeks \u2014 '.repeat(200);
    expect(utf8Bytes(long)).toBeGreaterThan(comprehendTextLimitBytes);
    expect(utf8Bytes(trimToUtf8Bytes(long, comprehendTextLimitBytes - 1))).toBeLessThan(comprehendTextLimitBytes);
  });
});
