/**
 * The call-flow vocabulary: what a session remembers, what can happen to it, and what it asks
 * the outside world to do. Vendor names stay at the adapters; these are ours.
 */

export type Role = 'customer' | 'analyzer' | 'operator';

/**
 * What we attach to a leg and get back on its later webhooks (Telnyx's client_state): the
 * session and the leg's role. It comes back from the wire, so it only routes; the session's
 * stored legs decide whether it is believed.
 */
export interface LegTag {
  readonly sessionId?: string;
  readonly role: Role;
  /** Operator legs: which attempt of which escalation round dialed them. */
  readonly attempt?: number;
  readonly round?: number;
}

/** Where the customer's scored speech comes from. */
export type SentimentSourceName = 'symbl' | 'telnyx';

/** The escalation policy's settings; the same shape for the live policy and a candidate one. */
export interface PolicySettings {
  /** A single utterance at or below this polarity escalates (the original's rule). */
  readonly utteranceThreshold: number;
  /** How many recent customer utterances the rolling mean covers. */
  readonly windowSize: number;
  /** The rolling mean at or below this escalates, once the window is full. */
  readonly windowThreshold: number;
  /** This many negative utterances in a row escalate. */
  readonly streakLength: number;
  /** An utterance at or below this counts as negative for the streak. */
  readonly negativeBelow: number;
}

/** One scored piece of what the customer said. `atMs` orders them. */
export interface Utterance {
  readonly id: string;
  readonly text: string;
  /** Polarity in [-1, 1]. */
  readonly score: number;
  readonly atMs: number;
}

export type EscalationRule = 'dtmf' | 'request' | 'utterance' | 'window' | 'streak';

/** The rules a sentiment policy applies to what the customer says (the keypad is not one). */
export type PolicyRule = Exclude<EscalationRule, 'dtmf'>;

export type TimelineKind = 'call' | 'menu' | 'analyzer' | 'utterance' | 'escalation' | 'shadow' | 'operator' | 'prompt' | 'end';

/** One line of a call's story for the live view: what happened and when, in words a supervisor reads (redacted, numbers masked). */
export interface TimelineEntry {
  /** Its place in the call's timeline; entries are stored under it, so writing one again changes nothing. */
  readonly index: number;
  readonly atMs: number;
  readonly kind: TimelineKind;
  readonly text: string;
  /** An utterance's polarity. */
  readonly score?: number;
}

/** Why a call escalated, in words an operator can read. */
export interface EscalationReason {
  readonly rule: EscalationRule;
  readonly detail: string;
  readonly text?: string;
  readonly score?: number;
  /** When the customer said (or keyed) what escalated it. */
  readonly atMs?: number;
}

/** A policy's verdict on a call: the first sentence it would escalate on, and by which rule. */
export interface PolicyVerdict {
  readonly rule: PolicyRule;
  readonly detail: string;
  /** The sentence, redacted as stored. */
  readonly text: string;
  /** The sentence's score (the window's mean for the window rule). */
  readonly score: number;
  /** When it was said. */
  readonly atMs: number;
}

/**
 * What the policies concluded on a call. The live verdict is acted on (unless the call had
 * already escalated by keypad); the shadow one (`SHADOW_POLICY`) only ever recorded.
 */
export interface Verdicts {
  readonly live?: PolicyVerdict;
  readonly shadow?: PolicyVerdict;
  /** When the customer first asked for a person by keypad: that escalates whatever the policy. */
  readonly keypadAtMs?: number;
}

/**
 * Something a decision found worth counting, published once its decision is saved (so a
 * redelivery or a lost write counts nothing twice).
 */
export type MetricFact =
  | { readonly kind: 'escalation'; readonly rule: EscalationRule }
  | { readonly kind: 'operator-connected'; readonly secondsFromEscalation: number }
  | { readonly kind: 'operator-attempt'; readonly outcome: AttemptOutcome }
  | { readonly kind: 'ended-without-operator' }
  | { readonly kind: 'shadow-disagreement'; readonly change: VerdictChange };

/**
 * How a candidate policy's verdict on a call differs from the current one's: it escalates a
 * call the current one does not (`newly`), does not escalate one it does (`never`), escalates on
 * an earlier or later sentence, or on the same one by another rule.
 */
export type VerdictChange = 'same' | 'newly' | 'never' | 'earlier' | 'later' | 'other-rule';

/**
 * One operator number tried in a round. `ringing` (dialed, on its own leg), `screening`
 * (answered, being briefed and asked to press 1), `joining` (a person is known to be there:
 * asked into the conference), `connected` (in the conference with the customer), `failed`
 * (with its outcome).
 */
