import { sessionCodePattern } from './analyzer-code.js';
import { byTime, isPromptEcho } from './escalation-policy.js';
import { maskPhone } from './masking.js';
import { redact } from './redaction.js';
import type {
  AttemptOutcome,
  CallEvent,
  CallFlowSettings,
  Command,
  Decision,
  Escalation,
  EscalationReason,
  LegTag,
  MetricFact,
  OperatorAttempt,
  OperatorLegRef,
  SentimentSourceName,
  Session,
  TimelineEntry,
  TimelineKind,
  Utterance,
} from './model.js';
import { operatorBriefing, prompts } from './prompts.js';
import { policyVerdict, reasonOf, verdictChange } from './verdicts.js';

/** Utterances kept on the session: enough for any window or streak rule. */
const keptUtterances = 50;
/**
 * What the analyzer says is remembered by time, not by count: anything dated this far behind
 * the newest utterance heard counts as heard already (the analyzer has no "since" parameter and
 * returns the whole conversation every time), and ids are kept only inside this window.
 */
export const lateUtteranceWindowMs = 5 * 60_000;
/** Keys of the customer's leg remembered, enough to recognise a session code (ten digits and `#`). */
const keptKeys = 12;
/** A session code keyed with no gap longer than this is a machine sending it, not a caller pressing keys. */
const codeKeyGapMs = 3000;
/** Timeline entries kept per call: a long call's story past this is not stored. */
export const maxTimelineEntries = 500;

export interface NewSession {
  readonly id: string;
  readonly customerCallControlId: string;
  readonly fromMasked: string;
  readonly conferenceNamePrefix: string;
  readonly source: SentimentSourceName;
  readonly callerKey?: string;
}

/** A session as it is before its first event. */
export function newSession(init: NewSession, nowMs: number): Session {
  return {
    id: init.id,
    version: 0,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    status: 'active',
    customer: {
      callControlId: init.customerCallControlId,
      fromMasked: init.fromMasked,
      answered: false,
      joined: false,
      hungUp: false,
      ...(init.callerKey !== undefined ? { callerKey: init.callerKey } : {}),
    },
    conference: { name: `${init.conferenceNamePrefix}-${init.id}`, ended: false },
    analyzer: { source: init.source, status: 'none' },
    menu: { status: 'waiting', misses: 0 },
    poll: { active: false },
    utterances: [],
    heard: { newestAtMs: 0, recent: [] },
  };
}

/** The DTMF string the analyzer dials after connecting: pauses, the session id, then `#`. */
export function analyzerDtmf(sessionId: string): string {
  return `,,${sessionId}#`;
}

function keypadReason(atMs: number): EscalationReason {
  return { rule: 'dtmf', detail: 'The customer pressed 1 for an operator.', atMs };
}

/** An operator leg's hangup cause, as the attempt's outcome (while it was still ringing). */
function ringOutcome(cause: string): AttemptOutcome {
  if (cause === 'user_busy') return 'busy';
  if (cause === 'call_rejected') return 'declined';
  if (cause === 'originator_cancel') return 'cancelled';
  return 'no-answer';
}

/**
 * The call flow: `(state, event, now) -> { state, commands }`. Pure: no I/O, no clock, no
 * randomness. Every event type is handled explicitly; an event that does not apply to the
 * session's state returns it unchanged with no commands, which is also what makes redelivered
 * and reordered webhooks harmless.
 */
export function createCallFlow(settings: CallFlowSettings) {
  return function transition(state: Session, event: CallEvent, nowMs: number): Decision {
    const flow = new Flow(state, settings, nowMs);
    flow.apply(event);
    return flow.decision();
  };
}

export type Transition = ReturnType<typeof createCallFlow>;

class Flow {
  private state: Session;
  private readonly commands: Command[] = [];
  private readonly notes: TimelineEntry[] = [];
  private readonly facts: MetricFact[] = [];

  constructor(
    private readonly initial: Session,
    private readonly settings: CallFlowSettings,
    private readonly nowMs: number,
  ) {
    this.state = initial;
  }

  decision(): Decision {
    if (this.state === this.initial && this.notes.length === 0) return { state: this.initial, commands: this.commands, notes: [], facts: this.facts };
    const timelineCount = (this.state.timelineCount ?? 0) + this.notes.length;
    return {
      state: { ...this.state, updatedAtMs: this.nowMs, ...(this.notes.length > 0 ? { timelineCount } : {}) },
      commands: this.commands,
      notes: this.notes,
      facts: this.facts,
    };
  }

