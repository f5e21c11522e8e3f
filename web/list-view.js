// @ts-check
/* global document, sessionStorage, HTMLElement */
/**
 * The list of live and recently ended calls. Polls the call API every second and updates rows
 * in place, cell by cell: unchanged cells are never touched, rows keep their nodes (and the
 * keyboard focus) while they stay, and only arrivals, escalations, operators joining and ends
 * are announced.
 */
import { SignInRequired, getJson, serverNow } from './auth.js';
import { sparkline } from './charts.js';
import { every, formatDuration, formatScore, h, isoDuration, replace, setText } from './dom.js';

/**
 * @typedef {{ rule: string, status: string, detail: string }} EscalationSummary
 * @typedef {{ sessionId: string, status: 'live' | 'ended', startedAt: string, endedAt?: string, callerMasked: string, lastScore?: number, scores: number[], state: string, escalation?: EscalationSummary }} CallSummary
 * @typedef {{ tr: HTMLTableRowElement, link: HTMLAnchorElement, time: HTMLTimeElement, state: HTMLElement, spark: HTMLElement, escalation: HTMLElement, call: CallSummary, keys: Record<string, string> }} Row
 */

const pollMs = 1000;
const endedLimit = 10;
const endedHiddenKey = 'sentiment-ivr.endedHidden';

/** How an escalation's status reads. */
const escalationStatus = /** @type {Record<string, string>} */ ({
  'waiting-for-conference': 'waiting',
  dialing: 'dialing operators',
  connected: 'operator connected',
  failed: 'no operator answered',
  left: 'operator left',
});

/** What each rule means, for the rule's tooltip. */
export const ruleMeaning = /** @type {Record<string, string>} */ ({
  dtmf: 'pressed 1 for an operator',
  request: 'asked for a person',
  utterance: 'one utterance at or below the utterance threshold',
  window: 'the rolling mean at or below the window threshold',
  streak: 'several negative utterances in a row',
});

/** A badge's colour family for a call state. @param {string} state */
export function stateTone(state) {
  if (state === 'with an operator') return 'good';
  if (state === 'connecting to an operator') return 'warn';
  if (state === 'ended') return 'quiet';
  return 'info';
}

/** @param {string} status */
export function escalationTone(status) {
  if (status === 'connected') return 'good';
  if (status === 'failed' || status === 'left') return 'bad';
  return 'warn';
}

/** @param {CallSummary} call @param {number} nowMs */
function durationMs(call, nowMs) {
  const end = call.endedAt ? Date.parse(call.endedAt) : nowMs;
  return end - Date.parse(call.startedAt);
}

/**
 * An escalation as the list shows it: status badge, rule, detail. A call that ended while
 * operators were still being dialed says so.
 * @param {EscalationSummary | undefined} escalation
 * @param {'live' | 'ended'} callStatus
 * @returns {(Node | string)[]}
 */
export function escalationCell(escalation, callStatus) {
  if (!escalation) return [h('span', { class: 'none' }, 'not escalated')];
  const cutShort = callStatus === 'ended' && (escalation.status === 'dialing' || escalation.status === 'waiting-for-conference');
  return [
    cutShort
      ? h('span', { class: 'badge bad' }, 'ended before an operator joined')
      : h('span', { class: `badge ${escalationTone(escalation.status)}` }, escalationStatus[escalation.status] ?? escalation.status),
    ' ',
    h('strong', { class: 'rule', title: ruleMeaning[escalation.rule] }, escalation.rule),
    h('span', { class: 'visually-hidden' }, ':'),
    ' ',
    h('span', { class: 'detail' }, escalation.detail),
  ];
}

