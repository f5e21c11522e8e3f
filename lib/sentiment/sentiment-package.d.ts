// The `sentiment` package ships no types; these cover only what afinn-scorer.ts uses.

declare module 'sentiment' {
  namespace Sentiment {
    /** Called once per scored token; returns the score that token contributes. */
    interface ScoringStrategy {
      apply(tokens: readonly string[], cursor: number, tokenScore: number): number;
    }
    interface Language {
      labels: Record<string, number>;
      scoringStrategy?: ScoringStrategy;
    }
    interface AnalysisResult {
      score: number;
      comparative: number;
      tokens: string[];
      words: string[];
      positive: string[];
      negative: string[];
    }
  }
  class Sentiment {
    registerLanguage(languageCode: string, language: Sentiment.Language): void;
    analyze(phrase: string, options?: { language?: string }): Sentiment.AnalysisResult;
  }
  export = Sentiment;
}

declare module 'sentiment/languages/en/index.js' {
  import type Sentiment from 'sentiment';
  /** AFINN-165 (plus the package's emoji scores) and its one-word negation rule. */
  const english: Required<Sentiment.Language>;
  export default english;
}
