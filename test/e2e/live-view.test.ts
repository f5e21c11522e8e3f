import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPhone } from '../../lib/core/masking.js';
import { launchBrowser, type LocalBrowser } from '../../local/browser.js';
import { testNumbers } from '../../local/environment.js';
import { recordListChanges, type ListRecorder } from '../../local/live-view-latency.js';
import { playAll, type Played } from '../../local/play.js';
import { scenarios, type CallRun, type Scenario } from '../../local/scenarios.js';
import { startSimulatedStack, type SimulatedStack } from '../../local/simulated-stack.js';
import { contrastProblems, fakeCognito, fakeIdToken, focused, recordAnnouncements } from './live-view-page.js';

/**
 * The supervisors' live view in headless chromium, against the simulated product playing the
 * demo's calls (and one caller whose words look like HTML). One page load serves the list tests:
 * every change they see arrived without a reload.
 */

const timeScale = 0.5;
const markup = 'I typed <img src=x onerror="window.__injected=1"> & <b>bold</b> here';
const markupScenario: Scenario = {
  name: 'markup',
  description: 'a caller whose words look like HTML',
  lines: [{ afterMs: 300, text: markup, score: 0 }],
  hangUp: { afterMs: 5000 },
  expect: { escalated: false, dials: 0 },
};
const played = [...scenarios, markupScenario];
/** A looser candidate judged beside the live policy: on the angry call it would have escalated a sentence earlier. */
const shadowPolicy = JSON.stringify({ SENTIMENT_THRESHOLD: -0.3, SENTIMENT_WINDOW_THRESHOLD: -0.3 });

interface CallDetail {
  readonly utterances: readonly { text: string; score: number }[];
  readonly escalation?: { reason: { rule: string; detail: string }; attempts: readonly { status: string; outcome?: string }[] };
  readonly timeline: readonly unknown[];
  readonly thresholds: Readonly<Record<'utterance' | 'window' | 'negative', number>>;
  readonly shadowThresholds?: Readonly<Record<'utterance' | 'window' | 'negative', number>>;
}

let world: SimulatedStack;
let browser: LocalBrowser;
let page: Page;
let changes: ListRecorder;
let announcements: { read(): Promise<string[]> };
let playing: Promise<Played[]> | undefined;
const runs: CallRun[] = [];
let loads = 0;
const loadMark = `load-${process.pid}-${Date.now()}`;

/** A score as the page writes it: sign, two decimals, a true minus. */
const shown = (score: number) => (Math.abs(score).toFixed(2) === '0.00' ? '0.00' : `${score < 0 ? '\u2212' : '+'}${Math.abs(score).toFixed(2)}`);

/** Polls until `probe` gives something, failing with `what` when it never does. */
async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sessionIdOf(scenario: string): Promise<string> {
  return until(`a session for the ${scenario} call`, async () => {
    const run = runs.find((r) => r.scenario.name === scenario);
    return run ? (await world.sessionOf(run.customer))?.id : undefined;
  });
}

async function detailOf(sessionId: string): Promise<CallDetail> {
  return (await (await fetch(`${world.stack.pageUrl}calls/${sessionId}`)).json()) as CallDetail;
}

/** The page is still the one loaded at the start: no reload, no navigation away. */
async function expectSameLoad(): Promise<void> {
  expect(await page.evaluate('window.__liveViewLoad')).toBe(loadMark);
  expect(loads).toBe(1);
}

