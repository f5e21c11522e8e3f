import type { AttemptOutcome, Session } from '../lib/core/model.js';
import { prompts } from '../lib/core/prompts.js';
import { sessionIdCandidates } from '../lib/core/session-ids.js';
import { decodeClientState } from '../lib/telnyx/client-state.js';
import type { DialBehavior, DialPolicy, SimCall, TelnyxSimulator } from './sim/index.js';

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
  /** Operator legs placed for the call (a refused dial places none). */
  readonly dials: number;
  /** How the last round's attempts ended, in order. */
  readonly outcomes?: readonly AttemptOutcome[];
  /** Escalation rounds the call went through. */
  readonly rounds?: number;
  /** Prompts the customer must have heard. */
  readonly heard?: readonly string[];
}

/**
 * How the operator numbers behave for a call. `answer`: a person who picks up and presses 1 after
 * the briefing; `none-answer`: nobody picks up; `voicemail-then-person`: a voicemail answers the
 * first number, a person the second; `first-refused`: Telnyx refuses the first dial; `leaves-once`:
 * the first operator to connect hangs up a while later, the next one stays.
 */
export type OperatorScript = 'answer' | 'none-answer' | 'voicemail-then-person' | 'first-refused' | 'leaves-once';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly lines: readonly Line[];
  /** Keys pressed after the menu starts; a second press comes later (a new round). */
  readonly press?: { readonly afterMs: number; readonly digits: string };
  readonly pressAgain?: { readonly afterMs: number; readonly digits: string };
  /** Telnyx answers 503 to these commands for a while, starting this long after the menu. */
  readonly outage?: { readonly afterMs: number; readonly forMs: number; readonly kinds: readonly string[] };
  /** The customer hangs up this long after the menu starts. */
  readonly hangUpAfterMs: number;
  readonly operators?: OperatorScript;
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
    hangUpAfterMs: 14000,
    expect: { escalated: true, rules: ['utterance', 'window', 'streak'], operatorConnected: true, dials: 1, outcomes: ['answered'] },
  },
  {
    name: 'presses-1',
    description: 'a customer who presses 1',
    lines: [],
    press: { afterMs: 800, digits: '1' },
    hangUpAfterMs: 9000,
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 1, outcomes: ['answered'] },
  },
  {
    name: 'asks-for-agent',
    description: 'a customer who asks for an agent',
    lines: [{ afterMs: 300, text: 'hello, can I speak to a representative please', score: 0.1 }],
    hangUpAfterMs: 12000,
    expect: { escalated: true, rules: ['request'], operatorConnected: true, dials: 1, outcomes: ['answered'] },
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
    hangUpAfterMs: 15000,
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: false, dials: 2, outcomes: ['no-answer', 'no-answer'], heard: [prompts.noOperator] },
  },
  {
    name: 'voicemail-then-person',
    description: 'a voicemail answers the first operator number, a person the second',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    operators: 'voicemail-then-person',
    hangUpAfterMs: 12000,
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 2, outcomes: ['voicemail', 'answered'], heard: [prompts.stillTrying] },
  },
  {
    name: 'first-refused',
    description: 'Telnyx refuses the first operator number',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    operators: 'first-refused',
    hangUpAfterMs: 9000,
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 1, outcomes: ['refused', 'answered'] },
  },
  {
    name: 'operator-leaves',
    description: 'the operator leaves; the customer presses 1 again and gets another',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    pressAgain: { afterMs: 11000, digits: '1' },
    operators: 'leaves-once',
    hangUpAfterMs: 19000,
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 2, outcomes: ['answered'], rounds: 2, heard: [prompts.operatorLeft] },
  },
  {
    name: 'telnyx-outage',
    description: 'Telnyx answers 503 for three seconds from the moment the customer presses 1',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    outage: { afterMs: 450, forMs: 3000, kinds: ['dial', 'speak', 'gather_stop'] },
    hangUpAfterMs: 14000,
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 1, outcomes: ['answered'], heard: [prompts.connecting] },
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
  /** When an outage window began, if the scenario has one. */
  outageAtMs?: number;
  finishedAtMs?: number;
  error?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The prompt an operator hears before they can take the call (see lib/core/prompts.ts). */
const takeTheCall = 'Press 1 to take the call';

/** A person at an operator number: picks up, hears the briefing, presses 1. */
export const operatorWhoTakesTheCall: DialBehavior = { answerAfterMs: 200, pressAfterPrompt: { digits: '1', whenPromptIncludes: takeTheCall } };

