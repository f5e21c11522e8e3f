import type { Utterance } from '../core/model.js';
import { SourceUnavailableError, type SentimentSource } from '../sentiment/sentiment-source.js';
import { SymblError, type SymblClient } from './symbl-client.js';

/**
 * Symbl's messages as scored utterances. Messages Symbl has not scored yet are left out (not
 * marked seen), so a later cycle picks them up with their sentiment.
 */
export function createSymblSource(client: SymblClient): SentimentSource {
  return {
    async fetchUtterances(session) {
      const conversationId = session.analyzer.conversationId;
      if (conversationId === undefined) return [];
      let messages;
      try {
        messages = await client.messages(conversationId);
      } catch (error) {
        if (error instanceof SymblError) throw new SourceUnavailableError(error.message, { cause: error });
        throw error;
      }
      const utterances: Utterance[] = [];
      for (const message of messages) {
        if (message.polarity === undefined) continue;
        const started = message.startTime !== undefined ? Date.parse(message.startTime) : Number.NaN;
        const atMs = Number.isFinite(started) ? started : session.createdAtMs + (message.timeOffset ?? 0) * 1000;
        utterances.push({ id: message.id, text: message.text, score: message.polarity, atMs });
      }
      return utterances;
    },
  };
}
