// @ts-check
// Finding people by username or display name, and asking them to be friends.
import * as api from '../api.js';
import * as users from '../users.js';
import { h, replace } from '../dom.js';
import { person } from './friends.js';

/**
 * @typedef {{userId: string, username: string, displayName: string, bio: string | null}} Profile
 */

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').Context} _context
 */
export function render(main, _params, _context) {
  const input = h('input', { id: 'search-text', name: 'q', type: 'search', autocomplete: 'off', required: true, maxlength: '64' });
  const results = h('ul', { class: 'people', 'aria-label': 'Search results' });
  const summary = h('p', { role: 'status', class: 'search-summary' });
  const form = h('form', { class: 'search-form', role: 'search' },
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('label', { for: 'search-text' }, 'Name or username'),
    h('div', { class: 'inline' }, input, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  main.append(h('div', { class: 'page' }, h('h1', {}, 'Find people'), form, summary, results));

  // Only the latest search is shown: an earlier one answered late would replace its results.
  let latest = 0;
  // The friend requests sent from this page, by user id, with what came of them: results shown
  // after the click (a search answered late, or a new one finding the same person) keep saying so.
  /** @type {Map<string, string>} */
  const requested = new Map();

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    const search = ++latest;
    api.clearFormErrors(form);
    try {
      const page = await api.get(`/user/search?q=${encodeURIComponent(q)}&limit=20`);
      if (search !== latest) return;
      /** @type {Profile[]} */
      const items = page.items;
      summary.textContent = items.length === 0 ? `Nobody found for “${q}”.` : `${items.length} found for “${q}”.`;
      replace(results, items.map(result));
    } catch (error) {
      if (search === latest) api.showFormError(form, error);
    }
  });
  input.focus();

  /** @param {Profile} profile */
  function result(profile) {
    users.remember(profile.userId, profile.username, profile.displayName);
    const sent = requested.get(profile.userId);
    const button = h('button', {
      type: 'button', class: 'primary', 'aria-label': `Add ${profile.username} as a friend`,
      'data-user-id': profile.userId, disabled: sent !== undefined,
    }, 'Add friend');
    const outcome = h('span', { class: 'outcome', role: 'status', 'data-user-id': profile.userId }, sent);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const request = await api.post('/friends/request', { userId: profile.userId });
        const text = request.status === 'accepted' ? 'You are now friends.' : 'Request sent.';
        requested.set(profile.userId, text);
        showOutcome(profile.userId, text, true);
      } catch (error) {
        showOutcome(profile.userId, error instanceof Error ? error.message : String(error), false);
      }
    });
    return person(profile.displayName || profile.username,
      h('span', {}, `@${profile.username}${profile.bio ? ` · ${profile.bio}` : ''}`), button, outcome);
  }

  /**
   * Shows what came of a friend request in the results on screen now (maybe a later search's).
   * @param {string} userId
   * @param {string} text
   * @param {boolean} done
   */
  function showOutcome(userId, text, done) {
    for (const element of results.querySelectorAll(`[data-user-id="${CSS.escape(userId)}"]`)) {
      if (element instanceof HTMLButtonElement) element.disabled = done;
      else element.textContent = text;
    }
  }
}
