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

  // Only the latest search is shown: an earlier one answered late would replace its results (and
  // the outcome of a friend request sent from them).
  let latest = 0;
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
      replace(results, items.map(profile => {
        users.remember(profile.userId, profile.username, profile.displayName);
        const outcome = h('span', { class: 'outcome', role: 'status' });
        const button = h('button', {
          type: 'button', class: 'primary', 'aria-label': `Add ${profile.username} as a friend`,
        }, 'Add friend');
        button.addEventListener('click', async () => {
          button.disabled = true;
          try {
            const request = await api.post('/friends/request', { userId: profile.userId });
            outcome.textContent = request.status === 'accepted' ? 'You are now friends.' : 'Request sent.';
          } catch (error) {
            outcome.textContent = error instanceof Error ? error.message : String(error);
            button.disabled = false;
          }
        });
        return person(profile.displayName || profile.username,
          h('span', {}, `@${profile.username}${profile.bio ? ` · ${profile.bio}` : ''}`), button, outcome);
      }));
    } catch (error) {
      if (search === latest) api.showFormError(form, error);
    }
  });
  input.focus();
}
