// The `sentiment` package ships no types; these cover only what the product and its tests use.

declare module 'sentiment/languages/en/index.js' {
  /** AFINN-165 (word → valence on -5..5) and the package's one-word negation rule. */
  const english: { labels: Record<string, number> };
  export default english;
}

declare module 'sentiment' {
  /** The package's own analyzer (tests check the scorer leaves its English table alone). */
  class Sentiment {
    analyze(phrase: string): { score: number };
  }
  export = Sentiment;
}
