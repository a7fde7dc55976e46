// @ts-check
// Who is signed in. The access token lives in memory only; the refresh token is kept in
// localStorage so a reload stays signed in (docs/decisions: web client tokens). Auth rotates the
// refresh token on every use and ends the whole session when a used one comes back, so refreshes
// of all tabs of this browser go through one lock and always read the newest token first.

const refreshTokenKey = 'messenger.refreshToken';
const userKey = 'messenger.user';
const lockName = 'messenger.refresh';
// Refresh a little before the server would refuse the token.
const expiryMarginMs = 60_000;

/**
 * @typedef {{userId: string, username: string, sessionId: string, accessToken: string,
 *   refreshToken: string, tokenType: string, expiresIn: number}} Tokens
 * @typedef {{userId: string, username: string, sessionId: string}} User
 */

/** @type {{token: string, expiresAt: number} | null} */
let access = null;
/** @type {Promise<string | null> | null} */
let refreshing = null;
const listeners = new Set();

/** @returns {User | null} */
export function currentUser() {
  const stored = localStorage.getItem(userKey);
  if (!stored || !localStorage.getItem(refreshTokenKey)) return null;
  try {
    return JSON.parse(stored);
  } catch {
    return null;
  }
}

/** @param {Tokens} tokens what register, login, OAuth sign-in and refresh return */
export function accept(tokens) {
  access = { token: tokens.accessToken, expiresAt: Date.now() + tokens.expiresIn * 1000 };
  localStorage.setItem(refreshTokenKey, tokens.refreshToken);
  /** @type {User} */
  const user = { userId: tokens.userId, username: tokens.username, sessionId: tokens.sessionId };
  localStorage.setItem(userKey, JSON.stringify(user));
}

/**
 * Forgets the session in this browser and tells the app (which shows the login page).
 * @param {string} [reason] shown on the login page
 */
export function clear(reason) {
  const wasSignedIn = access !== null || localStorage.getItem(refreshTokenKey) !== null;
  access = null;
  localStorage.removeItem(refreshTokenKey);
  localStorage.removeItem(userKey);
  if (wasSignedIn) for (const listener of listeners) listener(reason);
}

/** @param {(reason?: string) => void} listener called when the session ends */
export function onSignedOut(listener) {
  listeners.add(listener);
}

/**
 * A valid access token, refreshed when it is about to expire (or when `force` says the server
 * refused it). Null when there is no session any more.
 * @param {{force?: boolean}} [options]
 * @returns {Promise<string | null>}
 */
export async function accessToken(options = {}) {
  if (!options.force && access && access.expiresAt - Date.now() > expiryMarginMs) return access.token;
  if (!localStorage.getItem(refreshTokenKey)) return null;
  refreshing ??= refreshOnce().finally(() => { refreshing = null; });
  return refreshing;
}

async function refreshOnce() {
  const seen = access?.token;
  const run = async () => {
    // Another tab may have rotated the token while this one waited for the lock.
    const refreshToken = localStorage.getItem(refreshTokenKey);
    if (!refreshToken) return null;
    if (access && access.token !== seen && access.expiresAt - Date.now() > expiryMarginMs) return access.token;
    let response;
    try {
      response = await fetch('/token/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refreshToken }),
      });
    } catch {
      // Offline: keep the session and let the caller retry later.
      throw new Error('The server cannot be reached. Check the connection and try again.');
    }
    if (response.status === 401 || response.status === 400) {
      const problem = await response.json().catch(() => null);
      clear(problem?.detail ?? 'Your session has ended. Please log in again.');
      return null;
    }
    if (!response.ok) throw new Error(`Refreshing the session failed (${response.status}).`);
    /** @type {Tokens} */
    const tokens = await response.json();
    accept(tokens);
    return tokens.accessToken;
  };
  return navigator.locks ? navigator.locks.request(lockName, run) : run();
}