export interface OperatorAttempt {
  readonly to: string;
  readonly callControlId?: string;
  readonly status: 'ringing' | 'screening' | 'joining' | 'connected' | 'failed';
  /** Answering-machine detection's verdict on the leg, once it came. */
  readonly machine?: 'human' | 'machine' | 'not_sure';
  /** The operator pressed 1 to take the call. */
  readonly accepted?: boolean;
  /** The briefing (why the call escalated) has played to its end or was answered. */
  readonly briefingDone?: boolean;
  readonly outcome?: AttemptOutcome;
  readonly endedCause?: string;
}

/** How an operator attempt ended. */
export type AttemptOutcome = 'answered' | 'no-answer' | 'busy' | 'voicemail' | 'refused' | 'declined' | 'left' | 'cancelled';

/** Which sign of a person an operator leg needs before it joins the customer. */
export type OperatorScreening = 'either' | 'human' | 'keypress' | 'both';

export interface Escalation {
  readonly reason: EscalationReason;
  readonly claimedAtMs: number;
  /** Rounds start again only when every operator failed and the customer asks again. */
  readonly round: number;
  readonly attempts: readonly OperatorAttempt[];
  /** `failed`: every number of the round failed; `left`: the connected operator left. Both offer the menu again. */
  readonly status: 'waiting-for-conference' | 'dialing' | 'connected' | 'failed' | 'left';
  readonly connectedAtMs?: number;
  /**
   * When the round's last operator leg hung up, on Telnyx's clock (its occurred_at): a keypress
   * from before it is a late copy from an earlier menu, and asks for no new round.
   */
  readonly failedAtMs?: number;
  /**
   * When the keypress that asked for this round happened, on Telnyx's clock: a key pressed no
   * later belongs to this round (a round refused at once has no hangup to date its end).
   */
  readonly askedAtMs?: number;
  /** An operator of this round heard why the call escalated. */
  readonly briefed: boolean;
}

export type AnalyzerStatus = 'none' | 'requested' | 'started' | 'joined' | 'failed' | 'stopped';

export interface Session {
  readonly id: string;
  /** Bumped on every write; writes are conditional on it. */
  readonly version: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly status: 'active' | 'ended';
  readonly customer: {
    readonly callControlId: string;
    readonly fromMasked: string;
    readonly answered: boolean;
    readonly joined: boolean;
    readonly hungUp: boolean;
    /** A one-way key of the caller's number, to recognise an analyzer that calls from a number not configured as one. */
    readonly callerKey?: string;
    /** The latest keys the customer's leg sent, with Telnyx's times: a session code keyed here means it is no customer. */
    readonly keys?: readonly { readonly digit: string; readonly atMs: number }[];
  };
  /** How prompts reach the customer: call-level commands, or the conference's own (when Telnyx refuses the former). */
  readonly promptPath?: 'call' | 'conference';
  readonly conference: { readonly name: string; readonly id?: string; readonly ended: boolean };
  readonly analyzer: {
    readonly source: SentimentSourceName;
    readonly status: AnalyzerStatus;
    readonly callControlId?: string;
    readonly legHungUp?: boolean;
    readonly connectionId?: string;
    readonly conversationId?: string;
    readonly failure?: string;
  };
  readonly menu: {
    /** `playing` also covers a menu spoken into the conference, answered by plain keypresses. */
    readonly status: 'waiting' | 'playing' | 'paused' | 'fallback';
    /** Unanswered or invalid prompts in a row. */
    readonly misses: number;
  };
  readonly escalation?: Escalation;
  /** Whether the poll chain runs (its position is a cursor of its own: a quiet cycle writes only that). */
  readonly poll: { readonly active: boolean };
  /** The latest utterances, oldest first, bounded. */
  readonly utterances: readonly Utterance[];
  /** The policies' verdicts, once they reach one. */
  readonly verdicts?: Verdicts;
  /**
   * What the analyzer has already told us: everything said at or before `newestAtMs` minus the
   * late window counts as heard; inside the window, by id. Bounded by time, not by count.
   */
  readonly heard: { readonly newestAtMs: number; readonly recent: readonly { readonly id: string; readonly atMs: number }[] };
  readonly endedAtMs?: number;
  readonly endReason?: string;
  /** Timeline entries written so far (see TimelineEntry); the next one's index. */
  readonly timelineCount?: number;
}

/** Which dial an operator leg came from: its escalation round and attempt (from our client_state). */
export interface OperatorLegRef {
  readonly round: number;
  readonly attempt: number;
}

