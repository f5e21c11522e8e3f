/**
 * One whole call through the harness (the real runtime against DynamoDB Local, fauxqs and the
 * Telnyx and Symbl simulators): answered, conferenced, analyzer joined, menu, DTMF 1, operator
 * dialed and briefed, customer hangs up. And what must hold afterwards, as a list of problems.
 */
import { prompts } from '../../../lib/core/prompts.js';
import type { Session } from '../../../lib/core/model.js';
import type { SimCall } from '../../../local/sim/index.js';
import { numbers, type Harness } from '../../../local/harness.js';

export interface WholeCall {
  readonly customer: SimCall;
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
}

async function step<T>(stalls: string[], what: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    stalls.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

export async function wholeCall(h: Harness, options: WholeCallOptions = {}): Promise<WholeCall> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const stalls: string[] = [];
  const customer = h.call();
  await step(stalls, 'the menu', () => h.telnyx.waitFor(() => customer.heard.includes(prompts.menu), timeoutMs));
  if (options.analyzer !== false) {
    await step(stalls, 'the analyzer joining', () => h.telnyx.waitFor(() => [...h.symbl.connections.values()].some((c) => c.joinedAt !== undefined), timeoutMs));
  }
  await options.inMenu?.(customer);
  await customer.press('1');
  const dial = await step(stalls, 'the operator dial', () => h.telnyx.waitFor(() => h.telnyx.dials()[0], timeoutMs));
  const operator = dial ? h.telnyx.calls.get(dial.callControlId) : undefined;
  if (operator) await step(stalls, 'the briefing', () => h.telnyx.waitFor(() => operator.heard.some((t) => t.startsWith('Escalated call.')), timeoutMs));
  await step(stalls, 'settling before the hangup', () => h.settle(timeoutMs));
  const live = (await h.sessionOf(customer))?.session;
  customer.hangup();
  await step(stalls, 'the conference ending', () =>
    h.telnyx.waitFor(() => [...h.telnyx.conferences.values()].every((c) => c.status === 'completed'), timeoutMs),
  );
  await step(stalls, 'every leg hanging up', () => h.telnyx.waitFor(() => [...h.telnyx.calls.values()].every((c) => c.state === 'hangup'), timeoutMs));
  await step(stalls, 'settling after the hangup', () => h.settle(timeoutMs));
  const ended = (await h.sessionOf(customer))?.session;
  return { customer, operator, live, ended, stalls };
}

/** What a whole call must look like, faults or not: the same outcome, each effect once. */
export function wholeCallProblems(h: Harness, call: WholeCall, options: { analyzer?: boolean } = {}): string[] {
  const problems = [...call.stalls];
  const { customer, operator, live, ended } = call;
  const dials = h.telnyx.dials();
  if (dials.length !== 1 || dials[0]?.to !== numbers.operators[0]) problems.push(`dials: ${JSON.stringify(dials.map((d) => d.to))}, expected one to ${numbers.operators[0]}`);
  if (!customer.heard.includes(prompts.connecting)) problems.push('the customer was not told they are being connected');
  if (operator && !operator.heard.some((t) => t.startsWith('Escalated call.'))) problems.push('the operator was not briefed');
  if (!live) problems.push('no session');
  else {
    if (live.escalation?.status !== 'connected' || !live.escalation.briefed) problems.push(`escalation ${JSON.stringify(live.escalation?.status)}, briefed ${String(live.escalation?.briefed)}`);
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
  // One-shot commands: executed once on their target however often they were sent.
  const executed = new Map<string, number>();
  for (const r of h.telnyx.requests) {
    if (r.outcome !== 'executed' || !['answer', 'conference_create', 'conference_join', 'dial', 'conference_end', 'conference_speak'].includes(r.kind)) continue;
    const key = `${r.kind} ${r.callControlId ?? r.conferenceId ?? ''}`;
    executed.set(key, (executed.get(key) ?? 0) + 1);
  }
  for (const [key, count] of executed) if (count > 1) problems.push(`${key} executed ${count} times`);
  const withoutId = h.telnyx.requests.filter((r) => r.method === 'POST' && !r.commandId);
  if (withoutId.length > 0) problems.push(`${withoutId.length} Telnyx commands without a command_id`);
  if (h.telnyx.errors.length > 0 || h.symbl.errors.length > 0) problems.push(`simulator errors: ${String([...h.telnyx.errors, ...h.symbl.errors])}`);
  return problems;
}

/** Telnyx requests the simulator failed on purpose. */
export const telnyxFaults = (h: Harness) => h.telnyx.requests.filter((r) => r.outcome === 'fault');
