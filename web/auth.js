// @ts-check
/* global fetch, sessionStorage, atob */
/**
 * Where the page runs and who is signed in. `/config.json` says: `{ auth: 'none' }` on this
 * machine, `{ auth: 'cognito', region, userPoolId, clientId }` in AWS, where the supervisor signs
 * in against the user pool (USER_PASSWORD_AUTH) and the call API wants the ID token as a bearer.
 */

/** @typedef {{ auth: 'none' } | { auth: 'cognito', region: string, userPoolId: string, clientId: string }} PageConfig */
/** @typedef {{ kind: 'signed-in' } | { kind: 'new-password', session: string, username: string }} SignInStep */

const tokenKey = 'sentiment-ivr.idToken';

/** The call API said 401: the token is missing, expired or refused. */
export class SignInRequired extends Error {}

/** Cognito refused a sign-in step; `message` is Cognito's own wording. */
export class SignInFailed extends Error {
  /** @param {string} type @param {string} message */
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

/** @returns {Promise<PageConfig>} */
export async function loadConfig() {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  /** @type {Record<string, unknown>} */
  const config = await response.json();
  if (config.auth === 'none') return { auth: 'none' };
  const { region, userPoolId, clientId } = config;
  if (config.auth === 'cognito' && typeof region === 'string' && /^[a-z0-9-]+$/.test(region) && typeof userPoolId === 'string' && typeof clientId === 'string') {
    return { auth: 'cognito', region, userPoolId, clientId };
  }
  throw new Error('config.json names no known sign-in (auth must be none or cognito with region, userPoolId and clientId)');
}

/** A JWT's claims (not verified: the API's authorizer does that), or undefined. @param {string} token */
function claimsOf(token) {
  try {
    const part = token.split('.')[1] ?? '';
    return /** @type {Record<string, unknown>} */ (JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))));
  } catch {
    return undefined;
  }
}

/** The stored ID token, if it has not expired. */
export function currentToken() {
  const token = sessionStorage.getItem(tokenKey);
  if (!token) return undefined;
  const exp = claimsOf(token)?.exp;
  if (typeof exp === 'number' && exp * 1000 < Date.now()) {
    sessionStorage.removeItem(tokenKey);
    return undefined;
  }
  return token;
}

/** Who the stored token says is signed in. */
export function signedInName() {
  const token = currentToken();
  const claims = token ? claimsOf(token) : undefined;
  const name = claims?.['cognito:username'] ?? claims?.email;
  return typeof name === 'string' ? name : undefined;
}

export function signOut() {
  sessionStorage.removeItem(tokenKey);
}

/**
 * One Cognito Identity Provider call, by its JSON 1.1 protocol.
 * @param {string} region
 * @param {string} action
 * @param {object} body
 * @returns {Promise<Record<string, any>>}
 */
async function cognito(region, action, body) {
  let response;
  try {
    response = await fetch(`https://cognito-idp.${region}.amazonaws.com/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityProviderService.${action}` },
      body: JSON.stringify(body),
    });
  } catch {
    throw new SignInFailed('NetworkError', 'Could not reach the sign-in service. Check the connection and try again.');
  }
  /** @type {Record<string, any>} */
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(data.__type ?? 'Error').split('#').pop() ?? 'Error';
    throw new SignInFailed(type, typeof data.message === 'string' ? data.message : `Sign-in failed (${response.status}).`);
  }
  return data;
}

/** @param {Record<string, any>} data @param {string} username @returns {SignInStep} */
function nextStep(data, username) {
  const token = data.AuthenticationResult?.IdToken;
  if (typeof token === 'string') {
    sessionStorage.setItem(tokenKey, token);
    return { kind: 'signed-in' };
  }
  if (data.ChallengeName === 'NEW_PASSWORD_REQUIRED' && typeof data.Session === 'string') {
    const userId = data.ChallengeParameters?.USER_ID_FOR_SRP;
    return { kind: 'new-password', session: data.Session, username: typeof userId === 'string' ? userId : username };
  }
  throw new SignInFailed(String(data.ChallengeName ?? 'UnknownChallenge'), `This page cannot answer the sign-in challenge ${data.ChallengeName ?? '(none)'}; ask an administrator.`);
}

/**
 * Username and password: signed in, or Cognito wants a new password first.
 * @param {Extract<PageConfig, { auth: 'cognito' }>} config
 * @param {string} username
 * @param {string} password
 */
export async function signIn(config, username, password) {
  const data = await cognito(config.region, 'InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: config.clientId, AuthParameters: { USERNAME: username, PASSWORD: password } });
  return nextStep(data, username);
}

/**
 * Answers NEW_PASSWORD_REQUIRED.
 * @param {Extract<PageConfig, { auth: 'cognito' }>} config
 * @param {Extract<SignInStep, { kind: 'new-password' }>} step
 * @param {string} newPassword
 */
export async function setNewPassword(config, step, newPassword) {
  const data = await cognito(config.region, 'RespondToAuthChallenge', {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    ClientId: config.clientId,
    Session: step.session,
    ChallengeResponses: { USERNAME: step.username, NEW_PASSWORD: newPassword },
  });
  return nextStep(data, step.username);
}

/** How far the call API's clock is ahead of this one, when clearly so (its Date header counts whole seconds). */
let clockOffsetMs = 0;

/** Now, on the call API's clock: durations count from its timestamps, whatever this computer's clock says. */
export function serverNow() {
  return Date.now() + clockOffsetMs;
}

/**
 * GETs a call API path as JSON, with the bearer token in AWS. A 401 clears the token and
 * throws `SignInRequired`; other answers come back with their status.
 * @param {string} path
 * @returns {Promise<{ status: number, body: any }>}
 */
export async function getJson(path) {
  const token = currentToken();
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (response.status === 401) {
    signOut();
    throw new SignInRequired('signed out');
  }
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isFinite(date)) {
    const offset = date - Date.now();
    clockOffsetMs = Math.abs(offset) > 3000 ? offset : 0;
  }
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}
