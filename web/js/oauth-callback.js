// @ts-check
// Where the OpenID Connect provider sends the browser back: checks the state against the one
// this tab stored, redeems the code at POST /oauth with the PKCE verifier, and opens the app.
import * as api from './api.js';
import * as session from './session.js';
import { pendingKey } from './oauth.js';

const status = /** @type {HTMLElement} */ (document.getElementById('callback-status'));
const back = /** @type {HTMLElement} */ (document.getElementById('callback-back'));

/** @param {string} text */
function fail(text) {
  const heading = document.querySelector('h1');
  if (heading) heading.textContent = 'Sign-in failed';
  status.setAttribute('role', 'alert');
  status.textContent = text;
  back.hidden = false;
}

async function finish() {
  const query = new URLSearchParams(location.search);
  const stored = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  // The code must not linger in the history or be sent anywhere as a referrer.
  history.replaceState(null, '', location.pathname);

  if (query.get('error')) {
    fail(query.get('error_description') ?? `The provider refused the sign-in (${query.get('error')}).`);
    return;
  }
  /** @type {import('./oauth.js').PendingSignIn | null} */
  const pending = stored ? JSON.parse(stored) : null;
  const code = query.get('code');
  if (!pending || !code || query.get('state') !== pending.state) {
    fail('This sign-in was not started here, or it was already used. Please start again.');
    return;
  }
  try {
    const tokens = await api.request('POST', '/oauth', {
      provider: pending.provider,
      code,
      codeVerifier: pending.codeVerifier,
      redirectUri: pending.redirectUri,
      nonce: pending.nonce,
    }, { anonymous: true });
    session.accept(tokens);
    location.replace('/#/chats');
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

finish();