async function goTo(hash: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

beforeAll(async () => {
  [world, browser] = await Promise.all([startSimulatedStack({ source: 'telnyx', timeScale, env: { SHADOW_POLICY: shadowPolicy } }), launchBrowser()]);
  page = await browser.newPage();
  page.on('load', () => (loads += 1));
  await page.goto(world.stack.pageUrl);
  await page.locator('#list-view').waitFor();
  await page.evaluate(`window.__liveViewLoad = ${JSON.stringify(loadMark)}`);
  changes = await recordListChanges(page);
  announcements = await recordAnnouncements(page);
  playing = playAll(world, played, timeScale, { staggerMs: 150, onStart: (run) => runs.push(run) });
});

afterAll(async () => {
  // When a page test fails, whether the product itself met the scenarios tells where to look.
  const verdicts = await playing?.catch(() => undefined);
  for (const { run, verdict } of verdicts ?? []) if (!verdict.ok) console.warn(`${run.scenario.name}: ${verdict.problems.join('; ')}`);
  await browser?.close();
  await world?.stop();
});

describe('the supervisors’ live view in a browser', () => {
  it('lists every call of the demo while it is live, masked, on the page as first loaded', async () => {
    expect(await page.locator('#session-bar').textContent()).toBe('local: no sign-in');
    const ids = await Promise.all(played.map((s) => sessionIdOf(s.name)));
    await until('every call shown in the live list', async () => {
      const log = await changes.read();
      return ids.every((id) => log.some((c) => c.sessionId === id && c.table === 'live' && c.state !== null));
    });
    const callers = await page.locator('tr[data-session-id] a.caller').allTextContents();
    expect(callers.length).toBeGreaterThan(0);
    const masked = new Set(runs.map((r) => maskPhone(r.customer.from)));
    for (const caller of callers) expect(masked).toContain(caller);
    await expectSameLoad();
  });

  it('is usable by keyboard: Tab reaches a call’s link with a visible focus, updates keep the focus there, Enter opens the call', async () => {
    // The call that stays longest: the focus must hold on it while the others change around it.
    const id = await sessionIdOf('operator-leaves');
    await until('its row', async () => (await page.locator(`#live-table tr[data-session-id="${id}"]`).count()) === 1);
    let at = await focused(page);
    for (let presses = 0; presses < 30 && at.sessionId !== id; presses++) {
      await page.keyboard.press('Tab');
      at = await focused(page);
    }
    expect(at.tag).toBe('a');
    expect(at.sessionId).toBe(id);
    expect(at.outlineStyle).not.toBe('none');
    expect(at.outlineWidth).toBeGreaterThanOrEqual(2);

    const before = (await changes.read()).length;
    await until('two more changes on the list', async () => (await changes.read()).length >= before + 2, 15_000);
    const after = await focused(page);
    expect(after.tag).toBe('a');
    expect(after.sessionId).toBe(at.sessionId);

    await page.keyboard.press('Enter');
    await until('the call page', async () => (await page.evaluate('location.hash')) === `#/calls/${at.sessionId}` && (await page.locator('#call-body').isVisible()));
    expect(await page.locator('#call-title').textContent()).toMatch(/^Call from \+\d\*+\d\d$/);
    expect(await page.locator('#list-view').isHidden()).toBe(true);
    await expectSameLoad();
    await goTo('#/');
  });

  it('shows changes without a reload: the angry call escalates and calls end while the page stays loaded', async () => {
    const id = await sessionIdOf('angry');
    const log = await until('the angry call escalating on the list', async () => {
      const log = await changes.read();
      return log.some((c) => c.sessionId === id && (c.state === 'connecting to an operator' || c.state === 'with an operator')) && log;
    });
    const states = log.filter((c) => c.sessionId === id && c.table === 'live').map((c) => c.state);
    expect(['ringing', 'joining', 'in the IVR']).toContain(states[0]);

    const calm = await sessionIdOf('calm');
    await until('the calm call leaving the live list for the ended one', async () => {
      const log = await changes.read();
      return log.some((c) => c.sessionId === calm && c.table === 'live' && c.state === null) && log.some((c) => c.sessionId === calm && c.table === 'ended' && c.state === 'ended');
    });
    await expectSameLoad();
  });

  it('shows why the angry call escalated: its rule and detail', async () => {
    const id = await sessionIdOf('angry');
    const reason = await until('the angry call’s escalation', async () => (await world.store.get(id))?.session.escalation?.reason);
    const cell = page.locator(`tr[data-session-id="${id}"] td.escalation`).first();
    const text = await until('the reason in the row', async () => {
      const text = await cell.textContent();
      return text?.includes(reason.detail) && text;
    });
    expect(await cell.locator('.rule').textContent()).toBe(reason.rule);
    expect(text).toContain(reason.detail);
  });

  it('draws the angry call’s page: the chart with its threshold lines, the transcript with scores, the escalation and its attempts', async () => {
    const id = await sessionIdOf('angry');
    const detail = await until('the angry call’s three utterances and its escalation', async () => {
      const d = await detailOf(id);
      return d.utterances.length >= 3 && d.escalation && d;
    });
    await goTo(`#/calls/${id}`);
    const items = page.locator('#call-transcript li');
    await until('the transcript', async () => (await items.count()) === detail.utterances.length);
    for (const [i, u] of detail.utterances.entries()) {
      expect(await items.nth(i).locator('q').textContent()).toBe(u.text);
      expect(await items.nth(i).locator('.score-badge').textContent()).toContain(shown(u.score));
    }

    const chart = page.locator('#call-chart svg');
    expect(await chart.getAttribute('role')).toBe('img');
    const scores = detail.utterances.map((u) => u.score);
    const summary = await chart.getAttribute('aria-label');
    expect(summary).toContain(`lowest ${shown(Math.min(...scores))}`);
    expect(summary).toContain(`last ${shown(scores.at(-1)!)}`);
    const ys: number[] = [];
    for (const key of ['negative', 'window', 'utterance'] as const) {
      const line = chart.locator(`[data-threshold="${key}"]`);
      expect(Number(await line.getAttribute('data-value'))).toBe(detail.thresholds[key]);
      expect(await line.locator('text').textContent()).toBe(`${key} ${shown(detail.thresholds[key])}`);
      expect(summary).toContain(`${key} ${shown(detail.thresholds[key])}`);
      ys.push(Number(await line.locator('line').getAttribute('y1')));
    }
    // Lower thresholds sit lower on the chart (negative > window > utterance in value).
    expect(ys[0]!).toBeLessThan(ys[1]!);
    expect(ys[1]!).toBeLessThan(ys[2]!);
    // The shadow policy's lines where they differ from the live ones, said in the summary too; one the same is not drawn twice.
    const shadowLines = (['negative', 'window', 'utterance'] as const).filter((key) => detail.shadowThresholds![key] !== detail.thresholds[key]);
    expect(shadowLines.length).toBeGreaterThan(0);
    expect(await chart.locator('[data-shadow-threshold]').count()).toBe(shadowLines.length);
    for (const key of shadowLines) {
      const line = chart.locator(`[data-shadow-threshold="${key}"]`);
      expect(Number(await line.getAttribute('data-value'))).toBe(detail.shadowThresholds![key]);
      expect(await line.locator('text').textContent()).toBe(`shadow ${key} ${shown(detail.shadowThresholds![key])}`);
      expect(summary).toContain(`${key} ${shown(detail.shadowThresholds![key])}`);
    }
    expect(summary).toContain('Shadow policy (not acted on): ');
    expect(await chart.locator('circle').count()).toBe(detail.utterances.length);
    expect(await chart.locator('[data-escalated]').count()).toBe(1);

    const escalation = await page.locator('#call-escalation').textContent();
    expect(escalation).toContain(detail.escalation!.reason.rule);
    expect(escalation).toContain(detail.escalation!.reason.detail);
    // The call may still be live: the page catches up with the API within a poll or two.
    await until('the operator attempts as the API has them', async () => {
      const attempts = (await detailOf(id)).escalation?.attempts ?? [];
      const rows = await page.locator('#call-attempts tbody tr td:nth-child(3)').allTextContents();
      return attempts.length > 0 && JSON.stringify(rows) === JSON.stringify(attempts.map((a) => a.status));
    });
    await until('the timeline', async () => (await page.locator('#call-timeline li').count()) >= detail.timeline.length);
    await expectSameLoad();
  });

  it('says "no such call" for an id it does not know', async () => {
    for (const id of ['0000000000', 'not-a-call']) {
      await goTo(`#/calls/${id}`);
      await until(`the page for ${id}`, async () => (await page.locator('#call-missing').isVisible()) && (await page.locator('#call-missing').textContent())?.includes(id));
      expect(await page.locator('#call-title').textContent()).toBe('No such call');
      expect(await page.locator('#call-body').isHidden()).toBe(true);
    }
    await expectSameLoad();
  });

  it('shows callers’ words as text, never as markup; no full phone number; text contrast of at least 4.5:1', async () => {
    const id = await sessionIdOf('markup');
    await until('the markup call’s utterance stored', async () => (await detailOf(id)).utterances.length > 0);
    await goTo(`#/calls/${id}`);
    const said = page.locator('#call-transcript li q');
    await until('the markup call’s transcript', async () => (await said.count()) === 1);
    expect(await said.textContent()).toBe(markup);
    expect(await page.locator('#call-body img, #call-body b').count()).toBe(0);
    expect(await page.evaluate('window.__injected')).toBeUndefined();
    expect(await contrastProblems(page)).toEqual([]);
    const fullNumbers = [...runs.map((r) => r.customer.from), ...testNumbers.operators, testNumbers.conference].flatMap((n) => [n, n.replace(/^\+/, '')]);
    const callPageText = await page.locator('body').innerText();
    for (const number of fullNumbers) expect(callPageText).not.toContain(number);

    await goTo('#/');
    await until('rows on the list', async () => (await page.locator('#list-view tr[data-session-id]').count()) > 0 && (await page.locator('#list-view').isVisible()));
    expect(await contrastProblems(page)).toEqual([]);
    const listText = await page.locator('body').innerText();
    for (const number of fullNumbers) expect(listText).not.toContain(number);
  });

  it('announces arrivals, escalations, operators joining and ends politely, and nothing else', async () => {
    await playing;
    expect(await page.locator('#announcer').getAttribute('aria-live')).toBe('polite');
    expect(await page.locator('#list-view [aria-live]').count()).toBe(0);
    const said = await announcements.read();
    expect(said.length).toBeGreaterThan(0);
    expect(said.length).toBeLessThanOrEqual(played.length * 4);
    const sentence =
      /^(New call from \S+\.|Call from \S+ escalated: \w+\.|Operator joined the call from \S+\.|The call from \S+ ended\.|This call has ended\.|Live calls: \d+ [a-z ,\d]+\.)$/;
    for (const text of said) for (const part of text.split(/(?<=\.) /)) expect(part).toMatch(sentence);
    expect(said.join(' ')).toMatch(/escalated/);
    expect(said.join(' ')).toMatch(/ended/);
  });

  it('in AWS: signs in with Cognito (a new password first), sends the ID token to the call API, and a 401 asks for sign-in again', async () => {
    const region = 'eu-west-1';
    const token = fakeIdToken('supervisor');
    const signedIn = await browser.newPage();
    try {
      await signedIn.route('**/config.json', (route) => route.fulfill({ json: { auth: 'cognito', region, userPoolId: 'eu-west-1_Test', clientId: 'client-1' } }));
      const cognito = await fakeCognito(signedIn, region, { username: 'supervisor', password: 'first-Password1', idToken: token });
      const bearers: (string | undefined)[] = [];
      let revoked = false;
      await signedIn.route(/\/calls(\/|\?|$)/, (route) => {
        const auth = route.request().headers().authorization;
        bearers.push(auth);
        if (revoked || auth !== `Bearer ${token}`) return route.fulfill({ status: 401, json: { message: 'Unauthorized' } });
        return route.continue();
      });
      await signedIn.goto(world.stack.pageUrl);
      await signedIn.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await signedIn.locator('#list-view').isHidden()).toBe(true);
      expect(await signedIn.locator('#session-bar').textContent()).not.toContain('local');

      await signedIn.getByLabel('Username').fill('supervisor');
      await signedIn.getByLabel('Password', { exact: true }).fill('wrong');
      await signedIn.keyboard.press('Enter');
      await until('Cognito’s refusal shown', async () => (await signedIn.getByRole('alert').textContent()) === 'Incorrect username or password.');
      await signedIn.getByLabel('Password', { exact: true }).fill('first-Password1');
      await signedIn.keyboard.press('Enter');
      await signedIn.getByLabel('New password', { exact: true }).waitFor();
      expect(await signedIn.evaluate('document.activeElement.id')).toBe('newpassword-password');
      await signedIn.getByLabel('New password', { exact: true }).fill('new-Password2');
      await signedIn.getByLabel('New password again').fill('new-Password2');
      await signedIn.keyboard.press('Enter');
      await until('the list after signing in', async () => (await signedIn.locator('#list-view tr[data-session-id]').count()) > 0);

      expect(bearers.length).toBeGreaterThan(0);
      expect(bearers.every((b) => b === `Bearer ${token}`)).toBe(true);
      expect(await signedIn.evaluate('sessionStorage.getItem("sentiment-ivr.idToken")')).toBe(token);
      expect(await signedIn.locator('#session-bar').textContent()).toContain('Signed in as supervisor');
      expect(cognito.map((c) => c.target)).toEqual([
        'AWSCognitoIdentityProviderService.InitiateAuth',
        'AWSCognitoIdentityProviderService.InitiateAuth',
        'AWSCognitoIdentityProviderService.RespondToAuthChallenge',
      ]);
      expect(cognito.every((c) => c.contentType === 'application/x-amz-json-1.1')).toBe(true);
      expect(cognito[1]!.body).toEqual({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'client-1', AuthParameters: { USERNAME: 'supervisor', PASSWORD: 'first-Password1' } });
      expect(cognito[2]!.body).toEqual({
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        ClientId: 'client-1',
        Session: 'challenge-session-1',
        ChallengeResponses: { USERNAME: 'supervisor', NEW_PASSWORD: 'new-Password2' },
      });

      revoked = true;
      await signedIn.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await signedIn.getByRole('alert').textContent()).toContain('Sign in again');
      expect(await signedIn.locator('#list-view').isHidden()).toBe(true);
      expect(await signedIn.evaluate('sessionStorage.getItem("sentiment-ivr.idToken")')).toBeNull();
    } finally {
      await signedIn.close();
    }
  });

  it('shows the shadow policy’s verdict, as not acted on, beside what the live policy did', async () => {
    const sessionId = await sessionIdOf('angry');
    const angry = runs.find((r) => r.scenario.name === 'angry')!;
    const earlier = angry.scenario.lines.find((line) => line.score > -0.7 && line.score <= -0.3)!.text;
    const detail = await until('the angry call’s shadow verdict', async () => ((await detailOf(sessionId)) as CallDetail & { shadow?: { text: string } }).shadow);
    expect(detail.text).toBe(earlier);
    const other = await browser.newPage();
    try {
      await other.goto(`${world.stack.pageUrl}#/calls/${sessionId}`);
      const shadow = other.locator('#call-escalation [data-shadow]');
      await shadow.waitFor();
      expect(await shadow.textContent()).toMatch(new RegExp(`^Shadow policy \\(not acted on\\): would have escalated \\(utterance\\) at \\+\\d+:\\d\\d, on ${earlier}$`));
      expect(await other.locator('#call-escalation').textContent()).toMatch(/utterance|window|streak/);
    } finally {
      await other.close();
    }
  });

  it('stays light: the whole page is under 80 KB', async () => {
    const web = fileURLToPath(new URL('../../web/', import.meta.url));
    const files = await readdir(web);
    const sizes = await Promise.all(files.map(async (name) => (await stat(`${web}${name}`)).size));
    expect(files).toContain('index.html');
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeLessThan(80 * 1024);
  });
});
