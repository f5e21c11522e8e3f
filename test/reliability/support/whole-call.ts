/**
 * One whole call through the harness (the real runtime against DynamoDB Local, fauxqs and the
 * Telnyx and Symbl simulators): answered, conferenced, analyzer joined, menu, DTMF 1, operators
 * dialed on legs of their own and screened until one takes the call, customer hangs up. And what
 * must hold afterwards, as a list of problems.
 */
import { prompts } from '../../../lib/core/prompts.js';
import type { AttemptOutcome, Session } from '../../../lib/core/model.js';
import type { SimCall } from '../../../local/sim/index.js';
import { numbers, type Harness } from '../../../local/harness.js';
import { dialIsFor } from '../../../local/scenarios.js';

export interface WholeCall {
  readonly customer: SimCall;
  /** The operator who took the call (in the conference once), else the last one dialed. */
  readonly operator: SimCall | undefined;
  readonly live: Session | undefined;
  readonly ended: Session | undefined;
  /** Things that did not happen in time, in order. */
  readonly stalls: string[];
}

export interface WholeCallOptions {
  /** Whether the analyzer is expected to join (false when Symbl is made to fail). */
  readonly analyzer?: boolean;
  readonly timeoutMs?: number;
  /** Called once the menu plays, before the customer presses 1. */
  readonly inMenu?: (customer: SimCall) => Promise<void>;
  /** What the round comes to: an operator taking the call (the default), every one failing, or the one connected leaving. */
  readonly ends?: 'connected' | 'failed' | 'left';
}

/** What the call's operators must come to (by default: the first number takes the call). */
export interface OperatorExpectation {
  /** Which of the numbers ends up with the customer, if any. */
  readonly taker?: number | undefined;
  /** Operator legs placed (a refused dial places none). */
  readonly legs: number;
  /** How the round's attempts ended, in order. */
  readonly outcomes: readonly AttemptOutcome[];
  readonly ends: 'connected' | 'failed' | 'left';
  /** Whether an operator of the round answered and heard why the call escalated (default true). */
  readonly briefed?: boolean;
}

const firstTakesTheCall: OperatorExpectation = { taker: 0, legs: 1, outcomes: ['answered'], ends: 'connected' };

