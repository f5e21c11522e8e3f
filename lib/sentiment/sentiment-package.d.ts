// The `sentiment` package ships no types; the product reads only its AFINN-165 word list.

declare module 'sentiment/languages/en/labels.json' {
  /** AFINN-165: word → valence on -5..5. */
  const labels: Record<string, number>;
  export default labels;
}

declare module 'sentiment' {
  /** The package's own analyzer (tests check the scorer leaves its English table alone). */
  class Sentiment {
    analyze(phrase: string): { score: number };
  }
  export = Sentiment;
}