/** What can happen to a session. `id` is the webhook's event id, or derived from one. */
export type CallEvent =
  | { readonly type: 'customer.incoming'; readonly id: string; readonly callControlId: string }
  | { readonly type: 'call.answered'; readonly id: string; readonly callControlId: string; readonly operator?: OperatorLegRef }
  | {
      readonly type: 'call.hangup';
      readonly id: string;
      readonly callControlId: string;
      readonly cause: string;
      readonly operator?: OperatorLegRef;
      /** Telnyx's occurred_at, when given (so are the keypad events'). */
      readonly occurredAtMs?: number;
    }
  | { readonly type: 'call.dtmf'; readonly id: string; readonly callControlId: string; readonly digit: string; readonly occurredAtMs?: number }
  | {
      readonly type: 'gather.ended';
      readonly id: string;
      readonly callControlId: string;
      readonly digits: string;
      readonly status: 'valid' | 'invalid' | 'timeout' | 'cancelled' | 'call_hangup' | 'other';
      readonly occurredAtMs?: number;
    }
  | { readonly type: 'operator.initiated'; readonly id: string; readonly callControlId: string; readonly operator: OperatorLegRef }
  /** Answering-machine detection on an operator leg. */
  | { readonly type: 'operator.machine'; readonly id: string; readonly callControlId: string; readonly result: 'human' | 'machine' | 'not_sure'; readonly operator?: OperatorLegRef }
  /** Telnyx refused the dial (or it could not be placed at all): no leg, no webhook will follow. */
  | { readonly type: 'operator.refused'; readonly id: string; readonly operator: OperatorLegRef; readonly reason: string }
  /** An operator leg did not accept in time. */
  | { readonly type: 'operator.accept-timeout'; readonly id: string; readonly operator: OperatorLegRef }
  /** The backstop's periodic look at a live session. */
  | { readonly type: 'session.check'; readonly id: string }
  /** What Telnyx said of the customer's leg when asked. */
  | { readonly type: 'customer.status'; readonly id: string; readonly alive: boolean }
  /** Telnyx refused a prompt on the customer's leg (call-level commands on a conferenced leg). */
  | { readonly type: 'prompt.refused'; readonly id: string; readonly prompt: 'playMenu' | 'speak'; readonly text: string }
  | { readonly type: 'conference.created'; readonly id: string; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'participant.joined'; readonly id: string; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'participant.left'; readonly id: string; readonly conferenceId: string; readonly callControlId: string }
  | { readonly type: 'conference.ended'; readonly id: string; readonly conferenceId: string }
  | { readonly type: 'analyzer.identified'; readonly id: string; readonly callControlId: string }
  | { readonly type: 'analyzer.started'; readonly id: string; readonly connectionId: string; readonly conversationId: string }
  | { readonly type: 'analyzer.failed'; readonly id: string; readonly reason: string }
  | { readonly type: 'analyzer.timeout'; readonly id: string }
  | {
      readonly type: 'utterances.heard';
      readonly id: string;
      readonly utterances: readonly Utterance[];
      /** Set when the utterances came from a poll cycle: the chain's position and message. */
      readonly poll?: { readonly seq: number; readonly messageId: string };
      /** The leg that spoke, when a transcript says so: only the customer's counts. */
      readonly callControlId?: string;
    };

export type CallEventType = CallEvent['type'];

/** Side effects as data; one executor runs them. `commandId` is stamped after the decision. `tag` rides on the leg. */
export type Command =
  | { readonly kind: 'answer'; readonly callControlId: string; readonly tag: LegTag }
  | { readonly kind: 'hangup'; readonly callControlId: string }
  | { readonly kind: 'createConference'; readonly callControlId: string; readonly name: string; readonly tag: LegTag }
  | { readonly kind: 'joinConference'; readonly conferenceId: string; readonly callControlId: string; readonly mute: boolean }
  | { readonly kind: 'playMenu'; readonly callControlId: string; readonly text: string; readonly tag: LegTag }
  | { readonly kind: 'collectCode'; readonly callControlId: string; readonly tag: LegTag }
  | { readonly kind: 'stopGather'; readonly callControlId: string }
  | { readonly kind: 'speak'; readonly callControlId: string; readonly text: string; readonly tag: LegTag }
  /** Speaks into the conference to the given participants only. */
  | { readonly kind: 'conferenceSpeak'; readonly conferenceId: string; readonly callControlIds: readonly string[]; readonly text: string }
  /** Dials an operator on a leg of its own (not into the conference), screening for a machine when asked. */
  | {
      readonly kind: 'dialOperator';
      readonly to: string;
      readonly tag: LegTag;
      readonly timeoutSecs: number;
      readonly operator: OperatorLegRef;
      readonly detectMachine: boolean;
    }
  /** The briefing on the operator's own leg, then "press 1 to take the call, 2 to decline". */
  | { readonly kind: 'briefOperator'; readonly callControlId: string; readonly text: string; readonly tag: LegTag }
  /** Asks Telnyx whether a leg is still up. */
  | { readonly kind: 'checkCall'; readonly callControlId: string }
  /** Remembers a caller that turned out to be the analyzer, so its next call is taken as one. */
  | { readonly kind: 'rememberAnalyzerCaller'; readonly callerKey: string }
  | { readonly kind: 'endConference'; readonly conferenceId: string }
  | { readonly kind: 'startTranscription'; readonly callControlId: string }
  | { readonly kind: 'startAnalyzer'; readonly sessionId: string; readonly dtmf: string }
  | { readonly kind: 'stopAnalyzer'; readonly connectionId: string }
  | { readonly kind: 'schedulePoll'; readonly sessionId: string; readonly seq: number; readonly delaySeconds: number }
  | { readonly kind: 'scheduleTimeout'; readonly sessionId: string; readonly delaySeconds: number }
  | { readonly kind: 'scheduleWakeup'; readonly wakeup: Wakeup; readonly delaySeconds: number };

