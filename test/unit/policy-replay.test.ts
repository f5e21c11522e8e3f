import { describe, expect, it } from 'vitest';
import type { PolicySettings, Utterance } from '../../lib/core/model.js';
import { replayCalls, type ReplayCall } from '../../lib/core/policy-replay.js';
import { callVerdict } from '../../lib/core/verdicts.js';

const live: PolicySettings = { utteranceThreshold: -0.7, windowSize: 3, windowThreshold: -0.45, streakLength: 3, negativeBelow: -0.3 };
const u = (id: string, score: number, atMs: number): Utterance => ({ id, text: `sentence ${id}`, score, atMs });

/** A call as the live policy would have recorded it. */
function call(sessionId: string, utterances: Utterance[], keypadAtMs?: number): ReplayCall {
  const verdict = callVerdict(utterances, live);
  return {
    sessionId,
    startedAtMs: 0,
    utterances,
    verdicts: { ...(verdict ? { live: verdict } : {}), ...(keypadAtMs !== undefined ? { keypadAtMs } : {}) },
    escalated: verdict !== undefined || keypadAtMs !== undefined,
  };
}

const calls = [
  call('calm', [u('a', 0.3, 1000), u('b', 0.1, 2000)]),
  call('sour', [u('a', -0.2, 1000), u('b', -0.6, 2000), u('c', -0.1, 3000)]),
  call('furious', [u('a', -0.6, 1000), u('b', -0.9, 2000)]),
  call('keyed', [u('a', -0.65, 1000), u('b', 0.2, 2000)], 5000),
];

describe('replaying stored calls', () => {
  it('under the live policy: every verdict reproduced, nothing changes', () => {
    const report = replayCalls(calls, live, live);
    expect(report).toMatchObject({ callsRead: 4, escalatedNow: 2, escalatedUnderCandidate: 2, reproduced: 4, notReproduced: [], changes: [] });
  });

  it('under a looser threshold: the calls that change, how, and on which sentence', () => {
    const report = replayCalls(calls, live, { ...live, utteranceThreshold: -0.55, windowThreshold: -0.45 });
    expect(report.escalatedUnderCandidate).toBe(3);
    expect(report.counts).toEqual({ newly: 1, never: 0, earlier: 2, later: 0, 'other-rule': 0 });
    expect(report.changes).toEqual([
      { sessionId: 'sour', change: 'newly', candidate: expect.objectContaining({ rule: 'utterance', atMs: 2000, text: 'sentence b' }) },
      {
        sessionId: 'furious',
        change: 'earlier',
        now: expect.objectContaining({ atMs: 2000, text: 'sentence b' }),
        candidate: expect.objectContaining({ atMs: 1000, text: 'sentence a' }),
      },
      { sessionId: 'keyed', change: 'earlier', now: expect.objectContaining({ rule: 'dtmf', atMs: 5000 }), candidate: expect.objectContaining({ rule: 'utterance', atMs: 1000 }) },
    ]);
  });

  it('under a stricter one: a call escalated by keypad stays escalated; one escalated by speech may never be', () => {
    const report = replayCalls(calls, live, { ...live, utteranceThreshold: -0.95, windowThreshold: -0.9 });
    expect(report.changes.map((c) => [c.sessionId, c.change])).toEqual([['furious', 'never']]);
    expect(report.escalatedUnderCandidate).toBe(1);
  });

  it('says which calls its replay under the live policy does not reproduce', () => {
    const [calm] = calls;
    const odd: ReplayCall = { ...calm!, sessionId: 'odd', verdicts: { live: { rule: 'utterance', detail: '', text: 'elsewhere', score: -0.9, atMs: 1500 } }, escalated: true };
    expect(replayCalls([odd], live, live)).toMatchObject({ reproduced: 0, notReproduced: ['odd'] });
  });

  it('gives each call its lowest score and lowest rolling mean (none for calls shorter than the window)', () => {
    const lows = replayCalls(calls, live, live).lows;
    expect(lows[1]).toEqual({ sessionId: 'sour', lowestScore: -0.6, lowestWindowMean: expect.closeTo(-0.3, 10) });
    expect(lows[0]).toEqual({ sessionId: 'calm', lowestScore: 0.1 });
  });
});