/** @param {HTMLTableSectionElement} tbody */
function createRows(tbody) {
  /** @type {Map<string, Row>} */
  const rows = new Map();

  /** @param {CallSummary} call @returns {Row} */
  function build(call) {
    const link = h('a', { href: `#/calls/${encodeURIComponent(call.sessionId)}`, class: 'caller' });
    const time = h('time');
    const state = h('td');
    const spark = h('td', { class: 'spark-cell' });
    const escalation = h('td', { class: 'escalation' });
    const tr = h('tr', { 'data-session-id': call.sessionId }, h('th', { scope: 'row' }, link), h('td', { class: 'num' }, time), state, spark, escalation);
    return { tr, link, time, state, spark, escalation, call, keys: {} };
  }

  /** Puts a call's data into its row, touching only the cells that changed. @param {Row} row @param {CallSummary} call @param {number} nowMs */
  function fillRow(row, call, nowMs) {
    row.call = call;
    /** @param {string} name @param {unknown} value @param {() => void} render */
    const part = (name, value, render) => {
      const key = JSON.stringify(value);
      if (row.keys[name] === key) return;
      row.keys[name] = key;
      render();
    };
    part('caller', call.callerMasked, () => setText(row.link, call.callerMasked));
    part('state', call.state, () => {
      row.tr.dataset.state = call.state;
      replace(row.state, h('span', { class: `badge ${stateTone(call.state)}` }, call.state));
    });
    part('scores', [call.scores, call.lastScore], () =>
      call.scores.length === 0
        ? replace(row.spark, h('span', { class: 'none' }, 'no speech yet'))
        : replace(row.spark, sparkline(call.scores), h('span', { class: 'score' }, call.lastScore === undefined ? '' : formatScore(call.lastScore))),
    );
    part('escalation', [call.escalation ?? null, call.status], () => {
      row.tr.dataset.escalation = call.escalation?.status ?? '';
      replace(row.escalation, ...escalationCell(call.escalation, call.status));
    });
    tick(row, nowMs);
  }

  /** @param {Row} row @param {number} nowMs */
  function tick(row, nowMs) {
    const ms = durationMs(row.call, nowMs);
    setText(row.time, formatDuration(ms));
    const iso = isoDuration(ms);
    if (row.time.dateTime !== iso) row.time.dateTime = iso;
  }

  /**
   * Shows exactly these calls, in this order. Rows that stay keep their nodes.
   * @param {readonly CallSummary[]} calls
   * @param {number} nowMs
   * @returns {{ added: CallSummary[], removed: CallSummary[], changed: { before: CallSummary, after: CallSummary }[] }}
   */
  function show(calls, nowMs) {
    const wanted = new Set(calls.map((c) => c.sessionId));
    /** @type {CallSummary[]} */
    const removed = [];
    for (const [id, row] of rows) {
      if (wanted.has(id)) continue;
      row.tr.remove();
      rows.delete(id);
      removed.push(row.call);
    }
    /** @type {CallSummary[]} */
    const added = [];
    /** @type {{ before: CallSummary, after: CallSummary }[]} */
    const changed = [];
    calls.forEach((call, index) => {
      let row = rows.get(call.sessionId);
      if (row) changed.push({ before: row.call, after: call });
      else {
        row = build(call);
        rows.set(call.sessionId, row);
        added.push(call);
      }
      fillRow(row, call, nowMs);
      const at = tbody.children[index];
      if (at !== row.tr) tbody.insertBefore(row.tr, at ?? null);
    });
    return { added, removed, changed };
  }

  return {
    show,
    /** @param {number} nowMs */
    tick(nowMs) {
      for (const row of rows.values()) if (row.call.status === 'live') tick(row, nowMs);
    },
    /** @param {string} id */
    link: (id) => rows.get(id)?.link,
    get size() {
      return rows.size;
    },
  };
}

/** @param {CallSummary} call */
const who = (call) => `call from ${call.callerMasked}`;

/** @param {number} n @param {string} one @param {string} many */
const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/**
 * What is worth saying aloud about one poll's changes: arrivals, escalations, an operator
 * joining, ends; never the ticking or the menu's steps. More than three at once are counted.
 * @param {ReturnType<ReturnType<typeof createRows>['show']>} diff
 * @returns {string | undefined}
 */
export function newsOf(diff) {
  /** @type {CallSummary[]} */
  const escalated = [];
  /** @type {CallSummary[]} */
  const joined = [];
  for (const { before, after } of diff.changed) {
    if (!before.escalation && after.escalation) escalated.push(after);
    if (before.escalation?.status !== 'connected' && after.escalation?.status === 'connected') joined.push(after);
  }
  const total = diff.added.length + escalated.length + joined.length + diff.removed.length;
  if (total === 0) return undefined;
  if (total > 3) {
    const parts = [
      diff.added.length ? count(diff.added.length, 'new call', 'new calls') : '',
      escalated.length ? `${count(escalated.length, 'call', 'calls')} escalated` : '',
      joined.length ? `${count(joined.length, 'operator', 'operators')} joined` : '',
      diff.removed.length ? `${count(diff.removed.length, 'call', 'calls')} ended` : '',
    ];
    return `Live calls: ${parts.filter(Boolean).join(', ')}.`;
  }
  return [
    ...diff.added.map((call) => `New ${who(call)}.`),
    ...escalated.map((call) => `Call from ${call.callerMasked} escalated: ${call.escalation?.rule}.`),
    ...joined.map((call) => `Operator joined the ${who(call)}.`),
    ...diff.removed.map((call) => `The ${who(call)} ended.`),
  ].join(' ');
}

