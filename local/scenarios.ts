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
 * the first operator to connect hangs up a while after joining the customer, the next one stays.
 */
export type OperatorScript = 'answer' | 'none-answer' | 'voicemail-then-person' | 'first-refused' | 'leaves-once';

/**
 * What a customer waits for before they act, as a person on the phone does: the menu starting,
 * an operator with them on the call, or a prompt heard. A customer reacts to the call, not to a
 * stopwatch, so a slow machine makes a call longer, never a different story.
 */
export type Cue = 'menu' | 'operator' | { readonly heard: string };

/** An act `afterMs` after its cue (the menu starting, when none is given). */
export interface Timed {
  readonly afterMs: number;
  readonly cue?: Cue;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly lines: readonly Line[];
  /** Keys pressed after the menu starts; a second press comes later (a new round). */
  readonly press?: Timed & { readonly digits: string };
  readonly pressAgain?: Timed & { readonly digits: string };
  /** Telnyx answers 503 to these commands for a while, starting this long after the menu. */
  readonly outage?: { readonly afterMs: number; readonly forMs: number; readonly kinds: readonly string[] };
  /** When the customer hangs up. */
  readonly hangUp: Timed;
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
    hangUp: { cue: 'operator', afterMs: 3000 },
    expect: { escalated: true, rules: ['utterance', 'window', 'streak'], operatorConnected: true, dials: 1, outcomes: ['answered'] },
  },
  {
    name: 'presses-1',
    description: 'a customer who presses 1',
    lines: [],
    press: { afterMs: 800, digits: '1' },
    hangUp: { cue: 'operator', afterMs: 3000 },
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 1, outcomes: ['answered'] },
  },
  {
    name: 'asks-for-agent',
    description: 'a customer who asks for an agent',
    lines: [{ afterMs: 300, text: 'hello, can I speak to a representative please', score: 0.1 }],
    hangUp: { cue: 'operator', afterMs: 3000 },
    expect: { escalated: true, rules: ['request'], operatorConnected: true, dials: 1, outcomes: ['answered'] },
  },
  {
    name: 'calm',
    description: 'a calm customer who hangs up',
    lines: [
      { afterMs: 300, text: 'hi I just wanted to check the status of my order', score: 0.1 },
      { afterMs: 1500, text: 'great, thank you so much for your help', score: 0.8 },
    ],
    hangUp: { afterMs: 4000 },
    expect: { escalated: false, dials: 0 },
  },
  {
    name: 'no-operator',
    description: 'a customer whose operators do not answer',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    operators: 'none-answer',
    hangUp: { cue: { heard: prompts.noOperator }, afterMs: 2000 },
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: false, dials: 2, outcomes: ['no-answer', 'no-answer'], heard: [prompts.noOperator] },
  },
  {
    name: 'voicemail-then-person',
    description: 'a voicemail answers the first operator number, a person the second',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    operators: 'voicemail-then-person',
    hangUp: { cue: 'operator', afterMs: 3000 },
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 2, outcomes: ['voicemail', 'answered'], heard: [prompts.stillTrying] },
  },
  {
    name: 'first-refused',
    description: 'Telnyx refuses the first operator number',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    operators: 'first-refused',
    hangUp: { cue: 'operator', afterMs: 3000 },
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 1, outcomes: ['refused', 'answered'] },
  },
  {
    name: 'operator-leaves',
    description: 'the operator leaves; the customer presses 1 again and gets another',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    // Told the operator left, the customer waits for the menu to begin and presses 1 again.
    pressAgain: { cue: { heard: prompts.operatorLeft }, afterMs: 1500, digits: '1' },
    operators: 'leaves-once',
    hangUp: { cue: 'operator', afterMs: 3000 },
    expect: { escalated: true, rules: ['dtmf'], operatorConnected: true, dials: 2, outcomes: ['answered'], rounds: 2, heard: [prompts.operatorLeft] },
  },
  {
    name: 'telnyx-outage',
    description: 'Telnyx answers 503 for three seconds from the moment the customer presses 1',
    lines: [],
    press: { afterMs: 500, digits: '1' },
    outage: { afterMs: 450, forMs: 3000, kinds: ['dial', 'speak', 'gather_stop'] },
    hangUp: { cue: 'operator', afterMs: 3000 },
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
      return round === 0 ? { ...operatorWhoTakesTheCall, hangupAfterJoinMs: 2000 } : operatorWhoTakesTheCall;
  }
}

