import type { EscalationReason, PolicySettings, Utterance } from './model.js';
import { spokenPrompts } from './prompts.js';

/** The policy's answer: escalate with a readable reason, or not. */
export type PolicyDecision =
  | { readonly escalate: true; readonly reason: EscalationReason; readonly trigger: Utterance }
  | { readonly escalate: false };

const requestPatterns: readonly RegExp[] = [
  /\b(an?|your|some|real|live)\s+(agent|representative|rep|operator|human)\b/,
  /\b(agent|representative|operator)\b/,
  /\b(speak|talk)\s+(to|with)\s+(someone|somebody|a person|a human|a manager|a supervisor|an? (real|actual|live) (person|human))\b/,
  /\b(human being|real person|live person)\b/,
];

/** Lower case, letters, digits and single spaces: the form both sides of a comparison take. */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** True when the customer asks for a person in so many words. */
export function asksForHuman(text: string): boolean {
  const normalized = normalizeText(text);
  return requestPatterns.some((pattern) => pattern.test(normalized));
}

const promptWords = spokenPrompts.map((prompt) => new Set(normalizeText(prompt).split(' ')));

/**
 * True when an utterance is the IVR's own prompt heard back through the conference: most of
 * its words (at least 4 of them) appear in one prompt. Transcription of our TTS is not exact,
 * so this compares words, not strings.
 */
export function isPromptEcho(text: string): boolean {
  const words = normalizeText(text).split(' ').filter((w) => w.length > 0);
  if (words.length < 4) return false;
  return promptWords.some((prompt) => {
    const shared = words.filter((w) => prompt.has(w)).length;
    return shared / words.length >= 0.8;
  });
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Orders utterances by time, then id, so a redelivered or late batch gives the same answer. */
export function byTime(a: Utterance, b: Utterance): number {
  return a.atMs - b.atMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Evaluates fresh utterances in time order against what came before, each as of when it was
 * said (an utterance heard late is placed in time, not at the end). Rules, in the order a
 * person would want them: an explicit request for a human; one utterance at or below the
 * threshold (the original rule); the rolling mean of the last N at or below the window
 * threshold; K negative utterances in a row. The first that fires wins.
 */
export function evaluatePolicy(
  history: readonly Utterance[],
  fresh: readonly Utterance[],
  config: PolicySettings,
): PolicyDecision {
  const seen = [...history].sort(byTime);
  for (const utterance of [...fresh].sort(byTime)) {
    // In the order things were said, and as of when this was said: one heard late takes its place in time.
    const at = seen.findIndex((u) => byTime(u, utterance) > 0);
    seen.splice(at === -1 ? seen.length : at, 0, utterance);
    const said = seen.slice(0, (at === -1 ? seen.length - 1 : at) + 1);
    const quoted = `"${utterance.text}"`;
    if (asksForHuman(utterance.text)) {
      return {
        escalate: true,
        trigger: utterance,
        reason: { rule: 'request', detail: `The customer asked for a person: ${quoted}.`, text: utterance.text, score: utterance.score },
      };
    }
    if (utterance.score <= config.utteranceThreshold) {
      return {
        escalate: true,
        trigger: utterance,
        reason: {
          rule: 'utterance',
          detail: `One utterance scored ${round2(utterance.score)}, at or below ${config.utteranceThreshold}: ${quoted}.`,
          text: utterance.text,
          score: utterance.score,
        },
      };
    }
    const window = said.slice(-config.windowSize);
    if (window.length === config.windowSize) {
      const mean = window.reduce((sum, u) => sum + u.score, 0) / window.length;
      if (mean <= config.windowThreshold) {
        return {
          escalate: true,
          trigger: utterance,
          reason: {
            rule: 'window',
            detail: `The last ${config.windowSize} utterances averaged ${round2(mean)}, at or below ${config.windowThreshold}; the latest: ${quoted}.`,
            text: utterance.text,
            score: round2(mean),
          },
        };
      }
    }
    const streak = said.slice(-config.streakLength);
    if (streak.length === config.streakLength && streak.every((u) => u.score <= config.negativeBelow)) {
      return {
        escalate: true,
        trigger: utterance,
        reason: {
          rule: 'streak',
          detail: `${config.streakLength} negative utterances in a row (each at or below ${config.negativeBelow}); the latest scored ${round2(utterance.score)}: ${quoted}.`,
          text: utterance.text,
          score: utterance.score,
        },
      };
    }
  }
  return { escalate: false };
}
