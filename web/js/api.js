// @ts-check
// fetch() for the messenger's HTTP API: JSON in and out, the bearer token, one refresh and retry
// when the server answers 401, and RFC 9457 problem details turned into an ApiError whose message
// can be shown to the user as it is.
import * as session from './session.js';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message a sentence for the user
   * @param {{[field: string]: string[]}} [errors] validation errors per field
   */
  constructor(status, message, errors = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors;
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{anonymous?: boolean}} [options] anonymous: send no token (register, login)
 * @returns {Promise<any>} the parsed JSON body, or null for 204
 */
export async function request(method, path, body, options = {}) {
  let response = await send(method, path, body, options.anonymous ? null : await tokenOrSignedOut());
  if (response.status === 401 && !options.anonymous) {
    response = await send(method, path, body, await tokenOrSignedOut({ force: true }));
  }
  if (response.status === 401 && !options.anonymous) {
    session.clear('Your session has ended. Please log in again.');
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') ?? '';
  return type.includes('json') ? response.json() : null;
}

export const get = (/** @type {string} */ path) => request('GET', path);
/**
 * @param {string} path
 * @param {unknown} [body] an empty object when left out
 */
export const post = (path, body) => request('POST', path, body ?? {});
export const put = (/** @type {string} */ path, /** @type {unknown} */ body) => request('PUT', path, body);
export const del = (/** @type {string} */ path) => request('DELETE', path);

/** @param {{force?: boolean}} [options] */
async function tokenOrSignedOut(options) {
  const token = await session.accessToken(options);
  if (!token) throw new ApiError(401, 'Please log in.');
  return token;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} body
 * @param {string | null} token
 */
async function send(method, path, body, token) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check the connection and try again.');
  }
}

/** @param {Response} response */
async function toError(response) {
  /** @type {any} */
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): the status says enough.
  }
  if (response.status === 429) {
    const wait = response.headers.get('Retry-After');
    const detail = problem?.detail ?? 'Too many attempts.';
    return new ApiError(429, wait ? `${detail} Try again in ${wait} s.` : detail);
  }
  const errors = problem?.errors ?? {};
  const fieldMessages = Object.values(errors).flat();
  const message = problem?.detail
    ?? (fieldMessages.length > 0 ? fieldMessages.join(' ') : null)
    ?? problem?.title
    ?? `The request failed (${response.status} ${response.statusText}).`;
  return new ApiError(response.status, message, errors);
}

/**
 * Shows an error next to a form: each field's messages under that field (aria-describedby,
 * aria-invalid), everything else in the form's alert area.
 * @param {HTMLFormElement} form
 * @param {unknown} error
 */
export function showFormError(form, error) {
  clearFormErrors(form);
  const alert = /** @type {HTMLElement | null} */ (form.querySelector('.form-error'));
  const apiError = error instanceof ApiError ? error : null;
  const unplaced = [];
  for (const [field, messages] of Object.entries(apiError?.errors ?? {})) {
    const input = /** @type {HTMLInputElement | null} */ (form.querySelector(`[name="${CSS.escape(field)}"]`));
    if (!input) {
      unplaced.push(...messages);
      continue;
    }
    const note = document.createElement('p');
    note.className = 'field-error';
    note.id = `${input.id}-error`;
    note.textContent = messages.join(' ');
    input.after(note);
    input.setAttribute('aria-invalid', 'true');
    // Keep the field's hint described too.
    input.dataset.hint ??= input.getAttribute('aria-describedby') ?? '';
    input.setAttribute('aria-describedby', `${input.dataset.hint} ${note.id}`.trim());
  }
  if (alert) {
    const placedAll = apiError && Object.keys(apiError.errors).length > 0 && unplaced.length === 0;
    alert.textContent = placedAll ? 'Please correct the marked fields.' : (error instanceof Error ? error.message : String(error));
    alert.hidden = false;
  }
  const firstInvalid = /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'));
  firstInvalid?.focus();
}

/** @param {HTMLFormElement} form */
export function clearFormErrors(form) {
  for (const note of form.querySelectorAll('.field-error')) note.remove();
  for (const input of /** @type {NodeListOf<HTMLElement>} */ (form.querySelectorAll('[aria-invalid]'))) {
    input.removeAttribute('aria-invalid');
    if (input.dataset.hint) input.setAttribute('aria-describedby', input.dataset.hint);
    else input.removeAttribute('aria-describedby');
  }
  const alert = /** @type {HTMLElement | null} */ (form.querySelector('.form-error'));
  if (alert) {
    alert.textContent = '';
    alert.hidden = true;
  }
}
