import { byTime, evaluatePolicy, isPromptEcho } from './escalation-policy.js';
import type {
  CallEvent,
  CallFlowSettings,
  Command,
  Decision,
  Escalation,
  EscalationReason,
  LegTag,
  OperatorAttempt,
  SentimentSourceName,
  Session,
  Utterance,
} from './model.js';
import { pollStanding } from './poll-chain.js';
import { operatorBriefing, prompts } from './prompts.js';

/** Utterances kept on the session: enough for any window or streak rule. */
const keptUtterances = 50;
/** Utterance ids remembered for de-duplication (the analyzer has no "since" parameter). */
const keptUtteranceIds = 500;

export interface NewSession {
  readonly id: string;
  readonly customerCallControlId: string;
  readonly fromMasked: string;
  readonly conferenceNamePrefix: string;
  readonly source: SentimentSourceName;
}

/** A session as it is before its first event. */
export function newSession(init: NewSession, nowMs: number): Session {
  return {
    id: init.id,
    version: 0,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    status: 'active',
    customer: { callControlId: init.customerCallControlId, fromMasked: init.fromMasked, answered: false, joined: false, hungUp: false },
    conference: { name: `${init.conferenceNamePrefix}-${init.id}`, ended: false },
    analyzer: { source: init.source, status: 'none' },
    menu: { status: 'waiting', misses: 0 },
    poll: { active: false, seq: 0 },
    utterances: [],
    seenUtteranceIds: [],
  };
}