  apply(event: CallEvent): void {
    if ((event.type === 'call.answered' || event.type === 'call.hangup' || event.type === 'operator.initiated' || event.type === 'operator.machine') && event.operator) {
      // Operator webhooks may overtake the dial's own bookkeeping: bind the leg on whichever comes first.
      this.bindOperator(event.callControlId, event.operator);
    }
    const s = this.state;
    switch (event.type) {
      case 'customer.incoming':
        return this.onCustomerIncoming(event.callControlId);
      case 'call.answered':
        if (event.callControlId === s.customer.callControlId) return this.onCustomerAnswered();
        return this.onOperatorAnswered(event.callControlId);
      case 'call.hangup':
        return this.onHangup(event.callControlId, event.cause, event.occurredAtMs);
      case 'call.dtmf':
        if (event.callControlId === s.customer.callControlId) return this.onCustomerKey(event.digit, event.occurredAtMs);
        return this.onOperatorKeys(event.callControlId, event.digit, undefined);
      case 'gather.ended':
        if (event.callControlId === s.customer.callControlId) return this.onMenuEnded(event.digits, event.status, event.occurredAtMs);
        return this.onOperatorKeys(event.callControlId, event.digits, event.status);
      case 'operator.initiated':
        return;
      case 'operator.machine':
        return this.onOperatorMachine(event.callControlId, event.result);
      case 'operator.refused':
        return this.onOperatorRefused(event.operator, event.reason);
      case 'operator.accept-timeout': {
        const index = this.attemptOf(event.operator);
        if (index === undefined || this.state.escalation!.attempts[index]!.status !== 'screening') return;
        return this.failAttempt(index, 'no-answer', 'not accepted in time', true, undefined);
      }
      case 'conference.created':
        if (event.callControlId !== s.customer.callControlId) return;
        return this.learnConference(event.conferenceId);
      case 'participant.joined':
        return this.onParticipantJoined(event.conferenceId, event.callControlId);
      case 'participant.left':
        return this.onParticipantLeft(event.conferenceId, event.callControlId);
      case 'conference.ended':
        // After the session's end this is our own endConference coming back: nothing to record.
        if (!this.live || (s.conference.id !== undefined && event.conferenceId !== s.conference.id)) return;
        if (s.conference.ended) return;
        this.set({ conference: { ...s.conference, id: event.conferenceId, ended: true } });
        return;
      case 'analyzer.identified':
        return this.onAnalyzerIdentified(event.callControlId);
      case 'analyzer.started': {
        // Its leg may have joined before the start's answer was heard: it is polled from now on.
        const joinedFirst = s.analyzer.status === 'joined' && s.analyzer.connectionId === undefined;
        if (s.analyzer.status !== 'requested' && !joinedFirst) return;
        this.set({ analyzer: { ...s.analyzer, status: joinedFirst ? 'joined' : 'started', connectionId: event.connectionId, conversationId: event.conversationId } });
        if (s.status === 'ended') this.emit({ kind: 'stopAnalyzer', connectionId: event.connectionId });
        else if (joinedFirst) this.startPolling();
        return;
      }
      case 'analyzer.failed':
        if (s.analyzer.status === 'failed' || s.analyzer.status === 'stopped') return;
        this.set({ analyzer: { ...s.analyzer, status: 'failed', failure: event.reason } });
        this.note('analyzer', 'The analyzer could not start: keypad only');
        return this.startMenuIfReady(true);
      case 'analyzer.timeout':
        return this.startMenuIfReady(true);
      case 'utterances.heard':
        // The tag routed a transcript here; the stored customer leg decides whether it counts.
        if (event.callControlId !== undefined && event.callControlId !== s.customer.callControlId) return;
        return this.onUtterances(event.utterances);
      case 'session.check':
        return this.onCheck();
      case 'customer.status':
        if (!event.alive && this.live) this.endSession('the customer’s leg is gone', false);
        return;
      case 'prompt.refused':
        return this.onPromptRefused(event.prompt, event.text);
      default: {
        const unhandled: never = event;
        throw new Error(`Unhandled event ${(unhandled as CallEvent).type}`);
      }
    }
  }

  private set(patch: Partial<Session>): void {
    this.state = { ...this.state, ...patch };
  }

  private emit(command: Command): void {
    this.commands.push(command);
  }

  /** A line for the call's timeline; the session counts it, so noting is itself a change. */
  private note(kind: TimelineKind, text: string, atMs = this.nowMs, score?: number): void {
    const index = (this.state.timelineCount ?? 0) + this.notes.length;
    if (index >= maxTimelineEntries) return;
    this.notes.push({ index, atMs, kind, text, ...(score !== undefined ? { score } : {}) });
  }

  private count(fact: MetricFact): void {
    this.facts.push(fact);
  }

  /** An operator number as the timeline shows it. */
  private operatorName(index: number): string {
    return `Operator ${maskPhone(this.state.escalation?.attempts[index]?.to)}`;
  }

  private get customerTag(): LegTag {
    return { sessionId: this.state.id, role: 'customer' };
  }

  private get live(): boolean {
    return this.state.status === 'active';
  }

  private get viaConference(): boolean {
    return this.state.promptPath === 'conference' && this.state.conference.id !== undefined;
  }

  // ---------------------------------------------------------------- the customer's leg

