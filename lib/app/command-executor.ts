import Telnyx from 'telnyx';
import type { CallEvent, StampedCommand } from '../core/model.js';
import { TransientError } from '../errors.js';
import type { Log } from '../log.js';
import type { Scheduler } from '../scheduler/poll-queue.js';
import type { SymblClient } from '../symbl/symbl-client.js';
import { runTelnyxCommand, type TelnyxCommand, type TelnyxSettings } from '../telnyx/telnyx-commands.js';
import type { CommandExecutor } from './call-service.js';

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

/** Telnyx statuses that mean the leg or conference is gone: retrying cannot help. */
const permanentStatuses = new Set([400, 403, 404, 422]);

/**
 * The one executor: Telnyx commands through the SDK, the analyzer through Symbl, timers
 * through the queue. Failures worth retrying throw TransientError, so the webhook answers
 * 5xx and Telnyx redelivers; the redelivery repeats the same command ids.
 */
export function createCommandExecutor(deps: ExecutorDeps): CommandExecutor {
  const { log } = deps;

  async function runTelnyx(command: TelnyxCommand, sessionId: string | undefined): Promise<CallEvent | undefined> {
    try {
      const result = await runTelnyxCommand(deps.telnyx, deps.telnyxSettings, command);
      log.info('telnyx command sent', { sessionId, command: command.kind, commandId: command.commandId });
      if (result?.kind === 'dialed' && command.kind === 'dialOperator') {
        return { type: 'operator.initiated', id: `${command.commandId}:dialed`, callControlId: result.callControlId, operator: command.operator };
      }
      return undefined;
    } catch (error) {
      if (error instanceof Telnyx.APIError && error.status !== undefined && permanentStatuses.has(error.status)) {
        log.warn('telnyx command refused', { sessionId, command: command.kind, commandId: command.commandId, status: error.status });
        return undefined;
      }
      throw new TransientError(`Telnyx ${command.kind} failed`, { cause: error });
    }
  }

  async function startAnalyzer(command: Extract<StampedCommand, { kind: 'startAnalyzer' }>): Promise<CallEvent> {
    const analyzer = deps.analyzer;
    if (!analyzer) return { type: 'analyzer.failed', id: `${command.commandId}:failed`, reason: 'no analyzer configured' };
    try {
      const started = await analyzer.client.startPstn({
        phoneNumber: analyzer.dialInNumber.replace(/^\+/, ''),
        dtmf: command.dtmf,
        sessionName: `${analyzer.sessionNamePrefix}-${command.sessionId}`,
        summaryEmails: analyzer.summaryEmails,
      });
      log.info('analyzer started', { sessionId: command.sessionId, conversationId: started.conversationId });
      return { type: 'analyzer.started', id: `${command.commandId}:started`, ...started };
    } catch (error) {
      // The call goes on as a plain keypad IVR.
      log.warn('analyzer failed to start', { sessionId: command.sessionId, error: String(error) });
      return { type: 'analyzer.failed', id: `${command.commandId}:failed`, reason: error instanceof Error ? error.message : String(error) };
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
          return undefined;
        case 'schedulePoll':
          await deps.scheduler.send({ kind: 'poll', sessionId: command.sessionId, seq: command.seq }, command.delaySeconds);
          return undefined;
        case 'scheduleTimeout':
          await deps.scheduler.send({ kind: 'analyzer-timeout', sessionId: command.sessionId }, command.delaySeconds);
          return undefined;
        default:
          return runTelnyx(command, sessionId);
      }
    },
  };
}
