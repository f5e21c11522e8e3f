// @ts-check
/* global document */
/**
 * One call's page: facts, the sentiment chart with the policy's thresholds, the transcript with
 * each utterance's score, the escalation and its operator attempts, and the timeline. Polled
 * every second while the call is live; each part is redrawn only when its data changed.
 */
import { SignInRequired, getJson, serverNow } from './auth.js';
import { sentimentChart } from './charts.js';
import { clockTime, every, formatDuration, formatScore, h, isoDuration, replace, sentimentWord, setText } from './dom.js';
import { escalationCell, ruleMeaning, stateTone } from './list-view.js';

/**
 * @typedef {import('./charts.js').Thresholds} Thresholds
 * @typedef {{ text: string, score: number, atMs: number }} Utterance
 * @typedef {{ to: string, status: string, outcome?: string, endedCause?: string }} Attempt
 * @typedef {{ reason: { rule: string, detail: string, text?: string, score?: number }, claimedAtMs: number, round: number, attempts: Attempt[], status: string, connectedAtMs?: number }} Escalation
 * @typedef {{ rule: string, atMs: number, text?: string }} ShadowVerdict
 * @typedef {{ sessionId: string, status: 'live' | 'ended', startedAt: string, endedAt?: string, callerMasked: string, lastScore?: number, state: string,
 *   utterances: Utterance[], escalation?: Escalation, timeline: { atMs: number, kind: string, text: string }[], thresholds: Thresholds, shadowThresholds?: Thresholds, shadow?: ShadowVerdict }} CallDetail
 */

const pollMs = 1000;

/** An instant as `+m:ss` into the call, with the clock time for a tooltip. @param {number} atMs @param {number} startMs */
function offset(atMs, startMs) {
  return h('time', { class: 'at', datetime: new Date(atMs).toISOString(), title: clockTime(atMs) }, `+${formatDuration(atMs - startMs)}`);
}

/** @param {string} term @param {...(Node | string)} description */
const fact = (term, ...description) => [h('div', {}, h('dt', {}, term), h('dd', {}, ...description))];

/** @param {number} score @param {Thresholds} thresholds */
function scoreBadge(score, thresholds) {
  const word = sentimentWord(score, thresholds);
  const tone = word === 'very negative' || word === 'negative' ? 'bad' : word === 'positive' ? 'good' : 'quiet';
  return h('span', { class: `score-badge ${tone}` }, h('span', { class: 'visually-hidden' }, 'score '), formatScore(score), ' ', h('span', { class: 'word' }, word));
}

/**
 * @param {{ announce(text: string): void, signInRequired(): void }} app
 */
