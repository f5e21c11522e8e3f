import Telnyx from 'telnyx';
import type { CommandOf, CommandResult, StampedCommand } from '../core/model.js';
import type { Log } from '../log.js';
import type { Scheduler } from '../scheduler/poll-queue.js';
import type { AnalyzerCallers } from '../store/session-store.js';
import { SymblError, type SymblClient } from '../symbl/symbl-client.js';
import { runTelnyxCommand, type TelnyxCommand, type TelnyxSettings } from '../telnyx/telnyx-commands.js';
import { timeouts } from '../timeouts.js';
import type { CommandExecutor } from './call-loop.js';
import { loggedSignals } from '../metrics/metric-names.js';

export interface AnalyzerSettings {
  readonly client: SymblClient;
  /** The number the analyzer dials: ours. */
  readonly dialInNumber: string;
  readonly summaryEmails: readonly string[];
  readonly sessionNamePrefix: string;
}

export interface ExecutorDeps {
  readonly telnyx: Telnyx;
  readonly telnyxSettings: TelnyxSettings;
  readonly analyzer: AnalyzerSettings | undefined;
  readonly scheduler: Scheduler;
  readonly callers: AnalyzerCallers;
  readonly log: Log;
  /** Waits between tries; tests pass one that does not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const done: CommandResult = { kind: 'done' };

/** Statuses worth another try: Telnyx busy, rate-limited or failing; everything else 4xx is a refusal. */
const temporaryStatuses = new Set([408, 409, 429]);
const isTemporary = (status: number | undefined) => status === undefined || status >= 500 || temporaryStatuses.has(status);

/** How long Telnyx asked us to wait (`retry-after-ms` or `retry-after`), capped. */
function backoffMs(error: unknown, tryNumber: number): number {
  const headers = error instanceof Telnyx.APIError ? error.headers : undefined;
  const asked = Number(headers?.get?.('retry-after-ms') ?? Number.NaN) || Number(headers?.get?.('retry-after') ?? Number.NaN) * 1000;
  const computed = 250 * 2 ** (tryNumber - 1);
  return Math.min(timeouts.telnyxBackoffCapMs, Number.isFinite(asked) && asked >= 0 ? asked : computed);
}

/**
 * The one executor: Telnyx commands through the SDK, the analyzer through Symbl, timers and
 * retries through the queue. A command that fails for now answers `unavailable` (the call loop
 * retries it through the queue); one Telnyx refuses answers `refused`; nothing here spins.
 */
export function createCommandExecutor(deps: ExecutorDeps): CommandExecutor {
  const { log } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function runTelnyx(command: TelnyxCommand, sessionId: string | undefined): Promise<CommandResult> {
    for (let tryNumber = 1; ; tryNumber++) {
      try {
        const result = await runTelnyxCommand(deps.telnyx, deps.telnyxSettings, command);
        log.info('telnyx command sent', { sessionId, command: command.kind, commandId: command.commandId });
        return result ?? done;
      } catch (error) {
        const status = error instanceof Telnyx.APIError ? error.status : undefined;
        if (status === 401) {
          // A rotated or wrong key: a configuration error, not an outage. Said loudly, never retried.
          log.error(`${loggedSignals.telnyxKeyRefused}: check TELNYX_API_KEY; the command is not retried`, { sessionId, command: command.kind, commandId: command.commandId });
          return { kind: 'refused', status };
        }
        if (!isTemporary(status)) {
          log.warn('telnyx command refused', { sessionId, command: command.kind, commandId: command.commandId, status, detail: refusalDetail(error) });
          return { kind: 'refused', status: status ?? 400 };
        }
        const reason = status === undefined ? (error instanceof Error ? error.name : 'network error') : `Telnyx answered ${status}`;
        if (tryNumber >= timeouts.telnyxTries) {
          log.warn('telnyx command failed for now', { sessionId, command: command.kind, commandId: command.commandId, reason });
          return { kind: 'unavailable', reason };
        }
        await sleep(backoffMs(error, tryNumber));
      }
    }
  }

  async function startAnalyzer(command: CommandOf<'startAnalyzer'>): Promise<CommandResult> {
    const analyzer = deps.analyzer;
    if (!analyzer) return { kind: 'analyzer-failed', reason: 'no analyzer configured' };
    try {
      const started = await analyzer.client.startPstn({
        phoneNumber: analyzer.dialInNumber.replace(/^\+/, ''),
        dtmf: command.dtmf,
        sessionName: `${analyzer.sessionNamePrefix}-${command.sessionId}`,
        summaryEmails: analyzer.summaryEmails,
      });
      log.info('analyzer started', { sessionId: command.sessionId, conversationId: started.conversationId });
      return { kind: 'analyzer-started', ...started };
    } catch (error) {
      // The call goes on as a plain keypad IVR.
      log.warn('analyzer failed to start', { sessionId: command.sessionId, error: String(error) });
      return { kind: 'analyzer-failed', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  async function stopAnalyzer(command: CommandOf<'stopAnalyzer'>, sessionId: string | undefined): Promise<CommandResult> {
    try {
      await deps.analyzer?.client.stop(command.connectionId);
      return done;
    } catch (error) {
      log.warn('analyzer stop failed', { sessionId, error: String(error) });
      return error instanceof SymblError && error.retryable ? { kind: 'unavailable', reason: error.message } : { kind: 'refused', status: error instanceof SymblError ? (error.status ?? 400) : 400 };
    }
  }

  return {
    async run(command: StampedCommand, sessionId) {
      switch (command.kind) {
        case 'startAnalyzer':
          return startAnalyzer(command);
        case 'stopAnalyzer':
          return stopAnalyzer(command, sessionId);
        case 'schedulePoll':
          await deps.scheduler.send({ kind: 'poll', sessionId: command.sessionId, seq: command.seq }, command.delaySeconds);
          return done;
        case 'scheduleTimeout':
          await deps.scheduler.send({ kind: 'analyzer-timeout', sessionId: command.sessionId }, command.delaySeconds);
          return done;
        case 'scheduleWakeup':
          await deps.scheduler.send(command.wakeup, command.delaySeconds);
          return done;
        case 'rememberAnalyzerCaller':
          await deps.callers.rememberAnalyzerCaller(command.callerKey);
          log.warn('a caller keyed a session code: it is the analyzer calling from a number missing from SYMBL_NUMBER; its next calls are taken as the analyzer', { sessionId });
          return done;
        default:
          return runTelnyx(command, sessionId);
      }
    },
  };
}

/** Telnyx's own words for a refusal (its `errors[].title`/`detail`), short; the body is not trusted to have any shape. */
function refusalDetail(error: unknown): string | undefined {
  const body = error instanceof Telnyx.APIError ? (error.error as { errors?: unknown } | undefined) : undefined;
  const first = Array.isArray(body?.errors) ? (body.errors[0] as Record<string, unknown> | undefined) : undefined;
  const words = [first?.title, first?.detail].filter((w): w is string => typeof w === 'string').join(': ');
  // Telnyx may quote the number it refused: mask every digit run long enough to be one.
  return words === '' ? undefined : words.replace(/\+?\d{6,}/g, (n) => `${n.slice(0, 2)}***${n.slice(-2)}`).slice(0, 200);
}