  private onCustomerIncoming(callControlId: string): void {
    const s = this.state;
    // Only a session's very first event answers; the session is created for it.
    if (callControlId !== s.customer.callControlId || s.version !== 0 || s.customer.answered) return;
    // Answer first: Telnyx hangs up a call that gets no command in time; the slower work follows.
    this.emit({ kind: 'answer', callControlId, tag: this.customerTag });
    this.note('call', `Call from ${s.customer.fromMasked}`);
    if (s.analyzer.source === 'symbl') {
      this.set({ analyzer: { ...s.analyzer, status: 'requested' } });
      this.emit({ kind: 'startAnalyzer', sessionId: s.id, dtmf: analyzerDtmf(s.id) });
    }
    // The backstop: a session whose hangup never arrives is still closed.
    this.emit({ kind: 'scheduleWakeup', wakeup: { kind: 'check', sessionId: s.id }, delaySeconds: this.settings.sessionCheckSeconds });
  }

  private onCustomerAnswered(): void {
    const s = this.state;
    if (s.customer.answered || !this.live) return;
    this.set({ customer: { ...s.customer, answered: true } });
    this.note('call', 'Answered');
    this.emit({ kind: 'createConference', callControlId: s.customer.callControlId, name: s.conference.name, tag: this.customerTag });
  }

  /** A key on the customer's leg: 1 asks for an operator (inside a menu too); a session code means no customer at all. */
  private onCustomerKey(digit: string, occurredAtMs: number | undefined): void {
    const s = this.state;
    if (!this.live) return;
    if (s.analyzer.source === 'symbl') {
      // Only where an analyzer calls in can one pose as a customer.
      const keys = [...(s.customer.keys ?? []), { digit, atMs: occurredAtMs ?? this.nowMs }].sort((a, b) => a.atMs - b.atMs).slice(-keptKeys);
      this.set({ customer: { ...s.customer, keys } });
      if (this.keyedSessionCode(keys)) return this.onAnalyzerPosingAsCustomer();
    }
    // A 1 always means "an operator, please", inside a menu too: the gather may never see the
    // key (its command not yet run, or pressed between a timeout and the re-prompt). The
    // escalation is claimed once, so the gather's own end then changes nothing.
    if (digit === '1') return this.escalate(keypadReason(occurredAtMs ?? this.nowMs), true, occurredAtMs);
    // With the menu spoken into the conference there is no gather: the keys answer it directly.
    if (digit === '2' && this.state.promptPath === 'conference' && this.state.menu.status === 'playing') this.playMenu(prompts.menu, 0);
  }

  /** Ten digits and `#`, keyed at a machine's pace: the analyzer calling from a number not configured as its own. */
  private keyedSessionCode(keys: readonly { digit: string; atMs: number }[]): boolean {
    const tail = keys.slice(-11);
    if (tail.length < 11 || tail[10]!.digit !== '#') return false;
    if (!sessionCodePattern.test(tail.slice(0, 10).map((k) => k.digit).join(''))) return false;
    return tail.every((key, i) => i === 0 || key.atMs - tail[i - 1]!.atMs <= codeKeyGapMs);
  }

  private onAnalyzerPosingAsCustomer(): void {
    const callerKey = this.state.customer.callerKey;
    if (callerKey !== undefined) this.emit({ kind: 'rememberAnalyzerCaller', callerKey });
    this.endSession('not a customer: the leg keyed a session code (an analyzer calling from a number missing from SYMBL_NUMBER)', true);
  }

  // ---------------------------------------------------------------- conference, analyzer, menu

  private learnConference(conferenceId: string): void {
    const s = this.state;
    if (s.conference.id !== undefined) return;
    this.set({ conference: { ...s.conference, id: conferenceId } });
    // The analyzer may have been identified before the conference existed.
    if (s.analyzer.callControlId !== undefined && !s.analyzer.legHungUp && s.analyzer.status !== 'joined' && s.analyzer.status !== 'failed' && this.live) {
      this.emit({ kind: 'joinConference', conferenceId, callControlId: s.analyzer.callControlId, mute: true });
    }
    if (s.escalation?.status === 'waiting-for-conference' && this.live) this.dialAttempt(0);
  }

