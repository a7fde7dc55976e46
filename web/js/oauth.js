// @ts-check
// Sign-in with an OpenID Connect provider: authorization code flow with PKCE (RFC 7636, S256).
// The verifier, state and nonce wait in sessionStorage (this tab only) for oauth/callback.html,
// which checks the state and hands the code to POST /oauth.

export const pendingKey = 'messenger.oauth';

/**
 * @typedef {{name: string, displayName: string, authorizationEndpoint: string, clientId: string, scope: string}} Provider
 * @typedef {{provider: string, codeVerifier: string, state: string, nonce: string, redirectUri: string}} PendingSignIn
 */

/** @param {Uint8Array} bytes */
function base64Url(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {number} length bytes of randomness */
function randomString(length) {
  return base64Url(crypto.getRandomValues(new Uint8Array(length)));
}

/** @param {string} verifier */
export async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/**
 * Sends the browser to the provider's authorization endpoint.
 * @param {Provider} provider
 */
export async function begin(provider) {
  /** @type {PendingSignIn} */
  const pending = {
    provider: provider.name,
    // 32 random bytes: a 43-character verifier, the shortest RFC 7636 allows.
    codeVerifier: randomString(32),
    state: randomString(16),
    nonce: randomString(16),
    redirectUri: new URL('/oauth/callback.html', location.origin).href,
  };
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  const url = new URL(provider.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', pending.redirectUri);
  url.searchParams.set('scope', provider.scope);
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  url.searchParams.set('code_challenge', await challengeOf(pending.codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  location.assign(url.href);
}