async function step<T>(stalls: string[], what: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    stalls.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/**
 * Telnyx commands that failed for now and were not sent again (yet) with their command_id, but
 * for a dial that stopped mattering: its leg was placed after all (its answer was what got lost).
 */
export function commandsNotRetried(h: Harness): string[] {
  const last = new Map<string, (typeof h.telnyx.requests)[number]>();
  for (const r of h.telnyx.requests) if (r.commandId !== undefined) last.set(r.commandId, r);
  const placed = new Set(h.telnyx.dials().map((d) => d.commandId));
  return [...last.values()]
    .filter((r) => r.outcome === 'fault' && !(r.kind === 'dial' && placed.has(r.commandId)))
    .map((r) => `${r.kind} ${r.commandId ?? ''} (${r.fault ?? 'outage'})`);
}

/** Waits until every command that failed for now has been sent again (through the queue, when the executor gave up for now). */
const untilRetried = (h: Harness, timeoutMs: number) => h.telnyx.waitFor(() => commandsNotRetried(h).length === 0, timeoutMs);

/** The operator leg that ever joined a conference, of the call whose customer leg this is (of any call when not given). */
const joinedOperator = (h: Harness, customer?: SimCall) => {
  const ever = new Set([...h.telnyx.conferences.values()].filter((c) => customer === undefined || c.creatorCallControlId === customer.callControlId).flatMap((c) => c.history.map((e) => e.callControlId)));
  return h.telnyx.dials().find((d) => ever.has(d.callControlId) && (customer === undefined || dialIsFor(customer.callControlId, d.clientState)));
};

export async function wholeCall(h: Harness, options: WholeCallOptions = {}): Promise<WholeCall> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const stalls: string[] = [];
  const customer = h.call();
  await step(stalls, 'the menu', () => h.telnyx.waitFor(() => customer.heard.includes(prompts.menu), timeoutMs));
  if (options.analyzer !== false) {
    await step(stalls, 'the analyzer joining', () => h.telnyx.waitFor(() => [...h.symbl.connections.values()].some((c) => c.joinedAt !== undefined), timeoutMs));
  }
  await options.inMenu?.(customer);
  const menusBefore = customer.heard.filter((t) => t === prompts.menu).length;
  await customer.press('1');
  await step(stalls, 'an operator dial', () => h.telnyx.waitFor(() => h.telnyx.dialOutcomes().find((d) => dialIsFor(customer.callControlId, d.clientState)), timeoutMs));
  const ends = options.ends ?? 'connected';
  const over = () => customer.heard.filter((t) => t === prompts.menu).length > menusBefore;
  if (ends === 'connected') await step(stalls, 'an operator joining the customer', () => h.telnyx.waitFor(() => joinedOperator(h, customer), timeoutMs));
  else await step(stalls, `the round ending (${ends}) and the menu again`, () => h.telnyx.waitFor(() => over(), timeoutMs));
  await step(stalls, 'the commands that failed for now, retried', () => untilRetried(h, timeoutMs));
  await step(stalls, 'settling before the hangup', () => h.settle(timeoutMs));
  const live = (await h.sessionOf(customer))?.session;
  const operatorDial = joinedOperator(h, customer) ?? h.telnyx.dials().filter((d) => dialIsFor(customer.callControlId, d.clientState)).at(-1);
  const operator = operatorDial ? h.telnyx.calls.get(operatorDial.callControlId) : undefined;
  customer.hangup();
  await step(stalls, 'the conference ending', () =>
    h.telnyx.waitFor(() => [...h.telnyx.conferences.values()].every((c) => c.status === 'completed'), timeoutMs),
  );
  await step(stalls, 'every leg hanging up', () => h.telnyx.waitFor(() => [...h.telnyx.calls.values()].every((c) => c.state === 'hangup'), timeoutMs));
  await step(stalls, 'the clean-up commands that failed for now, retried', () => untilRetried(h, timeoutMs));
  await step(stalls, 'settling after the hangup', () => h.settle(timeoutMs));
  const ended = (await h.sessionOf(customer))?.session;
  return { customer, operator, live, ended, stalls };
}

