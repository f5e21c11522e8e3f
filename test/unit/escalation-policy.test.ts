import { describe, expect, it } from 'vitest';
import type { PolicySettings } from '../../lib/core/model.js';
import { asksForHuman, evaluatePolicy, isPromptEcho } from '../../lib/core/escalation-policy.js';
import type { Utterance } from '../../lib/core/model.js';
import { prompts } from '../../lib/core/prompts.js';

const config: PolicySettings = { utteranceThreshold: -0.7, windowSize: 3, windowThreshold: -0.45, streakLength: 3, negativeBelow: -0.3 };
let n = 0;
const u = (score: number, text = `utterance ${++n}`, atMs = n * 1000): Utterance => ({ id: `u${n}-${atMs}`, text, score, atMs });

describe('single utterance rule', () => {
  it.each([
    [-0.7, true],
    [-0.71, true],
    [-0.69, false],
    [0.9, false],
  ])('score %d escalates: %s', (score, expected) => {
    const decision = evaluatePolicy([], [u(score, 'the service is slow')], { ...config, windowSize: 50, streakLength: 50 });
    expect(decision.escalate).toBe(expected);
    if (decision.escalate) expect(decision.reason).toMatchObject({ rule: 'utterance', score, text: 'the service is slow' });
  });
});

describe('rolling window rule', () => {
  it('fires when the mean of the last N reaches the window threshold', () => {
    const history = [u(-0.5), u(-0.4)];
    const decision = evaluatePolicy(history, [u(-0.45)], { ...config, streakLength: 10 });
    expect(decision).toMatchObject({ escalate: true, reason: { rule: 'window', score: -0.45 } });
  });

  it('does not fire just above the threshold', () => {
    const decision = evaluatePolicy([u(-0.5), u(-0.4)], [u(-0.44)], { ...config, streakLength: 10 });
    expect(decision.escalate).toBe(false);
  });

  it('does not fire before the window is full', () => {
    const decision = evaluatePolicy([], [u(-0.6), u(-0.6)], { ...config, streakLength: 10 });
    expect(decision.escalate).toBe(false);
  });

  it('only the last N count: an old bad patch does not linger', () => {
    const decision = evaluatePolicy([u(-0.69), u(-0.69), u(0.5), u(0.5)], [u(0.1)], config);
    expect(decision.escalate).toBe(false);
  });
});

describe('streak rule', () => {
  const noWindow = { ...config, windowThreshold: -0.99, utteranceThreshold: -1 };
  it('fires on K negatives in a row', () => {
    const decision = evaluatePolicy([u(-0.3), u(-0.35)], [u(-0.31)], noWindow);
    expect(decision).toMatchObject({ escalate: true, reason: { rule: 'streak' } });
  });

  it('a neutral utterance breaks the streak', () => {
    const decision = evaluatePolicy([u(-0.4), u(-0.29)], [u(-0.4)], noWindow);
    expect(decision.escalate).toBe(false);
  });
});

describe('explicit request for a person', () => {
  it.each([
    'I want to speak to someone',
    'Can I talk to a human please',
    'get me an agent',
    'Representative!',
    'operator',
    'let me talk with a real person',
  ])('"%s" escalates at once, even when calm', (text) => {
    const decision = evaluatePolicy([], [u(0.2, text)], config);
    expect(decision).toMatchObject({ escalate: true, reason: { rule: 'request', text } });
  });

  it.each(['I already spoke with the bank', 'my order number is 55', 'the person at the store said so', 'humane society donation'])(
    '"%s" is not a request',
    (text) => {
      expect(asksForHuman(text)).toBe(false);
    },
  );

  it('a request wins over a negative score in the same utterance', () => {
    const decision = evaluatePolicy([], [u(-0.9, 'this is awful, give me an operator')], config);
    expect(decision.escalate && decision.reason.rule).toBe('request');
  });
});

describe('ordering and prompts', () => {
  it('evaluates fresh utterances by time, not arrival order', () => {
    const later = u(-0.95, 'later and angry', 5000);
    const earlier = u(0.2, 'speak to someone', 1000);
    const decision = evaluatePolicy([], [later, earlier], config);
    expect(decision.escalate && decision.reason.rule).toBe('request');
  });

  it('recognises the menu prompt heard back through the conference', () => {
    expect(isPromptEcho(prompts.menu)).toBe(true);
    expect(isPromptEcho('press 1 to speak with an operator press 2 to hear these options again')).toBe(true);
    expect(isPromptEcho('I pressed 1 and nobody came and I am furious')).toBe(false);
    expect(isPromptEcho('operator')).toBe(false);
  });

  it('reasons are readable: rule, text and score appear in the detail', () => {
    const decision = evaluatePolicy([], [u(-0.82, 'this is ridiculous')], config);
    expect(decision.escalate && decision.reason.detail).toBe('One utterance scored -0.82, at or below -0.7: "this is ridiculous".');
  });

  it('nothing fresh, nothing decided', () => {
    expect(evaluatePolicy([u(-1)], [], config).escalate).toBe(false);
  });
});

describe('the policy orders utterances by when they were said', () => {
  const u = (id: string, atMs: number, score: number) => ({ id, text: `line ${id}`, score, atMs });

  it('a calm utterance heard late does not break a streak it was not part of', () => {
    const history = [u('a', 1000, -0.4), u('b', 2000, -0.4)];
    // Said before the streak began, heard only now: the streak is a, b, c.
    const verdict = evaluatePolicy(history, [u('early', 500, 0.9), u('c', 3000, -0.4)], config);
    expect(verdict).toMatchObject({ escalate: true, reason: { rule: 'streak', text: 'line c' } });
  });

  it('a negative utterance heard late is judged with what came before it, not after', () => {
    const history = [u('a', 1000, 0.5), u('b', 2000, 0.5), u('c', 3000, 0.5)];
    const verdict = evaluatePolicy(history, [u('late', 500, -0.4)], config);
    // As of when it was said it was the first utterance: no window or streak yet.
    expect(verdict).toEqual({ escalate: false });
  });
});
