// @ts-check
/* global document, console, setTimeout, clearTimeout */
/**
 * Small DOM helpers for the live view. Data only ever reaches the page as text nodes or
 * attribute values: nothing here parses HTML.
 */

const svgNs = 'http://www.w3.org/2000/svg';

/** @typedef {Record<string, string | number | boolean | undefined | null>} Attrs */
/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * @param {Element} node
 * @param {Attrs} attrs
 * @param {Child[]} children
 */
function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * An HTML element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  return /** @type {HTMLElementTagNameMap[K]} */ (fill(document.createElement(tag), attrs, children));
}

/**
 * An SVG element.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  return /** @type {SVGElement} */ (fill(document.createElementNS(svgNs, tag), attrs, children));
}

/**
 * Replaces an element's children.
 * @param {Element} node
 * @param {...Child} children
 */
export function replace(node, ...children) {
  node.replaceChildren();
  fill(node, {}, children);
}

/** Sets an element's text only when it differs, so unchanged parts are never touched. @param {Element} node @param {string} text */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** A polarity with its sign and two decimals, with a true minus sign (read as "minus"). @param {number | undefined} score */
export function formatScore(score) {
  if (score === undefined || !Number.isFinite(score)) return '';
  const text = Math.abs(score).toFixed(2);
  if (text === '0.00') return '0.00';
  return `${score < 0 ? '\u2212' : '+'}${text}`;
}

/** `m:ss`, or `h:mm:ss` past an hour. @param {number} ms */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** An ISO 8601 duration for `<time datetime>`. @param {number} ms */
export function isoDuration(ms) {
  return `PT${Math.max(0, Math.floor(ms / 1000))}S`;
}

/** The local clock time of an instant. @param {number} ms */
export function clockTime(ms) {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/**
 * How a score reads, in a word, so colour is never the only cue.
 * @param {number} score
 * @param {{ utterance: number, negative: number }} [thresholds]
 */
export function sentimentWord(score, thresholds) {
  if (thresholds && score <= thresholds.utterance) return 'very negative';
  if (score <= (thresholds ? thresholds.negative : -0.3)) return 'negative';
  if (score >= 0.3) return 'positive';
  return 'neutral';
}

/**
 * Runs `task` now and then every `intervalMs` (measured from each run's start; runs never
 * overlap) until stopped.
 * @param {() => Promise<void>} task
 * @param {number} intervalMs
 * @returns {{ stop(): void, now(): void }}
 */
export function every(task, intervalMs) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let stopped = false;
  let running = false;
  let again = false;
  async function run() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = true;
    const started = Date.now();
    try {
      await task();
    } catch (error) {
      console.error(error);
    } finally {
      running = false;
      if (!stopped) timer = setTimeout(run, again ? 0 : Math.max(0, intervalMs - (Date.now() - started)));
      again = false;
    }
  }
  void run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    now() {
      void run();
    },
  };
}
