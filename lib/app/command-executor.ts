import Telnyx from 'telnyx';
import type { CommandOf, CommandResult } from '../core/model.js';
import { TransientError } from '../errors.js';
import type { Log } from '../log.js';
import type { Scheduler } from '../scheduler/poll-queue.js';
import type { SymblClient } from '../symbl/symbl-client.js';
import { runTelnyxCommand, type TelnyxCommand, type TelnyxSettings } from '../telnyx/telnyx-commands.js';
import type { CommandExecutor } from './call-loop.js';

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
  readonly log: Log;
}

const done: CommandResult = { kind: 'done' };

/** Telnyx statuses that mean the leg or conference is gone: retrying cannot help. */
const permanentStatuses = new Set([400, 403, 404, 422]);

/**
 * The one executor: Telnyx commands through the SDK, the analyzer through Symbl, timers
 * through the queue. Failures worth retrying throw TransientError, so the webhook answers
 * 5xx and Telnyx redelivers; the redelivery repeats the same command ids.
 */
export function createCommandExecutor(deps: ExecutorDeps): CommandExecutor {
  const { log } = deps;

  async function runTelnyx(command: TelnyxCommand, sessionId: string | undefined): Promise<CommandResult> {
    try {
      const result = await runTelnyxCommand(deps.telnyx, deps.telnyxSettings, command);
      log.info('telnyx command sent', { sessionId, command: command.kind, commandId: command.commandId });
      return result ?? done;
    } catch (error) {
      if (error instanceof Telnyx.APIError && error.status !== undefined && permanentStatuses.has(error.status)) {
        log.warn('telnyx command refused', { sessionId, command: command.kind, commandId: command.commandId, status: error.status });
        return { kind: 'refused', status: error.status };
      }
      throw new TransientError(`Telnyx ${command.kind} failed`, { cause: error });
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

  return {
    async run(command, sessionId) {
      switch (command.kind) {
        case 'startAnalyzer':
          return startAnalyzer(command);
        case 'stopAnalyzer':
          try {
            await deps.analyzer?.client.stop(command.connectionId);
          } catch (error) {
            log.warn('analyzer stop failed', { sessionId, error: String(error) });
          }
          return done;
        case 'schedulePoll':
          await deps.scheduler.send({ kind: 'poll', sessionId: command.sessionId, seq: command.seq }, command.delaySeconds);
          return done;
        case 'scheduleTimeout':
          await deps.scheduler.send({ kind: 'analyzer-timeout', sessionId: command.sessionId }, command.delaySeconds);
          return done;
        default:
          return runTelnyx(command, sessionId);
      }
    },
  };
}
