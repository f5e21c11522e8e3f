import english from 'sentiment/languages/en/index.js';
import type { LocalSentimentScorer } from './scorer.js';

/**
 * Words AFINN-165 lacks or misreads in a support call, on AFINN's -5..5 scale. Kept to what
 * measurably helped on the training part of local/fixtures/sentiment-utterances.json.
 */
const contactCenterWords: Readonly<Record<string, number>> = {
  // "no" answers a question on the phone; AFINN scores it -1.
  no: 0,
  // Billing nouns, not accusations.
  charges: 0,
  charged: 0,
  // "this is a joke" is contempt; AFINN scores joke +2.
  joke: -2,
  // Repeating, waiting and being passed around is what an unhappy caller talks about.
  again: -1,
  still: -1,
  twice: -1,
  waiting: -1,
  transferring: -1,
  transferred: -1,
  hold: -1,
  // Neutral on their own; they carry the complaint once negated ("this isn't working").
  work: 1,
  works: 1,
  working: 1,
  fixed: 1,
};

/** The package's negators plus the ones callers use that it lacks. */
const negators: readonly string[] = [
  'not', 'non', "isn't", 'isnt', "don't", 'dont', "doesn't", 'doesnt', "can't", 'cant', "won't", 'wont',
  'no', 'never', 'nobody', 'nothing', 'without', "wasn't", 'wasnt', "didn't", 'didnt', "haven't", "hasn't",
  "hadn't", "wouldn't", "couldn't", "shouldn't", "aren't", "ain't",
];

/** "on hold", "another hold", "the hold music" are waiting; "can you hold", "hold on" are not. */
const holdAsWaiting: readonly string[] = ['on', 'another', 'more', 'the'];

/**
 * AFINN sum → polarity. The sum is first squashed as VADER does, s / √(s² + 15), then mapped
 * piecewise-linearly through these knots, fitted on the fixture's training split (every item
 * but each 4th) so Symbl's cuts fall where a supervisor's labels do: a sum ≤ -1 is negative
 * (≤ -0.3), ≥ +3 positive (≥ 0.3), and ≤ -4 reaches the single-utterance threshold (-0.7)
 * with no non-negative training utterance that low.
 */
const knots: readonly (readonly [raw: number, polarity: number])[] = [
  [-1, -1],
  [-0.665, -0.7],
  [-0.13, -0.3],
  [0, 0],
  [0.53, 0.3],
  [1, 1],
];


/** Maps a squashed AFINN sum onto the polarity scale; monotone, and 0 stays 0. */
export function afinnSumToPolarity(sum: number): number {
  // s / √(s² + 15), written as sign(s) / √(1 + 15 / s²): every step is monotone in |s|, so the
  // result is too, to the last bit (the first form divides two growing numbers and is not).
  const raw = sum === 0 ? 0 : Math.sign(sum) / Math.sqrt(1 + 15 / (sum * sum));
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i]!;
    if (raw <= x1) {
      const [x0, y0] = knots[i - 1]!;
      return y0 + ((raw - x0) * (y1 - y0)) / (x1 - x0);
    }
  }
  return 1;
}

/** The `sentiment` package's tokenizer: lower case, its punctuation to spaces, split on single spaces. */
function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/\n/g, ' ')
    .replace(/[.,/#!?$%^&*;:{}=_`"~()]/g, ' ')
    .replace(/\s\s+/g, ' ')
    .trim()
    .split(' ');
}

/**
 * Local scorer on the AFINN-165 lexicon (the `sentiment` package's word list, read as data:
 * its analyzer and emoji table are not needed for speech), with contact-center words and
 * negators added. Each word found scores its AFINN value, negated after a negator; the sum goes
 * through {@link afinnSumToPolarity}.
 */
export function createAfinnScorer(): LocalSentimentScorer {
  const labels = new Map<string, number>(Object.entries({ ...english.labels, ...contactCenterWords }));
  const negatorSet = new Set(negators);
  const holdSet = new Set(holdAsWaiting);
  return {
    name: 'afinn',
    score(text) {
      // Transcripts may use typographic apostrophes; the lexicon and negators use ASCII ones.
      const tokens = tokenize(text.replace(/[\u2018\u2019]/g, "'"));
      let sum = 0;
      tokens.forEach((token, cursor) => {
        const value = labels.get(token);
        if (value === undefined) return;
        const previous = tokens[cursor - 1] ?? '';
        if (token === 'hold' && !holdSet.has(previous)) return;
        sum += negatorSet.has(previous) ? -value : value;
      });
      return afinnSumToPolarity(sum);
    },
  };
}
