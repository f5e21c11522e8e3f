import type Telnyx from 'telnyx';
import type { CommandResult, StampedCommand } from '../core/model.js';
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
      | 'whisper'
      | 'dialOperator'
      | 'endConference'
      | 'startTranscription';
  }
>;

export interface TelnyxSettings {
  readonly connectionId: string;
  /** Our number: the caller id operators see when we dial them. */
  readonly fromNumber: string;
  readonly voice: string;
}

/** What a Telnyx command told us back that the call flow needs (only `dial` has any). */
export type TelnyxResult = Extract<CommandResult, { kind: 'dialed' }> | undefined;

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
      await calls.answer(command.callControlId, { client_state: encodeClientState(command.tag), command_id });
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
      await calls.gatherUsingSpeak(command.callControlId, {
        payload: command.text,
        voice: settings.voice,
        valid_digits: '12',
        minimum_digits: 1,
        maximum_digits: 1,
        maximum_tries: 1,
        timeout_millis: 8000,
        terminating_digit: '',
        client_state: encodeClientState(command.tag),
        command_id,
      });
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
    case 'whisper':
      await conferences.speak(command.conferenceId, {
        payload: command.text,
        voice: settings.voice,
        call_control_ids: [...command.callControlIds],
        command_id,
      });
      return undefined;
    case 'dialOperator': {
      const response = await client.calls.dial({
        connection_id: settings.connectionId,
        from: settings.fromNumber,
        to: command.to,
        client_state: encodeClientState(command.tag),
        command_id,
        timeout_secs: command.timeoutSecs,
        conference_config: {
          id: command.conferenceId,
          // Join only when the operator picks up, not on ringback media.
          early_media: false,
          start_conference_on_enter: true,
          beep_enabled: 'never',
        },
      });
      const callControlId = response.data?.call_control_id;
      return callControlId ? { kind: 'dialed', callControlId } : undefined;
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