  private onParticipantJoined(conferenceId: string, callControlId: string): void {
    const s = this.state;
    if (s.conference.id !== undefined && s.conference.id !== conferenceId) return;
    if (callControlId === s.customer.callControlId) {
      this.learnConference(conferenceId);
      if (this.state.customer.joined) return;
      this.set({ customer: { ...this.state.customer, joined: true } });
      if (!this.live) return;
      if (s.analyzer.source === 'telnyx') {
        this.emit({ kind: 'startTranscription', callControlId });
        return this.startMenuIfReady(true);
      }
      if (this.state.analyzer.status === 'joined' || this.state.analyzer.status === 'failed') return this.startMenuIfReady(true);
      this.emit({ kind: 'scheduleTimeout', sessionId: s.id, delaySeconds: this.settings.analyzerJoinTimeoutSeconds });
      return;
    }
    if (callControlId === s.analyzer.callControlId) {
      if (s.analyzer.status === 'joined' || s.analyzer.status === 'failed') return;
      this.set({ analyzer: { ...s.analyzer, status: 'joined' } });
      if (!this.live) return;
      this.note('analyzer', 'Analyzer joined the conference, muted');
      this.startPolling();
      return this.startMenuIfReady(false);
    }
    const index = this.findAttempt(callControlId);
    const escalation = s.escalation;
    if (index === undefined || escalation === undefined) return;
    const attempt = escalation.attempts[index]!;
    if (attempt.status !== 'joining' && attempt.status !== 'screening') return;
    const attempts = [...escalation.attempts];
    attempts[index] = { ...attempt, status: 'connected', outcome: 'answered' };
    this.set({ escalation: { ...escalation, attempts, status: 'connected', connectedAtMs: this.nowMs } });
    this.count({ kind: 'operator-attempt', outcome: 'answered' });
    this.count({ kind: 'operator-connected', secondsFromEscalation: (this.nowMs - escalation.claimedAtMs) / 1000 });
    if (!this.live) this.emit({ kind: 'hangup', callControlId });
    else this.note('operator', `${this.operatorName(index)} joined the call`);
  }

  private onParticipantLeft(conferenceId: string, callControlId: string): void {
    const s = this.state;
    if (!this.live || (s.conference.id !== undefined && s.conference.id !== conferenceId)) return;
    const index = this.findAttempt(callControlId);
    if (index !== undefined && s.escalation?.attempts[index]?.status === 'connected') this.operatorLeft(index, 'left the conference', undefined, true);
  }

  private onAnalyzerIdentified(callControlId: string): void {
    const s = this.state;
    // Only a session that asked for an analyzer takes one (the role came from the tag).
    if (s.analyzer.status === 'none') return;
    if (s.analyzer.callControlId !== undefined) {
      // A later sign from the same leg (its gather, another digit) while it is not in the
      // conference yet: the first join may have been lost with a delivery no one retries, so ask
      // again. Telnyx refuses a join for a leg already in (the executor logs and moves on).
      const stillOutside = s.analyzer.callControlId === callControlId && s.analyzer.status !== 'joined' && s.analyzer.status !== 'failed' && !s.analyzer.legHungUp;
      if (stillOutside && this.live && s.conference.id !== undefined) {
        this.emit({ kind: 'joinConference', conferenceId: s.conference.id, callControlId, mute: true });
      }
      return;
    }
    this.set({ analyzer: { ...s.analyzer, callControlId } });
    // After the end, or when its start failed (no conversation to read, no connection to stop): not joined.
    if (!this.live || s.analyzer.status === 'failed') {
      this.emit({ kind: 'hangup', callControlId });
      return;
    }
    if (s.conference.id !== undefined) {
      this.emit({ kind: 'joinConference', conferenceId: s.conference.id, callControlId, mute: true });
    }
  }

  private startPolling(): void {
    const s = this.state;
    if (s.poll.active || s.escalation !== undefined || s.analyzer.source !== 'symbl' || s.analyzer.conversationId === undefined) return;
    this.set({ poll: { active: true } });
    this.emit({ kind: 'schedulePoll', sessionId: s.id, seq: 0, delaySeconds: this.settings.pollIntervalSeconds });
  }

  /** The menu plays once the customer is in the conference and the analyzer is there or given up on. */
  private startMenuIfReady(analyzerSettled: boolean): void {
    const s = this.state;
    if (!this.live || s.menu.status !== 'waiting' || !s.customer.joined) return;
    if (s.escalation !== undefined && s.escalation.status !== 'failed' && s.escalation.status !== 'left') return;
    if (!analyzerSettled && s.analyzer.status !== 'joined') return;
    this.playMenu(prompts.menu, 0);
  }

  private playMenu(text: string, misses: number): void {
    const s = this.state;
    this.set({ menu: { status: 'playing', misses } });
    this.note('menu', misses === 0 ? 'Menu: 1 for an operator, 2 to repeat' : 'Menu again (nothing valid pressed)');
    if (this.viaConference) {
      this.emit({ kind: 'conferenceSpeak', conferenceId: s.conference.id!, callControlIds: [s.customer.callControlId], text });
      return;
    }
    this.emit({ kind: 'playMenu', callControlId: s.customer.callControlId, text, tag: this.customerTag });
  }

  /** Says something to the customer, by whichever path reaches them. */
  private say(text: string): void {
    const s = this.state;
    if (this.viaConference) {
      this.emit({ kind: 'conferenceSpeak', conferenceId: s.conference.id!, callControlIds: [s.customer.callControlId], text });
      return;
    }
    this.emit({ kind: 'speak', callControlId: s.customer.callControlId, text, tag: this.customerTag });
  }

  /** Telnyx refused a call-level prompt on the customer's leg: from now on prompts go through the conference. */
  private onPromptRefused(_prompt: 'playMenu' | 'speak', text: string): void {
    const s = this.state;
    if (!this.live || s.promptPath === 'conference' || s.conference.id === undefined) return;
    this.set({ promptPath: 'conference' });
    this.note('prompt', 'Telnyx refused a prompt on the customer’s leg: prompts now go through the conference');
    // The menu stays `playing`: with no gather on this path, the customer's keys answer it directly.
    this.emit({ kind: 'conferenceSpeak', conferenceId: s.conference.id, callControlIds: [s.customer.callControlId], text });
  }