/**
 * @param {{ announce(text: string): void, signInRequired(): void }} app
 */
export function createListView(app) {
  const view = /** @type {HTMLElement} */ (document.getElementById('list-view'));
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const live = createRows(/** @type {HTMLTableSectionElement} */ (view.querySelector('#live-table tbody')));
  const ended = createRows(/** @type {HTMLTableSectionElement} */ (view.querySelector('#ended-table tbody')));
  const status = $('list-status');
  const toggle = $('ended-toggle');
  const endedBlock = $('ended-block');
  /** @type {{ stop(): void, now(): void } | undefined} */
  let poll;
  let loaded = false;
  let showEnded = sessionStorage.getItem(endedHiddenKey) !== 'true';

  function applyEndedToggle() {
    endedBlock.hidden = !showEnded;
    toggle.setAttribute('aria-expanded', String(showEnded));
    replace(toggle, showEnded ? 'Hide' : 'Show', h('span', { class: 'visually-hidden' }, ' recently ended calls'));
  }
  applyEndedToggle();
  toggle.addEventListener('click', () => {
    showEnded = !showEnded;
    sessionStorage.setItem(endedHiddenKey, String(!showEnded));
    applyEndedToggle();
    poll?.now();
  });

  /** @param {string} text */
  function setStatus(text) {
    setText(status, text);
  }

  async function refresh() {
    let liveCalls;
    let endedCalls;
    try {
      const [liveAnswer, endedAnswer] = await Promise.all([getJson('/calls?status=live&limit=100'), showEnded ? getJson(`/calls?status=ended&limit=${endedLimit}`) : undefined]);
      if (liveAnswer.status !== 200 || (endedAnswer && endedAnswer.status !== 200)) {
        const failed = liveAnswer.status !== 200 ? liveAnswer : endedAnswer;
        setStatus(`The call API answered ${failed?.status}: ${failed?.body?.error ?? 'no reason given'}. Retrying…`);
        return;
      }
      liveCalls = /** @type {CallSummary[]} */ (liveAnswer.body.calls ?? []);
      endedCalls = /** @type {CallSummary[]} */ (endedAnswer?.body.calls ?? []);
      setStatus(liveAnswer.body.cursor ? 'Showing the newest 100 live calls.' : '');
    } catch (error) {
      if (error instanceof SignInRequired) return app.signInRequired();
      setStatus('Cannot reach the call API. Retrying…');
      return;
    }
    // A call that ended between the two answers is shown once, as ended.
    const endedIds = new Set(endedCalls.map((c) => c.sessionId));
    liveCalls = liveCalls.filter((c) => !endedIds.has(c.sessionId));

    const active = document.activeElement;
    const focusedId = active instanceof HTMLElement && view.contains(active) ? active.closest('tr')?.dataset.sessionId : undefined;
    const now = serverNow();
    const liveDiff = live.show(liveCalls, now);
    ended.show(showEnded ? endedCalls : [], now);

    setText($('live-count'), `(${liveCalls.length})`);
    $('live-empty').hidden = liveCalls.length > 0;
    $('live-table').hidden = liveCalls.length === 0;
    $('ended-empty').hidden = endedCalls.length > 0;
    $('ended-table').hidden = endedCalls.length === 0;
    if (focusedId && active instanceof HTMLElement && !active.isConnected) {
      // The focused call left the live table: follow it to the ended one, else stay in the list.
      (ended.link(focusedId) ?? $('live-title')).focus();
    }
    const news = loaded ? newsOf(liveDiff) : undefined;
    if (news) app.announce(news);
    loaded = true;
  }

  return {
    /** @param {boolean} focus */
    show(focus) {
      view.hidden = false;
      document.title = 'Live calls · Sentiment IVR';
      if (focus) $('live-title').focus();
      poll ??= every(refresh, pollMs);
    },
    hide() {
      view.hidden = true;
      poll?.stop();
      poll = undefined;
      loaded = false;
    },
    tick() {
      if (!view.hidden) live.tick(serverNow());
    },
  };
}
