import { prompts } from '../lib/core/prompts.js';
import type { Session } from '../lib/core/model.js';
import type { SimCall, TelnyxSimulator } from './sim/index.js';

/** One thing the customer says: when (ms after the menu starts), what, and how it was meant. */
export interface Line {
  readonly afterMs: number;
  readonly text: string;
  /** The polarity a human would give it; the Symbl simulator reports it, the local scorer finds its own. */
  readonly score: number;
}

/** What a scenario's call must end with. */
export interface Expectation {
  readonly escalated: boolean;
  /** Rules that count as the right reason (either of the sentiment rules may fire first). */
  readonly rules?: readonly string[];
  readonly operatorConnected?: boolean;
  readonly dials: number;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly lines: readonly Line[];
  /** Keys pressed after the menu starts. */
  readonly press?: { readonly afterMs: number; readonly digits: string };
  /** The customer hangs up this long after the menu starts. */
  readonly hangUpAfterMs: number;
  /** How the operator numbers behave for this call's escalation. */
  readonly operators?: 'answer' | 'none-answer';
  readonly expect: Expectation;
}

export const scenarios: readonly Scenario[] = [
  {
    name: 'angry',
    description: 'a customer who gets angry',
    lines: [
      { afterMs: 300, text: 'hi I am calling about the charge on my bill', score: 0.05 },
      { afterMs: 1500, text: 'I was already on hold for an hour yesterday', score: -0.35 },
      { afterMs: 2700, text: 'this is absolutely terrible, I am furious and disgusted', score: -0.9 },
    ],
    hangUpAfterMs: 12000,
    expect: { escalated: true, rules: ['utterance', 'window', 'streak'], operatorConnected: true, dials: 1 },
  },
  {
    name: 'presses-1',
    description: 'a customer who presses 1',
    lines: [],
    press: { afterMs: 800, digits: '1' },
    hangUpAfterMs: 6000,
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 1 },
  },
  {
    name: 'asks-for-agent',
    description: 'a customer who asks for an agent',
    lines: [
      { afterMs: 300, text: 'hello, can I speak to a representative please', score: 0.1 },
    ],
    hangUpAfterMs: 10000,
    expect: { escalated: true, rules: ['request'], operatorConnected: true, dials: 1 },
  },
  {
    name: 'calm',
    description: 'a calm customer who hangs up',
    lines: [
      { afterMs: 300, text: 'hi I just wanted to check the status of my order', score: 0.1 },
      { afterMs: 1500, text: 'great, thank you so much for your help', score: 0.8 },
    ],
    hangUpAfterMs: 4000,
    expect: { escalated: false, dials: 0 },
  },
  {
    name: 'no-operator',
    description: 'a customer whose operators do not answer',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    operators: 'none-answer',
    hangUpAfterMs: 9000,
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: false, dials: 2 },
  },
];

export interface CallRun {
  readonly scenario: Scenario;
  readonly customer: SimCall;
  readonly startedAtMs: number;
  /** When the customer first heard the menu. */
  menuAtMs?: number;
  /** What the customer said, and when they finished saying it. */
  readonly said: { atMs: number; text: string }[];
  finishedAtMs?: number;
  error?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Plays one scenario as the customer: call, wait for the menu, say the lines, press keys, hang
 * up. `timeScale` shortens every wait (the simulators use the same scale). The call is placed
 * at once; `finished` resolves when the customer is done.
 */
export function playScenario(telnyx: TelnyxSimulator, scenario: Scenario, from: string, to: string, timeScale = 1): { run: CallRun; finished: Promise<CallRun> } {
  const customer = telnyx.placeInboundCall({ from, to });
  const run: CallRun = { scenario, customer, startedAtMs: Date.now(), said: [] };
  return { run, finished: act(telnyx, run, timeScale) };
}

async function act(telnyx: TelnyxSimulator, run: CallRun, timeScale: number): Promise<CallRun> {
  const { scenario, customer } = run;
  try {
    await telnyx.waitFor(() => customer.heard.includes(prompts.menu) || customer.state === 'hangup', 30_000);
    run.menuAtMs = Date.now();
    const actions: { at: number; act: () => void | Promise<void> }[] = [
      ...scenario.lines.map((line) => ({
        at: line.afterMs,
        act: () => {
          customer.say(line.text, { final: true, score: line.score });
          run.said.push({ atMs: Date.now(), text: line.text });
        },
      })),
      ...(scenario.press ? [{ at: scenario.press.afterMs, act: () => customer.press(scenario.press!.digits) }] : []),
      { at: scenario.hangUpAfterMs, act: () => customer.hangup() },
    ].sort((a, b) => a.at - b.at);
    let elapsed = 0;
    for (const action of actions) {
      const wait = (action.at - elapsed) * timeScale;
      if (wait > 0) await sleep(wait);
      elapsed = action.at;
      if (customer.state === 'hangup') break;
      await action.act();
    }
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
  }
  run.finishedAtMs = Date.now();
  return run;
}

export interface Verdict {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** Checks a finished call against its scenario's expectation. */
export function judge(run: CallRun, session: Session | undefined, dialsToConference: number): Verdict {
  const problems: string[] = [];
  const { expect: want } = run.scenario;
  if (run.error) problems.push(`the call did not run: ${run.error}`);
  if (!session) {
    problems.push('no session was stored');
    return { ok: false, problems };
  }
  if (session.status !== 'ended') problems.push(`session left ${session.status}`);
  if (session.poll.active) problems.push('poll chain still active');
  if (want.escalated !== (session.escalation !== undefined)) problems.push(want.escalated ? 'expected an escalation, none happened' : `unexpected escalation (${session.escalation?.reason.rule})`);
  if (want.rules && session.escalation && !want.rules.includes(session.escalation.reason.rule)) {
    problems.push(`escalated by ${session.escalation.reason.rule}, expected ${want.rules.join(' or ')}`);
  }
  if (want.operatorConnected !== undefined) {
    const connected = session.escalation?.connectedAtMs !== undefined;
    if (connected !== want.operatorConnected) problems.push(want.operatorConnected ? 'operator never connected' : 'an operator connected unexpectedly');
  }
  if (dialsToConference !== want.dials) problems.push(`${dialsToConference} operator dials, expected ${want.dials}`);
  return { ok: problems.length === 0, problems };
}