  /** A keypress from before the last round ended, or no later than the one that asked for it, is a late copy: it belongs to an earlier menu. */
  private beforeLastFailure(occurredAtMs: number | undefined): boolean {
    const { failedAtMs, askedAtMs } = this.state.escalation ?? {};
    if (occurredAtMs === undefined) return false;
    return (failedAtMs !== undefined && occurredAtMs < failedAtMs) || (askedAtMs !== undefined && occurredAtMs <= askedAtMs);
  }

  private onMenuEnded(digits: string, status: string, occurredAtMs: number | undefined): void {
    const s = this.state;
    if (s.menu.status !== 'playing' || !this.live || this.beforeLastFailure(occurredAtMs)) return;
    if (status === 'valid' && digits === '1') {
      // After a round, only the key itself (its call.dtmf) asks again: the gather ending with a 1 may be the one the last round started from.
      if (s.escalation !== undefined) return;
      this.set({ menu: { ...s.menu, status: 'paused' } });
      return this.escalate(keypadReason(occurredAtMs ?? this.nowMs), false, occurredAtMs);
    }
    if (status === 'valid' && digits === '2') return this.playMenu(prompts.menu, 0);
    if (status === 'cancelled' || status === 'call_hangup') {
      this.set({ menu: { ...s.menu, status: 'paused' } });
      return;
    }
    const misses = s.menu.misses + 1;
    if (misses < this.settings.maxMenuMisses) return this.playMenu(prompts.menuRetry, misses);
    this.set({ menu: { status: 'fallback', misses } });
    this.note('menu', 'No answer to the menu: told we stay on the line');
    this.say(prompts.fallback);
  }

  // ---------------------------------------------------------------- escalation and operators

  /**
   * The one place an escalation is claimed. A session escalates once; only after a round ended
   * (every operator failed, or the connected one left) may the customer ask again (by keypad),
   * which starts a new round.
   */
  private escalate(reason: EscalationReason, stopMenu: boolean, occurredAtMs?: number): void {
    const s = this.state;
    // A keypress shows the customer's call is up, even when its call.answered is still on the way.
    if (!this.live || (!s.customer.answered && reason.rule !== 'dtmf')) return;
    const roundOver = s.escalation?.status === 'failed' || s.escalation?.status === 'left';
    if (s.escalation !== undefined && !(roundOver && reason.rule === 'dtmf')) return;
    if (this.beforeLastFailure(occurredAtMs)) return;
    if (this.settings.transferNumbers.length === 0) return;
    const round = s.escalation === undefined ? 0 : s.escalation.round + 1;
    const escalation: Escalation = {
      reason,
      claimedAtMs: this.nowMs,
      round,
      attempts: [],
      status: 'waiting-for-conference',
      briefed: false,
      ...(occurredAtMs !== undefined ? { askedAtMs: occurredAtMs } : {}),
    };
    this.set({ escalation, poll: { ...s.poll, active: false } });
    if (reason.rule === 'dtmf' && s.verdicts?.keypadAtMs === undefined) this.set({ verdicts: { ...s.verdicts, keypadAtMs: reason.atMs ?? this.nowMs } });
    this.count({ kind: 'escalation', rule: reason.rule });
    this.note('escalation', `${round > 0 ? `New round ${round + 1}: ` : ''}Escalated (${reason.rule}): ${reason.detail}`);
    if (stopMenu && s.menu.status === 'playing' && s.promptPath !== 'conference') {
      this.emit({ kind: 'stopGather', callControlId: s.customer.callControlId });
    }
    if (s.menu.status === 'playing') this.set({ menu: { ...this.state.menu, status: 'paused' } });
    this.say(prompts.connecting);
    if (s.conference.id !== undefined) this.dialAttempt(0);
  }

  /** Dials one operator number on a leg of its own: it joins the customer only once a person is known to be there. */
  private dialAttempt(index: number): void {
    const s = this.state;
    const escalation = s.escalation;
    const to = this.settings.transferNumbers[index];
    if (escalation === undefined || to === undefined || s.conference.id === undefined) return;
    const attempts: OperatorAttempt[] = [...escalation.attempts];
    attempts[index] = { to, status: 'ringing' };
    this.set({ escalation: { ...escalation, attempts, status: 'dialing' } });
    this.note('operator', `Dialing operator ${maskPhone(to)}`);
    this.emit({
      kind: 'dialOperator',
      to,
      tag: { sessionId: s.id, role: 'operator', attempt: index, round: escalation.round },
      timeoutSecs: this.settings.operatorRingTimeoutSeconds,
      operator: { attempt: index, round: escalation.round },
      detectMachine: this.settings.detectMachines,
    });
  }