/** The DTMF string the analyzer dials after connecting: pauses, the session id, then `#`. */
export function analyzerDtmf(sessionId: string): string {
  return `,,${sessionId}#`;
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

  constructor(
    private readonly initial: Session,
    private readonly settings: CallFlowSettings,
    private readonly nowMs: number,
  ) {
    this.state = initial;
  }

  decision(): Decision {
    if (this.state === this.initial) return { state: this.initial, commands: this.commands };
    return { state: { ...this.state, updatedAtMs: this.nowMs }, commands: this.commands };
  }

  apply(event: CallEvent): void {
    if ((event.type === 'call.answered' || event.type === 'call.hangup' || event.type === 'operator.initiated') && event.operator) {
      // Operator webhooks may overtake the dial's own bookkeeping: bind the leg on whichever comes first.
      this.bindOperator(event.callControlId, event.operator.attempt, event.operator.round);
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
        // A 1 always means "an operator, please", inside a menu too: the gather may never see
        // the key (its command not yet run, or pressed between a timeout and the re-prompt).
        // The escalation is claimed once, so the gather's own end then changes nothing.
        if (event.callControlId === s.customer.callControlId && event.digit === '1') {
          return this.escalate({ rule: 'dtmf', detail: 'The customer pressed 1 for an operator.' }, true, event.occurredAtMs);
        }
        return;
      case 'gather.ended':
        if (event.callControlId !== s.customer.callControlId) return;
        return this.onMenuEnded(event.digits, event.status, event.occurredAtMs);
      case 'operator.initiated':
        return;
      case 'conference.created':
        if (event.callControlId !== s.customer.callControlId) return;
        return this.learnConference(event.conferenceId);
      case 'participant.joined':
        return this.onParticipantJoined(event.conferenceId, event.callControlId);
      case 'participant.left':
        return;
      case 'conference.ended':
        // After the session's end this is our own endConference coming back: nothing to record.
        if (!this.live || (s.conference.id !== undefined && event.conferenceId !== s.conference.id)) return;
        if (s.conference.ended) return;
        this.set({ conference: { ...s.conference, id: event.conferenceId, ended: true } });
        return;
      case 'analyzer.identified':
        return this.onAnalyzerIdentified(event.callControlId);
      case 'analyzer.started':
        if (s.analyzer.status !== 'requested') return;
        this.set({ analyzer: { ...s.analyzer, status: 'started', connectionId: event.connectionId, conversationId: event.conversationId } });
        if (s.status === 'ended') this.emit({ kind: 'stopAnalyzer', connectionId: event.connectionId });
        return;
      case 'analyzer.failed':
        if (s.analyzer.status === 'failed' || s.analyzer.status === 'stopped') return;
        this.set({ analyzer: { ...s.analyzer, status: 'failed', failure: event.reason } });
        return this.startMenuIfReady(true);
      case 'analyzer.timeout':
        return this.startMenuIfReady(true);
      case 'utterances.heard':
        // client_state routed a transcript here; the stored customer leg decides whether it counts.
        if (event.callControlId !== undefined && event.callControlId !== s.customer.callControlId) return;
        return this.onUtterances(event.utterances, event.poll);
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

  private get customerTag(): LegTag {
    return { sessionId: this.state.id, role: 'customer' };
  }

  private get live(): boolean {
    return this.state.status === 'active';
  }

  private onCustomerIncoming(callControlId: string): void {
    const s = this.state;
    // Only a session's very first event answers; the session is created for it.
    if (callControlId !== s.customer.callControlId || s.version !== 0 || s.customer.answered) return;
    // Answer first: Telnyx hangs up a call that gets no command in time; the slower work follows.
    this.emit({ kind: 'answer', callControlId, tag: this.customerTag });
    if (s.analyzer.source === 'symbl') {
      this.set({ analyzer: { ...s.analyzer, status: 'requested' } });
      this.emit({ kind: 'startAnalyzer', sessionId: s.id, dtmf: analyzerDtmf(s.id) });
    }
  }

  private onCustomerAnswered(): void {
    const s = this.state;
    if (s.customer.answered || !this.live) return;
    this.set({ customer: { ...s.customer, answered: true } });
    this.emit({ kind: 'createConference', callControlId: s.customer.callControlId, name: s.conference.name, tag: this.customerTag });
  }

  private learnConference(conferenceId: string): void {
    const s = this.state;
    if (s.conference.id !== undefined) return;
    this.set({ conference: { ...s.conference, id: conferenceId } });
    // The analyzer may have been identified before the conference existed.
    if (s.analyzer.callControlId !== undefined && !s.analyzer.legHungUp && s.analyzer.status !== 'joined' && this.live) {
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
      if (s.analyzer.status === 'joined') return;
      this.set({ analyzer: { ...s.analyzer, status: 'joined' } });
      if (!this.live) return;
      this.startPolling();
      return this.startMenuIfReady(false);
    }
    // Only our dials join our conference, one operator at a time: a leg not known yet is the one
    // ringing now, whose dial answer and own webhooks are still on the way.
    const unbound = s.escalation?.attempts.findIndex((a) => a.status === 'ringing' && a.callControlId === undefined) ?? -1;
    if (this.findAttempt(callControlId) === undefined && unbound >= 0 && s.conference.id === conferenceId) {
      this.bindOperator(callControlId, unbound, s.escalation!.round);
    }
    const attempt = this.findAttempt(callControlId);
    const escalation = this.state.escalation;
    if (attempt !== undefined && escalation && !escalation.briefed && s.conference.id !== undefined) {
      this.set({ escalation: { ...escalation, briefed: true } });
      this.emit({
        kind: 'whisper',
        conferenceId: s.conference.id,
        callControlIds: [callControlId],
        text: operatorBriefing(escalation.reason.detail),
      });
    }
  }

  private onAnalyzerIdentified(callControlId: string): void {
    const s = this.state;
    // Only a session that asked for an analyzer takes one (the role came from client_state).
    if (s.analyzer.status === 'none') return;
    if (s.analyzer.callControlId !== undefined) {
      // A later sign from the same leg (its gather, another digit) while it is not in the
      // conference yet: the first join may have been lost with a delivery no one retries, so ask
      // again. Telnyx refuses a join for a leg already in (the executor logs and moves on).
      const stillOutside = s.analyzer.callControlId === callControlId && s.analyzer.status !== 'joined' && !s.analyzer.legHungUp;
      if (stillOutside && this.live && s.conference.id !== undefined) {
        this.emit({ kind: 'joinConference', conferenceId: s.conference.id, callControlId, mute: true });
      }
      return;
    }
    this.set({ analyzer: { ...s.analyzer, callControlId } });
    if (!this.live) {
      this.emit({ kind: 'hangup', callControlId });
      return;
    }
    if (s.conference.id !== undefined) {
      this.emit({ kind: 'joinConference', conferenceId: s.conference.id, callControlId, mute: true });
    }
  }

  private startPolling(): void {
    const s = this.state;
    if (s.poll.active || s.escalation !== undefined || s.analyzer.source !== 'symbl') return;
    this.set({ poll: { active: true, seq: s.poll.seq } });
    this.emit({ kind: 'schedulePoll', sessionId: s.id, seq: s.poll.seq, delaySeconds: this.settings.pollIntervalSeconds });
  }

  /** The menu plays once the customer is in the conference and the analyzer is there or given up on. */
  private startMenuIfReady(analyzerSettled: boolean): void {
    const s = this.state;
    if (!this.live || s.menu.status !== 'waiting' || !s.customer.joined) return;
    if (s.escalation !== undefined && s.escalation.status !== 'failed') return;
    if (!analyzerSettled && s.analyzer.status !== 'joined') return;
    this.playMenu(prompts.menu, 0);
  }

  private playMenu(text: string, misses: number): void {
    const s = this.state;
    this.set({ menu: { status: 'playing', misses } });
    this.emit({ kind: 'playMenu', callControlId: s.customer.callControlId, text, tag: this.customerTag });
  }

  /** A keypress from before the last round failed is a late copy: it belongs to an earlier menu. */
  private beforeLastFailure(occurredAtMs: number | undefined): boolean {
    const failedAtMs = this.state.escalation?.failedAtMs;
    return occurredAtMs !== undefined && failedAtMs !== undefined && occurredAtMs < failedAtMs;
  }

  private onMenuEnded(digits: string, status: string, occurredAtMs: number | undefined): void {
    const s = this.state;
    if (s.menu.status !== 'playing' || !this.live || this.beforeLastFailure(occurredAtMs)) return;
    if (status === 'valid' && digits === '1') {
      this.set({ menu: { ...s.menu, status: 'paused' } });
      return this.escalate({ rule: 'dtmf', detail: 'The customer pressed 1 for an operator.' }, false);
    }
    if (status === 'valid' && digits === '2') return this.playMenu(prompts.menu, 0);
    if (status === 'cancelled' || status === 'call_hangup') {
      this.set({ menu: { ...s.menu, status: 'paused' } });
      return;
    }
    const misses = s.menu.misses + 1;
    if (misses < this.settings.maxMenuMisses) return this.playMenu(prompts.menuRetry, misses);
    this.set({ menu: { status: 'fallback', misses } });
    this.emit({ kind: 'speak', callControlId: s.customer.callControlId, text: prompts.fallback, tag: this.customerTag });
  }

  /**
   * The one place an escalation is claimed. A session escalates once; only after every
   * operator failed may the customer ask again (by keypad), which starts a new round.
   */
  private escalate(reason: EscalationReason, stopMenu: boolean, occurredAtMs?: number): void {
    const s = this.state;
    // A keypress shows the customer's call is up, even when its call.answered is still on the way.
    if (!this.live || (!s.customer.answered && reason.rule !== 'dtmf')) return;
    if (s.escalation !== undefined && !(s.escalation.status === 'failed' && reason.rule === 'dtmf')) return;
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
    };
    this.set({ escalation, poll: { ...s.poll, active: false } });
    if (stopMenu && s.menu.status === 'playing') {
      this.emit({ kind: 'stopGather', callControlId: s.customer.callControlId });
      this.set({ menu: { ...this.state.menu, status: 'paused' } });
    }
    this.emit({ kind: 'speak', callControlId: s.customer.callControlId, text: prompts.connecting, tag: this.customerTag });
    if (s.conference.id !== undefined) this.dialAttempt(0);
  }

  private dialAttempt(index: number): void {
    const s = this.state;
    const escalation = s.escalation;
    const to = this.settings.transferNumbers[index];
    if (escalation === undefined || to === undefined || s.conference.id === undefined) return;
    const attempts: OperatorAttempt[] = [...escalation.attempts];
    attempts[index] = { to, status: 'ringing' };
    this.set({ escalation: { ...escalation, attempts, status: 'dialing' } });
    this.emit({
      kind: 'dialOperator',
      to,
      conferenceId: s.conference.id,
      tag: { sessionId: s.id, role: 'operator', attempt: index, round: escalation.round },
      timeoutSecs: this.settings.operatorRingTimeoutSeconds,
      operator: { attempt: index, round: escalation.round },
    });
  }

  private findAttempt(callControlId: string): number | undefined {
    const index = this.state.escalation?.attempts.findIndex((a) => a.callControlId === callControlId) ?? -1;
    return index >= 0 ? index : undefined;
  }

  private bindOperator(callControlId: string, attempt: number, round: number): void {
    const escalation = this.state.escalation;
    const current = escalation?.attempts[attempt];
    if (escalation === undefined || escalation.round !== round || current === undefined || current.callControlId !== undefined) return;
    const attempts = [...escalation.attempts];
    attempts[attempt] = { ...current, callControlId };
    this.set({ escalation: { ...escalation, attempts } });
    // The customer left while this operator's phone started ringing.
    if (!this.live && current.status === 'ringing') this.emit({ kind: 'hangup', callControlId });
  }

  private onOperatorAnswered(callControlId: string): void {
    const escalation = this.state.escalation;
    const index = this.findAttempt(callControlId);
    if (escalation === undefined || index === undefined) return;
    const attempt = escalation.attempts[index]!;
    if (attempt.status !== 'ringing') return;
    const attempts = [...escalation.attempts];
    attempts[index] = { ...attempt, status: 'answered' };
    this.set({ escalation: { ...escalation, attempts, status: 'connected', connectedAtMs: this.nowMs } });
    if (!this.live) this.emit({ kind: 'hangup', callControlId });
  }

  private onHangup(callControlId: string, cause: string, occurredAtMs: number | undefined): void {
    const s = this.state;
    if (callControlId === s.customer.callControlId) return this.endSession(cause);
    if (callControlId === s.analyzer.callControlId) {
      // Once the session ended, the analyzer's leg going is the cleanup we asked for.
      if (s.analyzer.legHungUp || !this.live) return;
      this.set({ analyzer: { ...s.analyzer, legHungUp: true, status: s.analyzer.status === 'failed' ? 'failed' : 'stopped' }, poll: { ...s.poll, active: false } });
      return;
    }
    const index = this.findAttempt(callControlId);
    const escalation = s.escalation;
    // After the end, operator legs going away is the cleanup we asked for.
    if (index === undefined || escalation === undefined || !this.live) return;
    const attempt = escalation.attempts[index]!;
    if (attempt.status === 'failed') return;
    const attempts = [...escalation.attempts];
    if (attempt.status === 'answered') {
      attempts[index] = { ...attempt, status: 'failed', endedCause: cause };
      this.set({ escalation: { ...escalation, attempts } });
      return;
    }
    attempts[index] = { ...attempt, status: 'failed', endedCause: cause };
    this.set({ escalation: { ...escalation, attempts } });
    if (!this.live) return;
    if (index + 1 < this.settings.transferNumbers.length) return this.dialAttempt(index + 1);
    // Every operator failed: apologise and offer the menu again.
    this.set({ escalation: { ...this.state.escalation!, status: 'failed', ...(occurredAtMs !== undefined ? { failedAtMs: occurredAtMs } : {}) } });
    this.emit({ kind: 'speak', callControlId: s.customer.callControlId, text: prompts.noOperator, tag: this.customerTag });
    this.playMenu(prompts.menu, 0);
  }

  private endSession(cause: string): void {
    const s = this.state;
    if (s.customer.hungUp) return;
    this.set({
      status: 'ended',
      customer: { ...s.customer, hungUp: true },
      endedAtMs: this.nowMs,
      endReason: `customer hung up (${cause})`,
      poll: { ...s.poll, active: false },
    });
    if (s.conference.id !== undefined && !s.conference.ended) this.emit({ kind: 'endConference', conferenceId: s.conference.id });
    if (s.analyzer.connectionId !== undefined && s.analyzer.status !== 'stopped') {
      this.emit({ kind: 'stopAnalyzer', connectionId: s.analyzer.connectionId });
    }
    if (s.analyzer.callControlId !== undefined && !s.analyzer.legHungUp) this.emit({ kind: 'hangup', callControlId: s.analyzer.callControlId });
    for (const attempt of s.escalation?.attempts ?? []) {
      if (attempt.callControlId !== undefined && attempt.status !== 'failed') this.emit({ kind: 'hangup', callControlId: attempt.callControlId });
    }
  }

  private onUtterances(heard: readonly Utterance[], poll: { seq: number; messageId: string } | undefined): void {
    const s = this.state;
    if (poll !== undefined && !this.advancePoll(poll)) return;
    const seen = new Set(s.seenUtteranceIds);
    const fresh = heard.filter((u) => !seen.has(u.id)).sort(byTime);
    const customerSpeech = fresh.filter((u) => !isPromptEcho(u.text));
    if (fresh.length > 0) {
      this.set({
        seenUtteranceIds: [...s.seenUtteranceIds, ...fresh.map((u) => u.id)].slice(-keptUtteranceIds),
        utterances: [...s.utterances, ...customerSpeech].sort(byTime).slice(-keptUtterances),
      });
    }
    if (this.live && s.escalation === undefined && customerSpeech.length > 0) {
      const verdict = evaluatePolicy(s.utterances, customerSpeech, this.settings.policy);
      if (verdict.escalate) this.escalate(verdict.reason, true);
    }
    if (poll !== undefined) this.continuePolling();
  }

  /** Advances the poll chain for the message at its current position; a resend repeats only its follow-up. */
  private advancePoll(poll: { seq: number; messageId: string }): boolean {
    const s = this.state;
    const standing = pollStanding(s.poll, poll.seq, poll.messageId);
    if (standing === 'current') {
      this.set({ poll: { active: true, seq: s.poll.seq + 1, advancedBy: poll.messageId } });
      return true;
    }
    if (standing === 'resend' && s.poll.active) {
      this.emit({ kind: 'schedulePoll', sessionId: s.id, seq: s.poll.seq, delaySeconds: this.settings.pollIntervalSeconds });
    }
    return false;
  }

  private continuePolling(): void {
    const s = this.state;
    if (!s.poll.active) return;
    const tooOld = this.nowMs - s.createdAtMs >= this.settings.maxCallAgeSeconds * 1000;
    if (!this.live || s.escalation !== undefined || tooOld) {
      this.set({ poll: { ...s.poll, active: false } });
      return;
    }
    this.emit({ kind: 'schedulePoll', sessionId: s.id, seq: s.poll.seq, delaySeconds: this.settings.pollIntervalSeconds });
  }
}