export function createCallView(app) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const view = $('call-view');
  const title = $('call-title');
  const body = $('call-body');
  const missing = $('call-missing');
  const status = $('call-status');
  /** @type {string | undefined} */
  let sessionId;
  /** @type {CallDetail | undefined} */
  let detail;
  /** @type {Record<string, string>} */
  let keys = {};
  /** @type {{ stop(): void, now(): void } | undefined} */
  let poll;
  /** @type {HTMLTimeElement | undefined} */
  let durationNode;

  /** Redraws a part only when its data changed. @param {string} name @param {unknown} value @param {() => void} render */
  function part(name, value, render) {
    const key = JSON.stringify(value);
    if (keys[name] === key) return;
    keys[name] = key;
    render();
  }

  /** @param {string} id @param {number} httpStatus @param {string | undefined} error */
  function showMissing(id, httpStatus, error) {
    body.hidden = true;
    missing.hidden = false;
    setText(title, 'No such call');
    document.title = 'No such call · Sentiment IVR';
    replace(
      missing,
      h('p', { class: 'missing' }, 'No such call: ', h('code', {}, id), '.'),
      h('p', { class: 'muted' }, httpStatus === 404 ? 'It never reached this system, or its record has expired.' : `The call API refused the id (${error ?? httpStatus}).`),
      h('p', {}, h('a', { href: '#/' }, 'Back to all calls')),
    );
  }

  /** @param {CallDetail} call */
  function render(call) {
    const startMs = Date.parse(call.startedAt);
    missing.hidden = true;
    body.hidden = false;
    part('title', call.callerMasked, () => {
      setText(title, `Call from ${call.callerMasked}`);
      document.title = `Call from ${call.callerMasked} · Sentiment IVR`;
    });
    part('facts', [call.sessionId, call.status, call.startedAt, call.endedAt, call.state, call.lastScore, call.thresholds], () => {
      durationNode = h('time');
      replace(
        $('call-facts'),
        ...fact('State', h('span', { class: `badge ${stateTone(call.state)}` }, call.state)),
        ...fact('Duration', durationNode),
        ...fact('Started', h('time', { datetime: call.startedAt }, clockTime(startMs))),
        ...(call.endedAt ? fact('Ended', h('time', { datetime: call.endedAt }, clockTime(Date.parse(call.endedAt)))) : []),
        ...fact('Last score', call.lastScore === undefined ? 'none yet' : scoreBadge(call.lastScore, call.thresholds)),
        ...fact('Session', h('code', {}, call.sessionId)),
      );
      tick();
    });
    part('chart', [call.utterances, call.thresholds, call.shadowThresholds ?? null, call.escalation?.claimedAtMs, call.endedAt], () => {
      const lastInstant = Math.max(startMs, ...call.utterances.map((u) => u.atMs), ...call.timeline.map((e) => e.atMs));
      const endMs = call.endedAt ? Date.parse(call.endedAt) : lastInstant;
      replace(
        $('call-chart'),
        sentimentChart({
          startMs,
          endMs,
          utterances: call.utterances,
          thresholds: call.thresholds,
          ...(call.shadowThresholds ? { shadowThresholds: call.shadowThresholds } : {}),
          ...(call.escalation ? { escalatedAtMs: call.escalation.claimedAtMs } : {}),
        }),
      );
    });
    part('transcript', [call.utterances, call.thresholds], () => {
      const list = $('call-transcript');
      if (call.utterances.length === 0) return replace(list, h('li', { class: 'none' }, 'Nothing scored yet.'));
      replace(list, ...call.utterances.map((u) => h('li', {}, offset(u.atMs, startMs), h('q', { class: 'said' }, u.text), scoreBadge(u.score, call.thresholds))));
    });
    part('escalation', [call.escalation ?? null, call.shadow ?? null, call.status], () => renderEscalation(call, startMs));
    part('attempts', call.escalation ? [call.escalation.attempts, call.escalation.round] : null, () => renderAttempts(call.escalation));
    part('timeline', call.timeline, () => {
      const list = $('call-timeline');
      if (call.timeline.length === 0) return replace(list, h('li', { class: 'none' }, 'Nothing yet.'));
      replace(list, ...call.timeline.map((e) => h('li', {}, offset(e.atMs, startMs), h('span', { class: `kind ${e.kind}` }, e.kind), h('span', { class: 'text' }, e.text))));
    });
  }

  /** @param {CallDetail} call @param {number} startMs */
  function renderEscalation(call, startMs) {
    const box = $('call-escalation');
    const escalation = call.escalation;
    const shadow = call.shadow
      ? h(
          'p',
          { class: 'shadow', 'data-shadow': call.shadow.rule },
          h('strong', {}, 'Shadow policy (not acted on): '),
          'would have escalated (',
          h('span', { class: 'rule' }, call.shadow.rule),
          ') at ',
          offset(call.shadow.atMs, startMs),
          ...(call.shadow.text ? [', on ', h('q', { class: 'said' }, call.shadow.text)] : []),
        )
      : '';
    if (!escalation) return replace(box, h('p', { class: 'none' }, 'Not escalated.'), shadow);
    const reason = escalation.reason;
    replace(
      box,
      h('p', { class: 'escalation' }, ...escalationCell({ rule: reason.rule, status: escalation.status, detail: reason.detail }, call.status)),
      h(
        'dl',
        { class: 'facts compact' },
        ...fact('Rule', h('span', { class: 'rule' }, reason.rule), ` (${ruleMeaning[reason.rule] ?? 'a rule this page does not know'})`),
        ...(reason.text !== undefined ? fact('Said', h('q', {}, reason.text)) : []),
        ...(reason.score !== undefined ? fact('Score', scoreBadge(reason.score, call.thresholds)) : []),
        ...fact('Escalated', offset(escalation.claimedAtMs, startMs)),
        ...fact('Round', String(escalation.round + 1)),
        ...(escalation.connectedAtMs !== undefined ? fact('Operator connected', offset(escalation.connectedAtMs, startMs)) : []),
      ),
      shadow,
    );
  }

  /** @param {Escalation | undefined} escalation */
  function renderAttempts(escalation) {
    const box = $('call-attempts');
    if (!escalation || escalation.attempts.length === 0) return replace(box, h('p', { class: 'none' }, escalation ? 'No operator dialed yet.' : 'No operator dialed.'));
    replace(
      box,
      h(
        'table',
        { class: 'attempts' },
        h('caption', { class: 'visually-hidden' }, `Operator numbers tried in round ${escalation.round + 1}`),
        h('thead', {}, h('tr', {}, ...['#', 'Operator', 'Status', 'Outcome', 'Cause'].map((name) => h('th', { scope: 'col' }, name)))),
        h(
          'tbody',
          {},
          ...escalation.attempts.map((a, i) =>
            h(
              'tr',
              { 'data-outcome': a.outcome ?? '' },
              h('th', { scope: 'row' }, String(i + 1)),
              h('td', {}, a.to),
              h('td', {}, h('span', { class: `badge ${a.status === 'connected' ? 'good' : a.status === 'failed' ? 'bad' : 'warn'}` }, a.status)),
              h('td', {}, a.outcome ?? '—'),
              h('td', {}, a.endedCause ?? '—'),
            ),
          ),
        ),
      ),
    );
  }

  function tick() {
    if (!detail || !durationNode) return;
    const end = detail.endedAt ? Date.parse(detail.endedAt) : serverNow();
    const ms = end - Date.parse(detail.startedAt);
    setText(durationNode, formatDuration(ms));
    durationNode.dateTime = isoDuration(ms);
  }

  async function refresh() {
    const id = sessionId;
    if (id === undefined) return;
    let answer;
    try {
      answer = await getJson(`/calls/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error instanceof SignInRequired) return app.signInRequired();
      setText(status, 'Cannot reach the call API. Retrying…');
      return;
    }
    if (id !== sessionId) return;
    if (answer.status === 404 || answer.status === 400) {
      poll?.stop();
      setText(status, '');
      return showMissing(id, answer.status, answer.body?.error);
    }
    if (answer.status !== 200) {
      setText(status, `The call API answered ${answer.status}: ${answer.body?.error ?? 'no reason given'}. Retrying…`);
      return;
    }
    const wasLive = detail?.status === 'live';
    detail = /** @type {CallDetail} */ (answer.body);
    setText(status, detail.status === 'live' ? 'Live: updated every second.' : 'This call has ended.');
    render(detail);
    if (detail.status === 'ended') {
      poll?.stop();
      if (wasLive) app.announce('This call has ended.');
    }
  }

  return {
    /** @param {string} id @param {boolean} focus */
    show(id, focus) {
      if (id !== sessionId) {
        poll?.stop();
        poll = undefined;
        sessionId = id;
        detail = undefined;
        keys = {};
        body.hidden = true;
        missing.hidden = true;
        setText(title, 'Call');
        setText(status, 'Loading…');
      }
      view.hidden = false;
      if (focus) title.focus();
      poll ??= every(refresh, pollMs);
    },
    hide() {
      view.hidden = true;
      poll?.stop();
      poll = undefined;
      sessionId = undefined;
    },
    tick,
  };
}
