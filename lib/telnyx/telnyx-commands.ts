import type Telnyx from 'telnyx';
import type { CommandResult, LegTag, StampedCommand } from '../core/model.js';
import { encodeClientState } from './client-state.js';

/** The Telnyx commands of the call flow; the rest belong to other executors. */
export type TelnyxCommand = Extract<
  StampedCommand,
  {
    kind:
      | 'answer'
      | 'hangup'
      | 'createConference'
      | 'joinConference'
      | 'playMenu'
      | 'collectCode'
      | 'stopGather'
      | 'speak'
      | 'conferenceSpeak'
      | 'dialOperator'
      | 'briefOperator'
      | 'checkCall'
      | 'endConference'
      | 'startTranscription';
  }
>;

export interface TelnyxSettings {
  readonly connectionId: string;
  /** Our number: the caller id operators see when we dial them. */
  readonly fromNumber: string;
  readonly voice: string;
  /** Telnyx's answering-machine detection mode for operator dials that ask for it. */
  readonly machineDetection: 'detect' | 'premium';
}

/**
 * Telnyx delivers a webhook to the primary URL, then once to the failover URL, then gives up,
 * unless the leg's `answer` or `dial` asks for retries. These are the events whose loss would
 * strand a caller (a hangup never seen, a keypress, an operator answering or screened); each
 * is retried at 1, 5 and 15 s more (three retries, 21 s in all: within Telnyx's 5 and 60 s).
 */
export const strandingEvents = [
  'call.answered',
  'call.hangup',
  'call.dtmf.received',
  'call.gather.ended',
  'call.machine.detection.ended',
  'call.machine.premium.detection.ended',
] as const;
const retryDelaysMs = [1000, 5000, 15_000];
export const webhookRetriesPolicies = Object.fromEntries(strandingEvents.map((type) => [type, { retries_ms: retryDelaysMs }]));

/** How long a caller has to press a key after the menu, and an operator after the briefing. */
const menuTimeoutMs = 8000;
const briefingTimeoutMs = 5000;

/** A prompt answered by one key, 1 or 2, heard once. */
function oneKeyGather(text: string, timeoutMs: number, tag: LegTag, commandId: string, voice: string) {
  return {
    payload: text,
    voice,
    valid_digits: '12',
    minimum_digits: 1,
    maximum_digits: 1,
    maximum_tries: 1,
    timeout_millis: timeoutMs,
    terminating_digit: '',
    client_state: encodeClientState(tag),
    command_id: commandId,
  };
}

/** What a Telnyx command told us back that the call flow needs: a dial's leg, a leg's status. */
export type TelnyxResult = Extract<CommandResult, { kind: 'dialed' } | { kind: 'call-status' }> | undefined;

/**
 * Runs one command through the official SDK. The only place that knows the SDK's shapes:
 * snake_case bodies, a `command_id` on every command, and `{}` where a body has no fields.
 */
export async function runTelnyxCommand(client: Telnyx, settings: TelnyxSettings, command: TelnyxCommand): Promise<TelnyxResult> {
  const command_id = command.commandId;
  const calls = client.calls.actions;
  const conferences = client.conferences.actions;
  switch (command.kind) {
    case 'answer':
      await calls.answer(command.callControlId, { client_state: encodeClientState(command.tag), command_id, webhook_retries_policies: webhookRetriesPolicies });
      return undefined;
    case 'hangup':
      await calls.hangup(command.callControlId, { command_id });
      return undefined;
    case 'createConference':
      await client.conferences.create({
        call_control_id: command.callControlId,
        name: command.name,
        client_state: encodeClientState(command.tag),
        command_id,
        beep_enabled: 'never',
      });
      return undefined;
    case 'joinConference':
      await conferences.join(command.conferenceId, {
        call_control_id: command.callControlId,
        command_id,
        mute: command.mute,
        beep_enabled: 'never',
      });
      return undefined;
    case 'playMenu':
      await calls.gatherUsingSpeak(command.callControlId, oneKeyGather(command.text, menuTimeoutMs, command.tag, command_id, settings.voice));
      return undefined;
    case 'collectCode':
      await calls.gather(command.callControlId, {
        valid_digits: '0123456789#',
        minimum_digits: 10,
        maximum_digits: 11,
        terminating_digit: '#',
        initial_timeout_millis: 10_000,
        inter_digit_timeout_millis: 3000,
        timeout_millis: 20_000,
        client_state: encodeClientState(command.tag),
        command_id,
      });
      return undefined;
    case 'stopGather':
      await calls.stopGather(command.callControlId, { command_id });
      return undefined;
    case 'speak':
      await calls.speak(command.callControlId, { payload: command.text, voice: settings.voice, client_state: encodeClientState(command.tag), command_id });
      return undefined;
    case 'conferenceSpeak':
      await conferences.speak(command.conferenceId, {
        payload: command.text,
        voice: settings.voice,
        call_control_ids: [...command.callControlIds],
        command_id,
      });
      return undefined;
    case 'dialOperator': {
      // A leg of its own: it joins the customer's conference only once screened (see briefOperator).
      const response = await client.calls.dial({
        connection_id: settings.connectionId,
        from: settings.fromNumber,
        to: command.to,
        client_state: encodeClientState(command.tag),
        command_id,
        timeout_secs: command.timeoutSecs,
        ...(command.detectMachine ? { answering_machine_detection: settings.machineDetection } : {}),
        webhook_retries_policies: webhookRetriesPolicies,
      });
      const callControlId = response.data?.call_control_id;
      return callControlId ? { kind: 'dialed', callControlId } : undefined;
    }
    case 'briefOperator':
      await calls.gatherUsingSpeak(command.callControlId, oneKeyGather(command.text, briefingTimeoutMs, command.tag, command_id, settings.voice));
      return undefined;
    case 'checkCall': {
      const status = await client.calls.retrieveStatus(command.callControlId);
      return { kind: 'call-status', alive: status.data?.is_alive === true };
    }
    case 'endConference':
      await conferences.endConference(command.conferenceId, { command_id });
      return undefined;
    case 'startTranscription':
      await calls.startTranscription(command.callControlId, {
        transcription_engine: 'Telnyx',
        transcription_tracks: 'inbound',
        command_id,
      });
      return undefined;
  }
}
