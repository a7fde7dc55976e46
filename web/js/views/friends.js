// @ts-check
// Friend requests (to me: accept or reject; from me: withdraw) and the friend list (message,
// remove). Reloads itself when a friendship notification arrives.
import * as api from '../api.js';
import * as users from '../users.js';
import { h, replace, avatar, timeElement, announce } from '../dom.js';

/**
 * @typedef {{requestId: string, fromUserId: string, toUserId: string, status: string, createdAt: string,
 *   fromUsername: string, toUsername: string}} FriendRequest
 */

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').Context} context
 */
export function render(main, _params, context) {
  const incoming = h('ul', { class: 'people', 'aria-labelledby': 'incoming-heading' });
  const outgoing = h('ul', { class: 'people', 'aria-labelledby': 'outgoing-heading' });
  const friends = h('ul', { class: 'people', 'aria-labelledby': 'friends-heading' });
  const status = h('p', { class: 'form-error', role: 'alert', hidden: true });
  main.append(h('div', { class: 'page' },
    h('h1', {}, 'Friends'),
    h('p', {}, h('a', { href: '#/search' }, 'Find people'), ' to send friend requests.'),
    status,
    h('section', { 'aria-labelledby': 'incoming-heading' }, h('h2', { id: 'incoming-heading' }, 'Friend requests'), incoming),
    h('section', { 'aria-labelledby': 'friends-heading' }, h('h2', { id: 'friends-heading' }, 'Your friends'), friends),
    h('section', { 'aria-labelledby': 'outgoing-heading' }, h('h2', { id: 'outgoing-heading' }, 'Requests you sent'), outgoing),
  ));

  /** @param {unknown} error */
  const fail = error => {
    status.textContent = error instanceof Error ? error.message : String(error);
    status.hidden = false;
  };

  /**
   * @param {() => Promise<unknown>} action
   * @param {string} done announced afterwards
   */
  const act = async (action, done) => {
    status.hidden = true;
    try {
      await action();
      announce(done);
      await load();
    } catch (error) {
      fail(error);
    }
  };

  async function load() {
    try {
      const [toMe, fromMe, list] = await Promise.all([
        api.get('/friends/requests?direction=incoming&limit=100'),
        api.get('/friends/requests?direction=outgoing&limit=100'),
        users.friendsOf(context.me.userId),
      ]);
      /** @type {FriendRequest[]} */
      const incomingItems = toMe.items;
      /** @type {FriendRequest[]} */
      const outgoingItems = fromMe.items;
      for (const r of [...incomingItems, ...outgoingItems]) {
        users.remember(r.fromUserId, r.fromUsername);
        users.remember(r.toUserId, r.toUsername);
      }
      replace(incoming, incomingItems.length === 0 ? h('li', { class: 'empty' }, 'No requests waiting for you.')
        : incomingItems.map(r => person(r.fromUsername, h('span', {}, 'asked ', timeElement(r.createdAt)),
          h('button', { type: 'button', class: 'primary', 'aria-label': `Accept ${r.fromUsername}`, onclick: () => act(() => api.post('/friends/accept', { requestId: r.requestId }), `You and ${r.fromUsername} are now friends.`) }, 'Accept'),
          h('button', { type: 'button', 'aria-label': `Reject ${r.fromUsername}`, onclick: () => act(() => api.post('/friends/reject', { requestId: r.requestId }), `Request from ${r.fromUsername} rejected.`) }, 'Reject'))));
      replace(outgoing, outgoingItems.length === 0 ? h('li', { class: 'empty' }, 'None pending.')
        : outgoingItems.map(r => person(r.toUsername, h('span', {}, 'sent ', timeElement(r.createdAt)),
          h('button', { type: 'button', 'aria-label': `Withdraw request to ${r.toUsername}`, onclick: () => act(() => api.del(`/friends/requests/${r.requestId}`), `Request to ${r.toUsername} withdrawn.`) }, 'Withdraw'))));
      replace(friends, list.length === 0 ? h('li', { class: 'empty' }, 'No friends yet.')
        : list.map(f => person(f.displayName || f.username, h('span', {}, `@${f.username} · friends since `, timeElement(f.since)),
          h('button', { type: 'button', class: 'primary', 'aria-label': `Message ${f.displayName || f.username}`, onclick: () => openChat(f.userId) }, 'Message'),
          h('button', {
            type: 'button', 'aria-label': `Remove ${f.username} from friends`,
            onclick: () => window.confirm(`Remove ${f.username} from your friends?`)
              && act(() => api.request('DELETE', '/friends/remove', { userId: f.userId }), `${f.username} removed from friends.`),
          }, 'Remove'))));
    } catch (error) {
      fail(error);
    }
  }

  /** @param {string} userId */
  async function openChat(userId) {
    try {
      location.hash = `#/chats/${await context.conversations.openDirect(userId)}`;
    } catch (error) {
      fail(error);
    }
  }

  const onNotification = (/** @type {Event} */ event) => {
    if (/** @type {CustomEvent} */ (event).detail.kind?.includes('friend')) load();
  };
  context.feed.addEventListener('notification', onNotification);
  load();
  return () => context.feed.removeEventListener('notification', onNotification);
}

/**
 * One person in a list, with actions.
 * @param {string} name
 * @param {HTMLElement} detail
 * @param {...HTMLElement} actions
 */
export function person(name, detail, ...actions) {
  return h('li', { class: 'person' },
    avatar(name),
    h('span', { class: 'person-text' }, h('span', { class: 'person-name' }, name), h('span', { class: 'person-detail' }, detail)),
    h('span', { class: 'person-actions' }, actions));
}