  private findAttempt(callControlId: string): number | undefined {
    const index = this.state.escalation?.attempts.findIndex((a) => a.callControlId === callControlId) ?? -1;
    return index >= 0 ? index : undefined;
  }

  /** The attempt a reference names, in the current round only. */
  private attemptOf(ref: OperatorLegRef): number | undefined {
    const escalation = this.state.escalation;
    if (escalation === undefined || escalation.round !== ref.round || escalation.attempts[ref.attempt] === undefined) return undefined;
    return ref.attempt;
  }

  private bindOperator(callControlId: string, ref: OperatorLegRef): void {
    const escalation = this.state.escalation;
    const index = this.attemptOf(ref);
    const current = index === undefined ? undefined : escalation?.attempts[index];
    if (escalation === undefined || index === undefined || current === undefined || current.callControlId !== undefined) return;
    const attempts = [...escalation.attempts];
    attempts[index] = { ...current, callControlId };
    this.set({ escalation: { ...escalation, attempts } });
    // The customer left, or the attempt already ended (refused while its leg was placed after all): release the leg.
    if ((!this.live && current.status === 'ringing') || current.status === 'failed') this.emit({ kind: 'hangup', callControlId });
  }

  private updateAttempt(index: number, patch: Partial<OperatorAttempt>): OperatorAttempt {
    const escalation = this.state.escalation!;
    const attempts = [...escalation.attempts];
    const next = { ...attempts[index]!, ...patch };
    attempts[index] = next;
    this.set({ escalation: { ...escalation, attempts } });
    return next;
  }

  /** An operator picked up: brief them on their own leg, and give them a while to take the call. */
  private onOperatorAnswered(callControlId: string): void {
    const escalation = this.state.escalation;
    const index = this.findAttempt(callControlId);
    if (escalation === undefined || index === undefined) return;
    if (escalation.attempts[index]!.status !== 'ringing') return;
    if (!this.live) {
      this.emit({ kind: 'hangup', callControlId });
      return;
    }
    this.updateAttempt(index, { status: 'screening' });
    this.set({ escalation: { ...this.state.escalation!, briefed: true } });
    this.note('operator', `${this.operatorName(index)} answered: briefed, asked to press 1`);
    this.emit({
      kind: 'briefOperator',
      callControlId,
      text: operatorBriefing(escalation.reason.detail),
      tag: { sessionId: this.state.id, role: 'operator', attempt: index, round: escalation.round },
    });
    this.emit({
      kind: 'scheduleWakeup',
      wakeup: { kind: 'accept-timeout', sessionId: this.state.id, round: escalation.round, attempt: index },
      delaySeconds: this.settings.operatorAcceptTimeoutSeconds,
    });
  }

  private onOperatorMachine(callControlId: string, result: 'human' | 'machine' | 'not_sure'): void {
    const index = this.findAttempt(callControlId);
    const attempt = index === undefined ? undefined : this.state.escalation?.attempts[index];
    if (index === undefined || attempt === undefined || (attempt.status !== 'ringing' && attempt.status !== 'screening') || !this.live) return;
    if (result === 'machine') return this.failAttempt(index, 'voicemail', 'an answering machine picked up', true, undefined);
    this.updateAttempt(index, { machine: result });
    this.note('operator', `${this.operatorName(index)}: machine detection says ${result === 'human' ? 'a person' : 'not sure'}`);
    this.settleScreening(index);
  }

  /** Keys on an operator's leg while being screened: 1 takes the call, 2 declines it; a gather's end also means the briefing was heard. */
  private onOperatorKeys(callControlId: string, digits: string, gatherStatus: string | undefined): void {
    const index = this.findAttempt(callControlId);
    const attempt = index === undefined ? undefined : this.state.escalation?.attempts[index];
    if (index === undefined || attempt === undefined || attempt.status !== 'screening' || !this.live) return;
    const gathered = gatherStatus !== undefined;
    const pressed = gathered ? (gatherStatus === 'valid' ? digits : '') : digits;
    if (pressed === '2') return this.failAttempt(index, 'declined', 'the operator declined', true, undefined);
    this.updateAttempt(index, { ...(pressed === '1' ? { accepted: true } : {}), ...(gathered ? { briefingDone: true } : {}) });
    this.settleScreening(index);
  }

  /** Whether the configured sign of a person is there. */
  private personKnown(accepted: boolean, human: boolean, briefed: boolean): boolean {
    switch (this.settings.operatorScreening) {
      case 'either':
        return accepted || (human && briefed);
      case 'human':
        return human && (briefed || accepted);
      case 'keypress':
        return accepted;
      case 'both':
        return accepted && human;
    }
  }

