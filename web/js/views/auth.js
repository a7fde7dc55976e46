// @ts-check
// Log in and register. Problem details from Auth are shown next to the fields they name.
import * as api from '../api.js';
import * as session from '../session.js';
import * as oauth from '../oauth.js';
import { h } from '../dom.js';

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {string} [notice] why the user is here (the session ended, they logged out)
 */
export function renderLogin(main, _params, notice) {
  const form = h('form', { class: 'card auth-form', novalidate: true },
    h('h1', {}, 'Log in'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    field('login-username', 'Username or e-mail', h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true })),
    field('login-password', 'Password', h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
  );
  const providers = h('div', { class: 'providers', hidden: true });
  form.addEventListener('submit', event => {
    event.preventDefault();
    const data = new FormData(form);
    submit(form, () => api.request('POST', '/login', { username: data.get('username'), password: data.get('password') }, { anonymous: true }));
  });
  main.append(h('div', { class: 'auth-page' },
    form,
    providers,
    h('p', { class: 'switch' }, 'New here? ', h('a', { href: '#/register' }, 'Create an account')),
  ));
  showProviders(providers);
}

/** @param {HTMLElement} main */
export function renderRegister(main) {
  const form = h('form', { class: 'card auth-form', novalidate: true },
    h('h1', {}, 'Create an account'),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    field('register-username', 'Username', h('input', {
      id: 'register-username', name: 'username', autocomplete: 'username', required: true, 'aria-describedby': 'register-username-hint',
    }), '3 to 32 characters: letters a-z, digits, _ and .'),
    field('register-display-name', 'Display name (optional)', h('input', { id: 'register-display-name', name: 'displayName', autocomplete: 'name' })),
    field('register-email', 'E-mail (optional)', h('input', { id: 'register-email', name: 'email', type: 'email', autocomplete: 'email' })),
    field('register-password', 'Password', h('input', {
      id: 'register-password', name: 'password', type: 'password', autocomplete: 'new-password', required: true, 'aria-describedby': 'register-password-hint',
    }), 'At least 8 characters, not containing the username.'),
    h('button', { type: 'submit', class: 'primary' }, 'Create account'),
  );
  form.addEventListener('submit', event => {
    event.preventDefault();
    const data = new FormData(form);
    const optional = (/** @type {string} */ name) => String(data.get(name) ?? '').trim() || undefined;
    submit(form, () => api.request('POST', '/register', {
      username: data.get('username'),
      password: data.get('password'),
      email: optional('email'),
      displayName: optional('displayName'),
    }, { anonymous: true }));
  });
  main.append(h('div', { class: 'auth-page' },
    form,
    h('p', { class: 'switch' }, 'Already have an account? ', h('a', { href: '#/login' }, 'Log in')),
  ));
}

/**
 * A labelled form control with an optional hint.
 * @param {string} id
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(id, label, control, hint) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    control,
  );
}

/**
 * @param {HTMLFormElement} form
 * @param {() => Promise<import('../session.js').Tokens>} call
 */
async function submit(form, call) {
  const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
  button.disabled = true;
  api.clearFormErrors(form);
  try {
    session.accept(await call());
    location.hash = '#/chats';
  } catch (error) {
    api.showFormError(form, error);
  } finally {
    button.disabled = false;
  }
}

/** @param {HTMLElement} container "Log in with …" for each configured provider; hidden when there are none */
async function showProviders(container) {
  /** @type {oauth.Provider[]} */
  let providers = [];
  try {
    providers = (await api.request('GET', '/oauth/providers', undefined, { anonymous: true })).items ?? [];
  } catch {
    return;
  }
  if (providers.length === 0) return;
  container.append(h('p', { class: 'divider' }, 'or'));
  for (const provider of providers) {
    container.append(h('button', {
      type: 'button',
      class: 'provider',
      onclick: () => oauth.begin(provider).catch(error => { container.append(h('p', { role: 'alert' }, String(error.message))); }),
    }, `Log in with ${provider.displayName}`));
  }
  container.hidden = false;
}
