import type { Page, Request, Route } from 'playwright-core';

/**
 * What the live view's browser tests read off the page. The in-page parts are source text: this
 * project's TypeScript has no DOM types.
 */

export interface ContrastProblem {
  readonly text: string;
  readonly ratio: number;
  readonly color: string;
  readonly background: string;
}

/** Every visible piece of text on the page whose colour is under 4.5:1 against what is behind it (WCAG's relative luminance). */
export async function contrastProblems(page: Page): Promise<ContrastProblem[]> {
  return (await page.evaluate(`(() => {
    const parse = (css) => {
      const m = /rgba?\\(([^)]+)\\)/.exec(css);
      if (!m) return undefined;
      const [r, g, b, a = 1] = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
    const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
    const behind = (element) => {
      const layers = [];
      for (let node = element; node; node = node.parentElement) {
        const bg = parse(getComputedStyle(node).backgroundColor);
        if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
      }
      return layers.reverse().reduce((below, layer) => over(layer, below), { r: 255, g: 255, b: 255, a: 1 });
    };
    const show = (c) => 'rgb(' + [c.r, c.g, c.b].map(Math.round).join(', ') + ')';
    const problems = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (!element || !node.textContent.trim()) continue;
      if (element.closest('.visually-hidden, title, script, style') || !element.checkVisibility({ visibilityProperty: true })) continue;
      const style = getComputedStyle(element);
      const svgText = element instanceof SVGElement;
      const fg = parse(svgText ? style.fill : style.color);
      if (!fg) continue;
      const bg = behind(svgText ? element.closest('svg').parentElement : element);
      const color = over(fg, bg);
      const [light, dark] = [luminance(color), luminance(bg)].sort((x, y) => y - x);
      const ratio = (light + 0.05) / (dark + 0.05);
      if (ratio < 4.5) problems.push({ text: node.textContent.trim().slice(0, 60), ratio: Math.round(ratio * 100) / 100, color: show(color), background: show(bg) });
    }
    return problems;
  })()`)) as ContrastProblem[];
}

/** Records everything said through the page's polite live region. */
export async function recordAnnouncements(page: Page): Promise<{ read(): Promise<string[]> }> {
  await page.evaluate(`(() => {
    const said = [];
    const region = document.getElementById('announcer');
    new MutationObserver(() => { if (region.textContent) said.push(region.textContent); }).observe(region, { childList: true, characterData: true, subtree: true });
    window.__announcements = said;
  })()`);
  return { read: async () => (await page.evaluate('window.__announcements')) as string[] };
}

export interface Focused {
  readonly tag: string;
  readonly sessionId: string | undefined;
  readonly table: string | undefined;
  readonly outlineStyle: string;
  readonly outlineWidth: number;
}

/** Where the keyboard focus is: the element, the call row around it, its focus outline. */
export async function focused(page: Page): Promise<Focused> {
  return (await page.evaluate(`(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const row = el.closest('tr[data-session-id]');
    return { tag: el.tagName.toLowerCase(), sessionId: row?.dataset.sessionId, table: el.closest('table')?.id, outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) };
  })()`)) as Focused;
}

/** A JWT-shaped ID token (unsigned: only the API's authorizer would check it, and here a route stands in for it). */
export function fakeIdToken(username: string, expiresInSeconds = 3600): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'test' })}.${part({ 'cognito:username': username, token_use: 'id', exp: Math.floor(Date.now() / 1000) + expiresInSeconds })}.signature`;
}

export interface CognitoCall {
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
}

/**
 * Cognito's user pool API for one user whose first sign-in must set a new password, as
 * `page.route` answers (with the CORS headers the real endpoint sends a browser).
 */
export async function fakeCognito(page: Page, region: string, user: { username: string; password: string; idToken: string }): Promise<CognitoCall[]> {
  const calls: CognitoCall[] = [];
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type, x-amz-target, x-amz-user-agent', 'access-control-allow-methods': 'POST' };
  const answer = (route: Route, status: number, body: object) => route.fulfill({ status, headers: { ...cors, 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) });
  await page.route(`https://cognito-idp.${region}.amazonaws.com/`, async (route: Route, request: Request) => {
    if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    const headers = request.headers();
    const body = (request.postDataJSON() ?? {}) as Record<string, unknown>;
    calls.push({ target: headers['x-amz-target'], contentType: headers['content-type'], body });
    const action = headers['x-amz-target']?.split('.')[1];
    if (action === 'InitiateAuth') {
      const params = body.AuthParameters as Record<string, string> | undefined;
      if (params?.USERNAME !== user.username || params.PASSWORD !== user.password) return answer(route, 400, { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });
      return answer(route, 200, { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 'challenge-session-1', ChallengeParameters: { USER_ID_FOR_SRP: user.username, requiredAttributes: '[]' } });
    }
    if (action === 'RespondToAuthChallenge' && body.Session === 'challenge-session-1') {
      return answer(route, 200, { AuthenticationResult: { IdToken: user.idToken, AccessToken: 'access', RefreshToken: 'refresh', ExpiresIn: 3600, TokenType: 'Bearer' }, ChallengeParameters: {} });
    }
    return answer(route, 400, { __type: 'InvalidParameterException', message: 'Unexpected request.' });
  });
  return calls;
}
