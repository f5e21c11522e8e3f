// @ts-check
/* global document, window, location, setInterval */
/**
 * The supervisors' live view: reads where it runs from `/config.json`, signs the supervisor in
 * when that says Cognito, and routes `#/` (the call list) and `#/calls/<id>` (one call).
 */
import { SignInFailed, currentToken, loadConfig, setNewPassword, signIn, signOut, signedInName } from './auth.js';
import { createCallView } from './call-view.js';
import { h, replace, setText } from './dom.js';
import { createListView } from './list-view.js';

/** @typedef {import('./auth.js').PageConfig} PageConfig */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Says something once through the polite live region. @param {string} text */
function announce(text) {
  const region = $('announcer');
  region.textContent = '';
  // A fresh node, a moment later, so the same words are read again.
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** @type {PageConfig} */
let config = { auth: 'none' };
const app = { announce, signInRequired: () => showSignIn('Your sign-in has ended. Sign in again to see the calls.') };
const list = createListView(app);
const call = createCallView(app);

function renderSessionBar() {
  const bar = $('session-bar');
  if (config.auth === 'none') return replace(bar, h('span', { class: 'muted' }, 'local: no sign-in'));
  const name = signedInName();
  if (!currentToken()) return replace(bar);
  const button = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
  button.addEventListener('click', () => {
    signOut();
    showSignIn('Signed out.');
  });
  replace(bar, h('span', { class: 'muted' }, name ? `Signed in as ${name}` : 'Signed in'), ' ', button);
}

/** @param {boolean} focus */
function route(focus) {
  if (config.auth === 'cognito' && !currentToken()) return showSignIn('');
  $('signin-view').hidden = true;
  renderSessionBar();
  const match = /^#\/calls\/([^/?#]+)$/.exec(location.hash);
  if (match) {
    list.hide();
    call.show(decodeURIComponent(match[1] ?? ''), focus);
  } else {
    call.hide();
    list.show(focus);
  }
}

/** @param {string} message */
function showSignIn(message) {
  list.hide();
  call.hide();
  renderSessionBar();
  document.title = 'Sign in · Sentiment IVR';
  $('signin-view').hidden = false;
  $('signin-form').hidden = false;
  $('newpassword-form').hidden = true;
  setText($('signin-error'), message);
  $('signin-username').focus();
}

/** @type {import('./auth.js').SignInStep | undefined} */
let pendingChallenge;

/** @param {import('./auth.js').SignInStep} step */
function afterStep(step) {
  if (step.kind === 'signed-in') {
    pendingChallenge = undefined;
    /** @type {HTMLFormElement} */ ($('signin-form')).reset();
    /** @type {HTMLFormElement} */ ($('newpassword-form')).reset();
    setText($('signin-error'), '');
    route(true);
    return;
  }
  pendingChallenge = step;
  /** @type {HTMLInputElement} */ ($('newpassword-username')).value = step.username;
  $('signin-form').hidden = true;
  $('newpassword-form').hidden = false;
  setText($('signin-error'), '');
  $('newpassword-password').focus();
}

/**
 * @param {HTMLFormElement} form
 * @param {() => Promise<import('./auth.js').SignInStep>} attempt
 */
async function submit(form, attempt) {
  const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
  button.disabled = true;
  try {
    afterStep(await attempt());
  } catch (error) {
    setText($('signin-error'), error instanceof SignInFailed ? error.message : 'Sign-in failed. Try again.');
  } finally {
    button.disabled = false;
  }
}

function wireSignIn() {
  const form = /** @type {HTMLFormElement} */ ($('signin-form'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (config.auth !== 'cognito') return;
    const cognito = config;
    const username = /** @type {HTMLInputElement} */ ($('signin-username')).value.trim();
    const password = /** @type {HTMLInputElement} */ ($('signin-password')).value;
    if (!username || !password) return setText($('signin-error'), 'Enter your username and password.');
    void submit(form, () => signIn(cognito, username, password));
  });
  const newForm = /** @type {HTMLFormElement} */ ($('newpassword-form'));
  newForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const step = pendingChallenge;
    if (config.auth !== 'cognito' || step?.kind !== 'new-password') return;
    const cognito = config;
    const password = /** @type {HTMLInputElement} */ ($('newpassword-password')).value;
    const confirm = /** @type {HTMLInputElement} */ ($('newpassword-confirm')).value;
    if (!password) return setText($('signin-error'), 'Enter a new password.');
    if (password !== confirm) return setText($('signin-error'), 'The two passwords differ.');
    void submit(newForm, () => setNewPassword(cognito, step, password));
  });
}

async function boot() {
  try {
    config = await loadConfig();
  } catch (error) {
    setText($('boot'), `This page cannot start: ${error instanceof Error ? error.message : String(error)}.`);
    return;
  }
  $('boot').hidden = true;
  wireSignIn();
  window.addEventListener('hashchange', () => route(true));
  setInterval(() => {
    list.tick();
    call.tick();
  }, 1000);
  route(false);
}

void boot();