  /**
   * A screened leg joins the customer once a person is known to be there; it is released as soon
   * as nothing that could still come (a keypress while the briefing plays, machine detection's
   * verdict) would make it so.
   */
  private settleScreening(index: number): void {
    const attempt = this.state.escalation!.attempts[index]!;
    if (attempt.status !== 'screening' || attempt.callControlId === undefined) return;
    const human = attempt.machine === 'human';
    const accepted = attempt.accepted === true;
    const briefed = attempt.briefingDone === true;
    const conferenceId = this.state.conference.id;
    if (this.personKnown(accepted, human, briefed) && conferenceId !== undefined) {
      this.updateAttempt(index, { status: 'joining' });
      this.note('operator', `${this.operatorName(index)} took the call`);
      if (!briefed) this.emit({ kind: 'stopGather', callControlId: attempt.callControlId });
      this.emit({ kind: 'joinConference', conferenceId, callControlId: attempt.callControlId, mute: false });
      return;
    }
    const mayStillAccept = accepted || !briefed;
    const mayStillBeHuman = human || (this.settings.detectMachines && attempt.machine === undefined);
    if (!this.personKnown(mayStillAccept, mayStillBeHuman, true)) this.failAttempt(index, 'no-answer', 'the operator did not take the call', true, undefined);
  }

  private onOperatorRefused(ref: OperatorLegRef, reason: string): void {
    const index = this.attemptOf(ref);
    const attempt = index === undefined ? undefined : this.state.escalation?.attempts[index];
    if (index === undefined || attempt === undefined || attempt.status !== 'ringing' || attempt.callControlId !== undefined || !this.live) return;
    this.failAttempt(index, 'refused', reason, false, undefined);
  }

  /** Ends one attempt (releasing its leg when asked) and moves on: the next number, or the end of the round. */
  private failAttempt(index: number, outcome: AttemptOutcome, cause: string, release: boolean, occurredAtMs: number | undefined): void {
    const attempt = this.updateAttempt(index, { status: 'failed', outcome, endedCause: cause });
    if (release && attempt.callControlId !== undefined) this.emit({ kind: 'hangup', callControlId: attempt.callControlId });
    this.count({ kind: 'operator-attempt', outcome });
    if (!this.live) return;
    this.note('operator', `${this.operatorName(index)}: ${outcome} (${cause})`);
    if (index + 1 < this.settings.transferNumbers.length) {
      this.say(prompts.stillTrying);
      return this.dialAttempt(index + 1);
    }
    // Every operator failed: apologise and offer the menu again.
    this.set({ escalation: { ...this.state.escalation!, status: 'failed', ...(occurredAtMs !== undefined ? { failedAtMs: occurredAtMs } : {}) } });
    this.note('prompt', 'No operator available: apology, then the menu');
    this.say(prompts.noOperator);
    this.playMenu(prompts.menu, 0);
  }

  /** The connected operator left while the customer is still there: tell them, and offer the menu again. */
  private operatorLeft(index: number, cause: string, occurredAtMs: number | undefined, release: boolean): void {
    const attempt = this.updateAttempt(index, { status: 'failed', outcome: 'left', endedCause: cause });
    if (release && attempt.callControlId !== undefined) this.emit({ kind: 'hangup', callControlId: attempt.callControlId });
    this.count({ kind: 'operator-attempt', outcome: 'left' });
    this.set({ escalation: { ...this.state.escalation!, status: 'left', ...(occurredAtMs !== undefined ? { failedAtMs: occurredAtMs } : {}) } });
    this.note('operator', `${this.operatorName(index)} left the call: the customer is told, and offered the menu`);
    this.say(prompts.operatorLeft);
    this.playMenu(prompts.menu, 0);
  }

  private onHangup(callControlId: string, cause: string, occurredAtMs: number | undefined): void {
    const s = this.state;
    if (callControlId === s.customer.callControlId) {
      if (s.customer.hungUp) return;
      return this.endSession(`customer hung up (${cause})`, false);
    }
    if (callControlId === s.analyzer.callControlId) {
      // Once the session ended, the analyzer's leg going is the cleanup we asked for.
      if (s.analyzer.legHungUp || !this.live) return;
      this.set({ analyzer: { ...s.analyzer, legHungUp: true, status: s.analyzer.status === 'failed' ? 'failed' : 'stopped' }, poll: { ...s.poll, active: false } });
      return;
    }
    const index = this.findAttempt(callControlId);
    const attempt = index === undefined ? undefined : s.escalation?.attempts[index];
    // After the end, operator legs going away is the cleanup we asked for.
    if (index === undefined || attempt === undefined || attempt.status === 'failed' || !this.live) return;
    // Asked into the conference (it took the call): gone now, it left the customer, whether or not its participant.joined came first.
    if (attempt.status === 'connected' || attempt.status === 'joining') return this.operatorLeft(index, cause, occurredAtMs, false);
    const outcome = attempt.status === 'ringing' ? ringOutcome(cause) : 'declined';
    this.failAttempt(index, outcome, cause, false, occurredAtMs);
  }

  // ---------------------------------------------------------------- the end, and the backstop