/** The far end of one operator dial, by the scenario of the call it is for and which attempt of which round it is. */
function operatorFor(script: OperatorScript, attempt: number, round: number): DialBehavior {
  switch (script) {
    case 'answer':
      return operatorWhoTakesTheCall;
    case 'none-answer':
      return { noAnswer: true };
    case 'voicemail-then-person':
      return attempt === 0 ? { answerAfterMs: 200, kind: 'voicemail' } : operatorWhoTakesTheCall;
    case 'first-refused':
      return attempt === 0 ? { refused: 403 } : operatorWhoTakesTheCall;
    case 'leaves-once':
      return round === 0 ? { ...operatorWhoTakesTheCall, hangupAfterMs: 5000 } : operatorWhoTakesTheCall;
  }
}

/** Whether a dial (by its client_state) is for the call whose customer leg this is. */
export function dialIsFor(customerCallControlId: string, clientState: string | null): boolean {
  const sessionId = decodeClientState(clientState)?.sessionId;
  return sessionId !== undefined && [...sessionIdCandidates(customerCallControlId)].includes(sessionId);
}

/** The operators' far ends for a set of runs: each dial behaves as its call's scenario says. */
export function scenarioDialPolicy(runs: readonly CallRun[]): DialPolicy {
  return ({ clientState }) => {
    const run = runs.find((r) => dialIsFor(r.customer.callControlId, clientState));
    const tag = decodeClientState(clientState);
    return operatorFor(run?.scenario.operators ?? 'answer', tag?.attempt ?? 0, tag?.round ?? 0);
  };
}

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
    const press = (p: { afterMs: number; digits: string }) => ({ at: p.afterMs, act: () => customer.press(p.digits) });
    const actions: { at: number; act: () => void | Promise<void> }[] = [
      ...scenario.lines.map((line) => ({
        at: line.afterMs,
        act: () => {
          customer.say(line.text, { final: true, score: line.score });
          run.said.push({ atMs: Date.now(), text: line.text });
        },
      })),
      ...(scenario.press ? [press(scenario.press)] : []),
      ...(scenario.pressAgain ? [press(scenario.pressAgain)] : []),
      ...(scenario.outage
        ? [
            {
              at: scenario.outage.afterMs,
              act: () => {
                run.outageAtMs = Date.now();
                // This call's commands only: its own leg's, and the dials for it.
                const affects = ({ callControlId, body }: { callControlId: string | undefined; body: Readonly<Record<string, unknown>> }) =>
                  callControlId === customer.callControlId || dialIsFor(customer.callControlId, typeof body.client_state === 'string' ? body.client_state : null);
                telnyx.outage({ kinds: [...scenario.outage!.kinds], fromMs: Date.now(), untilMs: Date.now() + scenario.outage!.forMs * timeScale, affects });
              },
            },
          ]
        : []),
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

/** The operator legs the simulator placed for a run's call. */
export function dialsFor(telnyx: TelnyxSimulator, run: CallRun) {
  return telnyx.dials().filter((d) => dialIsFor(run.customer.callControlId, d.clientState));
}

/** Checks a finished call against its scenario's expectation. */
export function judge(run: CallRun, session: Session | undefined, telnyx: TelnyxSimulator): Verdict {
  const problems: string[] = [];
  const { expect: want } = run.scenario;
  if (run.error) problems.push(`the call did not run: ${run.error}`);
  if (!session) {
    problems.push('no session was stored');
    return { ok: false, problems };
  }
  const escalation = session.escalation;
  if (session.status !== 'ended') problems.push(`session left ${session.status}`);
  if (session.poll.active) problems.push('poll chain still active');
  if (want.escalated !== (escalation !== undefined)) problems.push(want.escalated ? 'expected an escalation, none happened' : `unexpected escalation (${escalation?.reason.rule})`);
  if (want.rules && escalation && !want.rules.includes(escalation.reason.rule)) {
    problems.push(`escalated by ${escalation.reason.rule}, expected ${want.rules.join(' or ')}`);
  }
  if (want.operatorConnected !== undefined) {
    const connected = escalation?.connectedAtMs !== undefined;
    if (connected !== want.operatorConnected) problems.push(want.operatorConnected ? 'operator never connected' : 'an operator connected unexpectedly');
  }
  const dials = dialsFor(telnyx, run).length;
  if (dials !== want.dials) problems.push(`${dials} operator dials, expected ${want.dials}`);
  if (want.outcomes) {
    const outcomes = escalation?.attempts.map((a) => a.outcome ?? a.status) ?? [];
    if (JSON.stringify(outcomes) !== JSON.stringify(want.outcomes)) problems.push(`operator attempts ended ${JSON.stringify(outcomes)}, expected ${JSON.stringify(want.outcomes)}`);
  }
  if (want.rounds !== undefined && (escalation?.round ?? -1) + 1 !== want.rounds) problems.push(`${(escalation?.round ?? -1) + 1} escalation rounds, expected ${want.rounds}`);
  for (const prompt of want.heard ?? []) {
    if (!run.customer.heard.includes(prompt)) problems.push(`the customer never heard "${prompt}"`);
  }
  return { ok: problems.length === 0, problems };
}