export type CommandKind = Command['kind'];

/** A command ready to run: its id repeats on redelivery of the same event. */
export type StampedCommand = Command & { readonly commandId: string };

/** One kind of stamped command. */
export type CommandOf<K extends CommandKind> = Extract<StampedCommand, { kind: K }>;

export interface Decision {
  readonly state: Session;
  readonly commands: readonly Command[];
  /** What happened, for the call's timeline; numbered from the session's `timelineCount`. */
  readonly notes: readonly TimelineEntry[];
  /** What to count. */
  readonly facts: readonly MetricFact[];
}

/** Settings the call flow needs; fixed per deployment. */
export interface CallFlowSettings {
  readonly transferNumbers: readonly string[];
  readonly operatorRingTimeoutSeconds: number;
  readonly pollIntervalSeconds: number;
  readonly analyzerJoinTimeoutSeconds: number;
  readonly maxCallAgeSeconds: number;
  /** Invalid or silent menu prompts before the polite fallback. */
  readonly maxMenuMisses: number;
  readonly policy: PolicySettings;
  /** A candidate policy judged beside the live one, never acted on. */
  readonly shadowPolicy?: PolicySettings;
  readonly operatorScreening: OperatorScreening;
  /** Whether operator dials ask Telnyx for answering-machine detection. */
  readonly detectMachines: boolean;
  /** Seconds an answered operator leg has to accept before the next number is tried. */
  readonly operatorAcceptTimeoutSeconds: number;
  /** Seconds between the backstop's looks at a live session. */
  readonly sessionCheckSeconds: number;
}

/** What a command told us back; the call flow hears it as an ordinary event (see `eventForResult`). */
export type CommandResult =
  | { readonly kind: 'done' }
  /** A leg's status, when asked. */
  | { readonly kind: 'call-status'; readonly alive: boolean }
  /** Failed for now (Telnyx 5xx, 429, a timeout, the network): worth trying again later. */
  | { readonly kind: 'unavailable'; readonly reason: string }
  /** A dial placed a leg. */
  | { readonly kind: 'dialed'; readonly callControlId: string }
  | { readonly kind: 'analyzer-started'; readonly connectionId: string; readonly conversationId: string }
  | { readonly kind: 'analyzer-failed'; readonly reason: string }
  /** Refused for good (the leg or conference is gone, the request is not allowed): retrying cannot help. */
  | { readonly kind: 'refused'; readonly status: number };

/** A timer or a poll cycle, delivered later through the queue. */
export type Wakeup =
  | { readonly kind: 'poll'; readonly sessionId: string; readonly seq: number }
  | { readonly kind: 'analyzer-timeout'; readonly sessionId: string }
  | { readonly kind: 'accept-timeout'; readonly sessionId: string; readonly round: number; readonly attempt: number }
  | { readonly kind: 'check'; readonly sessionId: string }
  /** An analyzer leg that has not said which session it belongs to yet. */
  | { readonly kind: 'leg-check'; readonly callControlId: string }
  /** A command that failed for now, tried again (`sessionId` absent for a leg of no session). */
  | { readonly kind: 'retry'; readonly sessionId?: string; readonly command: StampedCommand; readonly attempt: number };

/** Commands an event produced, kept so a redelivery can repeat them with the same ids. */
export interface RecordedEffect {
  readonly eventId: string;
  readonly commands: readonly StampedCommand[];
  /** When the event was applied: effects are kept for the redelivery window, however many events come. */
  readonly atMs?: number;
}

/** A session as stored: the call-flow state plus the delivery bookkeeping around it. */
export interface SessionRecord {
  readonly session: Session;
  /** Event ids already applied, newest last, bounded. */
  readonly seenEventIds: readonly string[];
  readonly effects: readonly RecordedEffect[];
}

/** A look-up entry pointing back at a session: one per leg, one for the conference. */
export type Link =
  | { readonly kind: 'leg'; readonly callControlId: string; readonly role: Role }
  | { readonly kind: 'conference'; readonly conferenceId: string };

/** What a leg's look-up entry says. */
export interface LegLink {
  readonly sessionId: string | undefined;
  readonly role: Role | undefined;
}