/** Whether a dial (by its client_state) is for the call whose customer leg this is. */
export function dialIsFor(customerCallControlId: string, clientState: string | null): boolean {
  const sessionId = sessionOfClientState(clientState);
  return sessionId !== undefined && candidatesOf(customerCallControlId).has(sessionId);
}

// Scripted callers ask this on every change of the simulated world, for every dial: hashing and
// decoding each time made the callers, not the product, the busiest part of a 100-call run.
const candidates = new Map<string, ReadonlySet<string>>();
const clientStateSessions = new Map<string, string | undefined>();
function candidatesOf(customerCallControlId: string): ReadonlySet<string> {
  let known = candidates.get(customerCallControlId);
  if (!known) candidates.set(customerCallControlId, (known = new Set(sessionIdCandidates(customerCallControlId))));
  return known;
}
function sessionOfClientState(clientState: string | null): string | undefined {
  if (clientState === null) return undefined;
  if (!clientStateSessions.has(clientState)) clientStateSessions.set(clientState, decodeClientState(clientState)?.sessionId);
  return clientStateSessions.get(clientState);
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

/** Real ms a customer waits for a cue before acting anyway (the judge then says what never came). */
const cueWaitMs = 60_000;

/** Whether an operator dialed for this call is in the customer's conference now. */
function operatorWithCustomer(telnyx: TelnyxSimulator, run: CallRun): boolean {
  const conferenceId = run.customer.conferenceId;
  const participants = conferenceId === undefined ? undefined : telnyx.conferences.get(conferenceId)?.participants;
  return participants !== undefined && dialsFor(telnyx, run).some((dial) => participants.has(dial.callControlId));
}

async function act(telnyx: TelnyxSimulator, run: CallRun, timeScale: number): Promise<CallRun> {
  const { scenario, customer } = run;
  const over = () => customer.state === 'hangup';
  /** Waits for a cue (or the customer's call to end); false when it never came. */
  const cued = async (cue: Cue): Promise<boolean> => {
    const met = cue === 'menu' ? () => true : cue === 'operator' ? () => operatorWithCustomer(telnyx, run) : () => customer.heard.includes(cue.heard);
    try {
      await telnyx.waitFor(() => met() || over(), cueWaitMs);
    } catch {
      return false;
    }
    return met();
  };
  try {
    await telnyx.waitFor(() => customer.heard.includes(prompts.menu) || over(), 30_000);
    run.menuAtMs = Date.now();
    const press = (p: Timed & { digits: string }) => ({ ...p, act: () => customer.press(p.digits) });
    const actions: (Timed & { act: () => void | Promise<void> })[] = [
      ...scenario.lines.map((line) => ({
        afterMs: line.afterMs,
        act: () => {
          customer.say(line.text, { final: true, score: line.score });
          run.said.push({ atMs: Date.now(), text: line.text });
        },
      })),
      ...(scenario.press ? [press(scenario.press)] : []),
      ...(scenario.outage
        ? [
            {
              afterMs: scenario.outage.afterMs,
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
    ];
    // What the customer does from the menu on, in time order; then what waits on a cue, in turn.
    const fromMenu = [...actions, ...(scenario.pressAgain && !scenario.pressAgain.cue ? [press(scenario.pressAgain)] : [])].sort((a, b) => a.afterMs - b.afterMs);
    let elapsed = 0;
    for (const action of fromMenu) {
      const wait = (action.afterMs - elapsed) * timeScale;
      if (wait > 0) await sleep(wait);
      elapsed = action.afterMs;
      if (over()) break;
      await action.act();
    }
    const later = [...(scenario.pressAgain?.cue ? [press(scenario.pressAgain)] : []), { ...scenario.hangUp, act: () => customer.hangup() }];
    for (const action of later) {
      if (over()) break;
      if (action.cue && action.cue !== 'menu') await cued(action.cue);
      else await sleep(Math.max(0, action.afterMs - elapsed) * timeScale);
      if (action.cue && action.cue !== 'menu') await sleep(action.afterMs * timeScale);
      if (over()) break;
      await action.act();
    }
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    // A caller who gave up waiting hangs up, as a person would: the call is judged on what came before.
    if (!over()) customer.hangup();
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
