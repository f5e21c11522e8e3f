/**
 * The Telnyx model's public shapes: what it records (legs, conferences, events, commands,
 * dials), what it waits for (timers), and how the far ends of its legs behave.
 */
import type { RetryPolicies } from './telnyx-model-replies.js';

export type LegState = 'parked' | 'bridging' | 'answered' | 'hangup';

export interface TelnyxWebhookEvent {
  readonly record_type: 'event';
  readonly event_type: string;
  readonly id: string;
  /** Absent on conference.created/ended/speak.*, which carry it inside the payload as Telnyx does. */
  readonly occurred_at?: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * Command kinds, as used by faults, outages and the request log: call actions by their path
 * segment ('answer', 'gather_using_speak', …, 'client_state_update'), 'dial', 'retrieve_call',
 * and conference commands as 'conference_' + action ('conference_create', 'conference_join',
 * 'conference_speak', 'conference_gather_using_audio', 'conference_end', …, 'conference_retrieve').
 */
export type CommandKind = string;

/**
 * What the model did with a request: 'duplicate' is a repeated `command_id` inside the dedupe
 * window (answered as the first time); 'outage' a 503 from an outage window, before anything.
 */
export type CommandOutcome = 'executed' | 'duplicate' | 'rejected' | 'outage';

export interface CommandResult {
  readonly status: number;
  readonly body: unknown;
  readonly outcome: CommandOutcome;
}

/** A request the model recognised, not yet run: drivers pick faults by its kind first. */
export interface RoutedCommand {
  readonly kind: CommandKind;
  readonly callControlId?: string;
  readonly conferenceId?: string;
  readonly commandId?: string;
  run(): CommandResult;
}

export interface ExecutedCommand {
  readonly kind: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly commandId: string | undefined;
  readonly at: number;
}

export interface DialRecord {
  readonly callControlId: string;
  readonly to: string;
  readonly from: string;
  readonly connectionId: string;
  readonly commandId: string | undefined;
  readonly clientState: string | null;
  readonly conferenceConfig: Readonly<Record<string, unknown>> | undefined;
  readonly timeoutSecs: number;
  readonly answeringMachineDetection: string | undefined;
  readonly at: number;
}

/** How one dial request ended up (duplicates are not counted again). */
export interface DialOutcome {
  readonly to: string;
  readonly commandId: string | undefined;
  readonly status: number;
  /** 'refused': answered 4xx by a refusal behaviour, no leg; 'invalid': a bad request; 'outage': a 503 window. */
  readonly result: 'placed' | 'refused' | 'invalid' | 'outage';
  readonly callControlId: string | undefined;
  readonly clientState: string | null;
  readonly at: number;
}

/** The far end of an answered outbound leg. */
export interface FarEndScript {
  /**
   * 'person' (the default): answering-machine detection says human; 'voicemail': it says
   * machine, the greeting ends with a beep, and nothing is ever pressed.
   */
  readonly kind?: 'person' | 'voicemail';
  /** Overrides the detection result ('not_sure', or premium's 'silence', 'fax_detected', 'human_business', …). */
  readonly machineDetectionResult?: string;
  /**
   * Presses `digits` once, `afterMs` (default 500) after a prompt starts on its own leg
   * (call-level speak or gather, conference speak to it, gather_using_audio), optionally only
   * a prompt whose text includes `whenPromptIncludes`.
   */
  readonly pressAfterPrompt?: { readonly digits: string; readonly afterMs?: number; readonly whenPromptIncludes?: string };
  /** Hangs up this long after answering (an operator who leaves). */
  readonly hangupAfterMs?: number;
  /** Hangs up this long after first joining a conference (an operator who leaves once they have talked to the customer). */
  readonly hangupAfterJoinMs?: number;
}

/** How the far end of a dialed number behaves; the default answers after 200 ms. */
export type DialBehavior =
  | ({ readonly answerAfterMs: number } & FarEndScript)
  | { readonly noAnswer: true }
  | { readonly busy: true }
  /** The dial itself is refused with this status and a Telnyx error body: no leg, no webhook. */
  | { readonly refused: 400 | 403 | 422 };

/** Decides a dial's far end from the number, the conference it joins (if any) and the dial's client_state. */
export type DialPolicy = (dial: { to: string; conferenceId: string | undefined; clientState: string | null }) => DialBehavior | undefined;

/** Something audible happened; the Symbl stand-ins listen to decide what their leg "hears". */
export interface SimAudio {
  /** 'tts': a prompt played by a command; 'speech': a caller talking; 'audio': a recording (gather_using_audio). */
  readonly kind: 'tts' | 'speech' | 'audio';
  /** 'call': call-level speak/gather on one leg; 'conference': conference speak or audio; 'caller': speech. */
  readonly via: 'call' | 'conference' | 'caller';
  readonly text: string;
  /** Conference of the leg spoken to (call-level), spoken into (conference), or speaking. */
  readonly conferenceId: string | undefined;
  /** Legs the prompt was addressed to (tts), or the speaker (speech). */
  readonly callControlIds: readonly string[];
  /** Speech from a muted participant does not reach the conference. */
  readonly muted: boolean;
  /** For speech: the sentiment a scripted caller meant (the Symbl stand-ins report it). */
  readonly score: number | undefined;
  readonly at: number;
}

export interface SimParticipant {
  readonly callControlId: string;
  muted: boolean;
  onHold: boolean;
  supervisorRole: string;
  whisperCallControlIds: string[];
  endConferenceOnExit: boolean;
  readonly joinedAt: number;
}

export interface SimConference {
  readonly id: string;
  readonly name: string;
  status: 'in_progress' | 'completed';
  readonly creatorCallControlId: string;
  /** The owner's client_state: the only one conference webhooks carry. */
  readonly clientState: string | null;
  readonly connectionId: string;
  readonly createdAt: string;
  endedAt: string | undefined;
  endReason: string | undefined;
  readonly participants: Map<string, SimParticipant>;
  /** Everyone who was ever in it, in join order. */
  readonly history: { callControlId: string; joinedAt: number; leftAt: number | undefined }[];
}

export interface GatherView {
  readonly kind: 'gather' | 'gather_using_speak' | 'gather_using_audio';
  readonly digits: string;
  /** The timer of its prompt while the prompt plays. */
  readonly promptTimer: number | undefined;
}

/** One leg as the model keeps it (read-only outside the model). */
export interface ModelLeg {
  readonly callControlId: string;
  readonly callLegId: string;
  readonly callSessionId: string;
  readonly connectionId: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly from: string;
  readonly to: string;
  readonly startTime: string;
  readonly state: LegState;
  readonly clientState: string | null;
  readonly conferenceId: string | undefined;
  readonly hangupCause: string | undefined;
  readonly endTime: string | undefined;
  /** Real-time transcription, while it is on. */
  readonly transcription: { readonly tracks: string; readonly engine: string | undefined } | undefined;
  readonly gather: GatherView | undefined;
  /** Webhook events generated for this leg (each once, however often delivered). */
  readonly events: readonly TelnyxWebhookEvent[];
  /** Texts spoken to this leg: speak, gather prompts, conference speak reaching it, audio prompts (their URL or media name). */
  readonly heard: readonly string[];
  /** Executed (not deduplicated, not rejected) commands on the leg, conference commands naming it included. */
  readonly executed: readonly ExecutedCommand[];
  /** `answering_machine_detection` of its dial, when on. */
  readonly machineDetection: string | undefined;
  /** `webhook_retries_policies` set by its `answer` or `dial`. */
  readonly retryPolicies: RetryPolicies;
}

export type TimerKind =
  /** An inbound leg that gets no command by then is hung up. */
  | 'first-command'
  /** A call-level TTS prompt finishes (`call.speak.ended`). */
  | 'speak'
  /** A conference TTS prompt finishes (`conference.speak.ended`). */
  | 'conference-speak'
  /** A gather's prompt (TTS or audio) finishes; its timeouts start then. */
  | 'gather-prompt'
  | 'gather-timeout'
  | 'gather-initial-timeout'
  | 'gather-inter-digit'
  /** An outbound leg's far end acts: answers, is busy, or it rings out (see `farEnd`). */
  | 'ring'
  /** Answering-machine detection ends after answer. */
  | 'machine-detection'
  /** A machine's greeting (or beep) ends. */
  | 'machine-greeting'
  /** A scripted far end presses its digits after hearing a prompt. */
  | 'far-end-press'
  /** A scripted far end hangs up after connecting. */
  | 'far-end-hangup';

/** Something the model waits for; its driver decides when it happens (`fire`). */
export interface PendingTimer {
  readonly id: number;
  readonly kind: TimerKind;
  /** Simulated ms after it was set that Telnyx would resolve it. */
  readonly afterMs: number;
  /** The model's clock when it was set. */
  readonly setAtMs: number;
  readonly callControlId: string | undefined;
  readonly conferenceId: string | undefined;
  /**
   * It waits on the outside world (a caller's keys, a first command), not on Telnyx or a far
   * end that is already acting: the HTTP simulator's `idle()` does not wait for it.
   */
  readonly waitsOnCaller: boolean;
  /** For 'ring': what the far end does then. */
  readonly farEnd?: 'answer' | 'busy' | 'timeout';
}

export interface Outage {
  /** Command kinds answered 503 (every kind when unset). */
  readonly kinds?: readonly CommandKind[];
  /** Model clock, ms: from (inclusive) until (exclusive). */
  readonly fromMs: number;
  readonly untilMs: number;
  /** Only requests this picks are hit (one call's, say); every request when unset. */
  readonly affects?: (request: { readonly kind: CommandKind; readonly callControlId: string | undefined; readonly body: Readonly<Record<string, unknown>> }) => boolean;
}

/** What a driver hears from the model, synchronously, as it happens. */
export interface TelnyxModelObserver {
  event?(event: TelnyxWebhookEvent): void;
  audio?(audio: SimAudio): void;
  timerSet?(timer: PendingTimer): void;
  timerCleared?(timerId: number): void;
  /** An outbound leg was answered by its far end. */
  answered?(leg: ModelLeg): void;
}
