// @ts-check
// The user's own profile: display name, bio, avatar address and privacy settings.
import * as api from '../api.js';
import { h } from '../dom.js';
import { field } from './auth.js';

const audiences = [
  ['everyone', 'Everyone'],
  ['friendsOfFriends', 'Friends of friends'],
  ['friends', 'Friends only'],
  ['nobody', 'Nobody'],
];

/**
 * @param {string} id
 * @param {string} name
 * @param {string} label
 * @param {boolean} friendsAllowed
 */
function audienceSelect(id, name, label, friendsAllowed) {
  return field(id, label, h('select', { id, name },
    audiences.filter(([value]) => friendsAllowed || value !== 'friends').map(([value, text]) => h('option', { value }, text))));
}

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').Context} context
 */
export function render(main, _params, context) {
  const username = context.me.username;
  const saved = h('p', { role: 'status', class: 'saved' });
  const form = h('form', { class: 'card profile-form', novalidate: true },
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    field('profile-display-name', 'Display name', h('input', { id: 'profile-display-name', name: 'displayName', maxlength: '64', autocomplete: 'name' })),
    field('profile-bio', 'About you', h('textarea', { id: 'profile-bio', name: 'bio', maxlength: '500', rows: '3' })),
    field('profile-avatar', 'Avatar image address', h('input', { id: 'profile-avatar', name: 'avatarUrl', type: 'url', maxlength: '2048', 'aria-describedby': 'profile-avatar-hint' }),
      'An https:// address of a picture; leave empty for initials.'),
    h('fieldset', {},
      h('legend', {}, 'Privacy'),
      audienceSelect('privacy-search', 'privacy.searchableBy', 'Who can find me in search', true),
      audienceSelect('privacy-requests', 'privacy.friendRequestsFrom', 'Who can send me friend requests', false),
      audienceSelect('privacy-friends', 'privacy.friendListVisibleTo', 'Who can see my friends', true)),
    h('button', { type: 'submit', class: 'primary' }, 'Save profile'),
    saved);
  main.append(h('div', { class: 'page' }, h('h1', {}, 'Your profile'), h('p', {}, `Signed in as @${username}`), form));

  /** @param {string} name */
  const control = name => /** @type {HTMLInputElement} */ (form.elements.namedItem(name));

  /** @param {any} profile */
  function fill(profile) {
    control('displayName').value = profile.displayName ?? '';
    control('bio').value = profile.bio ?? '';
    control('avatarUrl').value = profile.avatarUrl ?? '';
    if (profile.privacy) {
      control('privacy.searchableBy').value = profile.privacy.searchableBy;
      control('privacy.friendRequestsFrom').value = profile.privacy.friendRequestsFrom;
      control('privacy.friendListVisibleTo').value = profile.privacy.friendListVisibleTo;
    }
  }

  api.get(`/user/${encodeURIComponent(username)}`).then(fill).catch(error => api.showFormError(form, error));

  form.addEventListener('submit', async event => {
    event.preventDefault();
    saved.textContent = '';
    api.clearFormErrors(form);
    try {
      fill(await api.put(`/user/${encodeURIComponent(username)}`, {
        displayName: control('displayName').value,
        bio: control('bio').value,
        avatarUrl: control('avatarUrl').value.trim(),
        privacy: {
          searchableBy: control('privacy.searchableBy').value,
          friendRequestsFrom: control('privacy.friendRequestsFrom').value,
          friendListVisibleTo: control('privacy.friendListVisibleTo').value,
        },
      }));
      saved.textContent = 'Profile saved.';
    } catch (error) {
      api.showFormError(form, error);
    }
  });
}