  /** Ends the session and releases everything it holds; `hangUpCustomer` when we end it, not the customer. */
  private endSession(reason: string, hangUpCustomer: boolean): void {
    const s = this.state;
    if (!this.live) return;
    this.set({
      status: 'ended',
      customer: { ...s.customer, hungUp: s.customer.hungUp || !hangUpCustomer },
      endedAtMs: this.nowMs,
      endReason: reason,
      poll: { ...s.poll, active: false },
    });
    this.note('end', `Ended: ${reason}`);
    this.countTheEnd(s);
    if (hangUpCustomer) this.emit({ kind: 'hangup', callControlId: s.customer.callControlId });
    if (s.conference.id !== undefined && !s.conference.ended) this.emit({ kind: 'endConference', conferenceId: s.conference.id });
    if (s.analyzer.connectionId !== undefined && s.analyzer.status !== 'stopped') {
      this.emit({ kind: 'stopAnalyzer', connectionId: s.analyzer.connectionId });
    }
    if (s.analyzer.callControlId !== undefined && !s.analyzer.legHungUp) this.emit({ kind: 'hangup', callControlId: s.analyzer.callControlId });
    for (const attempt of s.escalation?.attempts ?? []) {
      if (attempt.callControlId !== undefined && attempt.status !== 'failed') this.emit({ kind: 'hangup', callControlId: attempt.callControlId });
    }
  }

  /** What a call's end tells the metrics: an escalation that never reached a person, a shadow policy that disagreed. */
  private countTheEnd(s: Session): void {
    const status = s.escalation?.status;
    if (status !== undefined && status !== 'connected' && status !== 'left') this.count({ kind: 'ended-without-operator' });
    if (this.settings.shadowPolicy === undefined) return;
    const change = verdictChange(s.verdicts?.live, s.verdicts?.shadow);
    if (change !== 'same') this.count({ kind: 'shadow-disagreement', change });
  }

  /** The backstop's look: too old, ends it; quiet for a whole interval, asks Telnyx whether the customer is still there. */
  private onCheck(): void {
    const s = this.state;
    if (!this.live) return;
    if (this.nowMs - s.createdAtMs >= this.settings.maxCallAgeSeconds * 1000) {
      return this.endSession('the call outlived MAX_CALL_AGE_SECONDS', true);
    }
    if (this.nowMs - s.updatedAtMs >= this.settings.sessionCheckSeconds * 1000) this.emit({ kind: 'checkCall', callControlId: s.customer.callControlId });
    this.emit({ kind: 'scheduleWakeup', wakeup: { kind: 'check', sessionId: s.id }, delaySeconds: this.settings.sessionCheckSeconds });
  }

  // ---------------------------------------------------------------- what the customer says

  /** Fresh speech is remembered and judged; the poll chain's position is not the session's (see poll-chain.ts). */
  private onUtterances(heard: readonly Utterance[]): void {
    const s = this.state;
    const floor = s.heard.newestAtMs - lateUtteranceWindowMs;
    const known = new Set(s.heard.recent.map((r) => r.id));
    const fresh: Utterance[] = [];
    for (const u of [...heard].sort(byTime)) {
      if (known.has(u.id) || u.atMs <= floor) continue;
      known.add(u.id);
      fresh.push(u);
    }
    // What is kept and shown is redacted before it is written; the score came from the words as said.
    const customerSpeech = fresh.filter((u) => !isPromptEcho(u.text)).map((u) => ({ ...u, text: redact(u.text) }));
    for (const u of customerSpeech) this.note('utterance', u.text, u.atMs, u.score);
    if (fresh.length > 0) {
      const newestAtMs = Math.max(s.heard.newestAtMs, ...fresh.map((u) => u.atMs));
      const recent = [...s.heard.recent, ...fresh.map((u) => ({ id: u.id, atMs: u.atMs }))].filter((r) => r.atMs > newestAtMs - lateUtteranceWindowMs);
      this.set({
        heard: { newestAtMs, recent },
        utterances: [...s.utterances, ...customerSpeech].sort(byTime).slice(-keptUtterances),
      });
    }
    if (this.live && customerSpeech.length > 0) this.judge(s.utterances, customerSpeech);
  }

  /**
   * Both policies judge fresh speech until each reaches its verdict. The live one's escalates
   * (a call that already escalated by keypad keeps its escalation); the shadow one's is only
   * recorded, for the live view and the metrics.
   */
  private judge(history: readonly Utterance[], fresh: readonly Utterance[]): void {
    const before = this.state.verdicts;
    const shadowPolicy = this.settings.shadowPolicy;
    const live = before?.live ?? policyVerdict(history, fresh, this.settings.policy);
    const shadow = before?.shadow ?? (shadowPolicy ? policyVerdict(history, fresh, shadowPolicy) : undefined);
    if (live === before?.live && shadow === before?.shadow) return;
    this.set({ verdicts: { ...before, ...(live ? { live } : {}), ...(shadow ? { shadow } : {}) } });
    if (shadow && shadow !== before?.shadow) this.note('shadow', `The shadow policy would escalate (${shadow.rule}): ${shadow.detail}`, shadow.atMs);
    if (live && live !== before?.live) this.escalate(reasonOf(live), true);
  }
}