/** What a whole call must look like, faults or not: the same outcome, each effect once, no command lost (of a harness that ran this one call). */
export function wholeCallProblems(h: Harness, call: WholeCall, options: { analyzer?: boolean; operators?: OperatorExpectation } = {}): string[] {
  const problems = [...call.stalls];
  const { customer, operator, live, ended } = call;
  const expected = options.operators ?? firstTakesTheCall;
  const dials = h.telnyx.dials();
  if (dials.length !== expected.legs) problems.push(`operator legs: ${JSON.stringify(dials.map((d) => d.to))}, expected ${expected.legs}`);
  const joined = joinedOperator(h);
  const taker = expected.taker === undefined ? undefined : numbers.operators[expected.taker];
  if (joined?.to !== taker) problems.push(`the operator who joined the customer is ${String(joined?.to)}, expected ${String(taker)}`);
  if (!customer.heard.includes(prompts.connecting)) problems.push('the customer was not told they are being connected');
  if (expected.outcomes.length > 1 && !customer.heard.includes(prompts.stillTrying)) problems.push('the customer was not told another number is being tried');
  if (expected.ends === 'connected' && operator && operator.heard.filter((t) => t.startsWith('Escalated call.')).length !== 1) problems.push('the operator was not briefed, once, on their own leg');
  for (const d of dials) {
    const briefings = h.telnyx.calls.get(d.callControlId)?.heard.filter((t) => t.startsWith('Escalated call.')).length ?? 0;
    if (briefings > 1) problems.push(`operator ${d.to} heard the briefing ${briefings} times`);
  }
  if (expected.ends === 'left') {
    const left = customer.heard.lastIndexOf(prompts.operatorLeft);
    if (left < 0 || !customer.heard.slice(left + 1).includes(prompts.menu)) problems.push('the operator left, but the customer did not hear it and the menu');
  }
  if (expected.ends === 'failed') {
    const sorry = customer.heard.lastIndexOf(prompts.noOperator);
    if (sorry < 0 || !customer.heard.slice(sorry + 1).includes(prompts.menu)) problems.push('every operator failed, but the customer did not hear the apology and the menu');
  }
  if (!live) problems.push('no session');
  else {
    const escalation = live.escalation;
    if (escalation?.status !== expected.ends || escalation.briefed !== (expected.briefed ?? true)) problems.push(`escalation ${JSON.stringify(escalation?.status)}, briefed ${String(escalation?.briefed)}`);
    const outcomes = escalation?.attempts.map((a) => a.outcome);
    if (JSON.stringify(outcomes) !== JSON.stringify(expected.outcomes)) problems.push(`attempts ended ${JSON.stringify(outcomes)}, expected ${JSON.stringify(expected.outcomes)}`);
    const analyzerStatus = live.analyzer.status;
    if (options.analyzer !== false && analyzerStatus !== 'joined') problems.push(`analyzer ${analyzerStatus}, expected joined`);
    if (options.analyzer === false && analyzerStatus !== 'failed') problems.push(`analyzer ${analyzerStatus}, expected failed`);
  }
  if (!ended || ended.status !== 'ended' || ended.poll.active) problems.push(`after the hangup the session is ${ended?.status}, polling ${String(ended?.poll.active)}`);
  if (h.telnyx.conferences.size !== 1) problems.push(`${h.telnyx.conferences.size} conferences`);
  for (const c of h.telnyx.conferences.values()) if (c.status !== 'completed') problems.push(`conference ${c.status} after the customer left`);
  for (const leg of h.telnyx.calls.values()) if (leg.state !== 'hangup') problems.push(`leg to ${leg.to} still ${leg.state} after the customer left`);
  for (const connection of h.symbl.connections.values()) {
    if (connection.status === 'dialing' || connection.status === 'connected') problems.push(`Symbl connection still ${connection.status}`);
  }
  if (h.symbl.connections.size > 1) problems.push(`Symbl started ${h.symbl.connections.size} times`);
  // One-shot commands: executed once on their target (a dial: its attempt) however often they were sent.
  const executed = new Map<string, number>();
  for (const r of h.telnyx.requests) {
    if (r.outcome !== 'executed' || !['answer', 'conference_create', 'conference_join', 'dial', 'conference_end'].includes(r.kind)) continue;
    const target = r.kind === 'dial' ? String((r.body as { client_state?: unknown }).client_state) : (r.callControlId ?? r.conferenceId ?? '');
    const key = `${r.kind} ${target}`;
    executed.set(key, (executed.get(key) ?? 0) + 1);
  }
  for (const [key, count] of executed) if (count > 1) problems.push(`${key} executed ${count} times`);
  // A command_id takes effect once, however often it was sent.
  const byId = new Map<string, number>();
  for (const r of h.telnyx.requests) if (r.outcome === 'executed' && r.commandId !== undefined) byId.set(r.commandId, (byId.get(r.commandId) ?? 0) + 1);
  for (const [commandId, count] of byId) if (count > 1) problems.push(`command ${commandId} took effect ${count} times`);
  const withoutId = h.telnyx.requests.filter((r) => r.method === 'POST' && !r.commandId);
  if (withoutId.length > 0) problems.push(`${withoutId.length} Telnyx commands without a command_id`);
  for (const lost of commandsNotRetried(h)) problems.push(`failed for now and never sent again: ${lost}`);
  if (h.telnyx.errors.length > 0 || h.symbl.errors.length > 0) problems.push(`simulator errors: ${String([...h.telnyx.errors, ...h.symbl.errors])}`);
  return problems;
}

/** Telnyx requests the simulator failed on purpose (faults and outage windows). */
export const telnyxFaults = (h: Harness) => h.telnyx.requests.filter((r) => r.outcome === 'fault');
