import type { Session, Utterance } from '../core/model.js';

/**
 * Where a polled session's scored speech comes from. It may return utterances seen before
 * (Symbl has no "since" parameter); the call flow skips those by id.
 */
export interface SentimentSource {
  fetchUtterances(session: Session): Promise<Utterance[]>;
}

/** The source could not answer this cycle; the next cycle tries again. */
export class SourceUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceUnavailableError';
  }
}
