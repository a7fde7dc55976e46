// @ts-check
// The web client's shell: hash routes (the gateway serves files only, so there is no server-side
// fallback for paths), the header (navigation, unread counts, the notifications bell, connection
// state) and, while someone is signed in, the chat socket and the notification stream.
import * as api from './api.js';
import * as session from './session.js';
import { announce } from './dom.js';
import { ChatSocket } from './socket.js';
import { ConversationStore } from './conversations.js';
import { NotificationFeed, describe } from './notifications.js';
import * as auth from './views/auth.js';
import * as chats from './views/chats.js';
import * as friends from './views/friends.js';
import * as search from './views/search.js';
import * as profile from './views/profile.js';
import * as sessions from './views/sessions.js';
import * as notificationsView from './views/notifications.js';

/**
 * What views get: the signed-in user and the live parts.
 * @typedef {{me: import('./session.js').User, socket: ChatSocket, conversations: ConversationStore,
 *   feed: NotificationFeed, toast: (text: string) => void}} Context
 * @typedef {(main: HTMLElement, params: string[], context: Context) => (void | (() => void))} SignedInView
 * @typedef {(main: HTMLElement, params: string[], notice?: string) => (void | (() => void))} PublicView
 */

/** @type {Record<string, SignedInView>} */
const signedInRoutes = {
  chats: chats.render,
  friends: friends.render,
  search: search.render,
  profile: profile.render,
  sessions: sessions.render,
  notifications: notificationsView.render,
};

/** @type {Record<string, PublicView>} */
const publicRoutes = {
  login: auth.renderLogin,
  register: auth.renderRegister,
};

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
/** @type {Context | null} */
let context = null;
/** @type {(() => void) | void} */
let cleanup;
/** @type {string | undefined} shown once on the login page after a session ended */
let signedOutNotice;

function route() {
  const hash = location.hash;
  // In-page anchors (the skip link) are not routes.
  if (hash && !hash.startsWith('#/')) return;
  const [name = '', ...params] = hash.slice(2).split('/').map(decodeURIComponent);
  const user = session.currentUser();

  if (!user) {
    stopLive();
    if (!(name in publicRoutes)) {
      location.replace('#/login');
      return;
    }
    show(() => publicRoutes[name](main, params, takeNotice()));
    return;
  }

  if (!(name in signedInRoutes)) {
    location.replace('#/chats');
    return;
  }
  const live = startLive(user);
  show(() => signedInRoutes[name](main, params, live));
  markCurrent(name);
  refreshRequestCount();
}

/** @param {() => (void | (() => void))} render */
function show(render) {
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  main.replaceChildren();
  document.body.dataset.signedIn = String(session.currentUser() !== null);
  setShellVisible(session.currentUser() !== null);
  cleanup = render();
  // Move focus to the new screen's heading so keyboard and screen-reader users start there,
  // unless the view already placed it (the chat view focuses its message box).
  if (!main.contains(document.activeElement)) {
    const heading = /** @type {HTMLElement | null} */ (main.querySelector('h1'));
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}

function takeNotice() {
  const notice = signedOutNotice;
  signedOutNotice = undefined;
  return notice;
}

/** @param {boolean} visible */
function setShellVisible(visible) {
  for (const element of document.querySelectorAll('.app-nav, .header-tools')) {
    /** @type {HTMLElement} */ (element).hidden = !visible;
  }
}

/** @param {string} name */
function markCurrent(name) {
  for (const link of document.querySelectorAll('[data-route]')) {
    if (/** @type {HTMLElement} */ (link).dataset.route === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/**
 * Starts the socket, the conversation list and the notification stream once per signed-in user.
 * @param {import('./session.js').User} user
 * @returns {Context}
 */
function startLive(user) {
  if (context && context.me.userId === user.userId) return context;
  stopLive();
  const socket = new ChatSocket();
  const conversations = new ConversationStore(socket, user.userId);
  const feed = new NotificationFeed();
  context = { me: user, socket, conversations, feed, toast };

  socket.addEventListener('status', () => showConnection(socket.status));
  conversations.addEventListener('change', () => setCount('chats-unread', conversations.totalUnread, 'unread'));
  feed.addEventListener('change', () => showBell(feed.unreadCount));
  feed.addEventListener('notification', event => {
    const notification = /** @type {CustomEvent} */ (event).detail;
    if (!notification.readAt) {
      const { text, detail } = describe(notification);
      announce(`Notification: ${text}${detail ? `: ${detail}` : ''}`);
    }
    if (notification.kind?.includes('friend')) refreshRequestCount();
  });

  conversations.load().catch(error => toast(error.message));
  socket.start();
  feed.start();
  return context;
}

function stopLive() {
  if (!context) return;
  context.socket.stop();
  context.conversations.dispose();
  context.feed.stop();
  context = null;
  setCount('chats-unread', 0, 'unread');
  setCount('requests-count', 0, 'requests');
  showBell(0);
}

async function refreshRequestCount() {
  try {
    const page = await api.get('/friends/requests?direction=incoming&limit=100');
    setCount('requests-count', page.items.length, 'friend requests');
  } catch {
    // The count is a hint; the friends page shows the real list.
  }
}

/**
 * @param {string} id
 * @param {number} count
 * @param {string} noun
 */
function setCount(id, count, noun) {
  const element = document.getElementById(id);
  if (!element) return;
  element.hidden = count === 0;
  element.textContent = String(count);
  element.setAttribute('aria-label', `${count} ${noun}`);
}

/** @param {number} count */
function showBell(count) {
  const bell = document.getElementById('bell');
  const badge = document.getElementById('bell-count');
  if (!bell || !badge) return;
  bell.setAttribute('aria-label', count > 0 ? `Notifications, ${count} unread` : 'Notifications');
  badge.hidden = count === 0;
  badge.textContent = count > 99 ? '99+' : String(count);
}

/** @param {'offline' | 'connecting' | 'online'} status */
function showConnection(status) {
  const element = document.getElementById('connection');
  if (!element) return;
  element.dataset.status = status;
  element.textContent = status === 'online' ? '' : status === 'connecting' ? 'Connecting…' : 'Offline: reconnecting…';
}

/** @param {string} text an error or notice everybody should see */
function toast(text) {
  const element = document.getElementById('toast');
  if (!element) return;
  element.textContent = text;
  element.hidden = false;
  window.clearTimeout(Number(element.dataset.timer));
  element.dataset.timer = String(window.setTimeout(() => { element.hidden = true; }, 6_000));
}

session.onSignedOut(reason => {
  signedOutNotice = reason;
  stopLive();
  if (location.hash === '#/login') route();
  else location.hash = '#/login';
});

// Signing in or out in another tab changes the stored session: follow it.
window.addEventListener('storage', event => {
  if (event.key === 'messenger.user') route();
});

document.getElementById('logout')?.addEventListener('click', async () => {
  try {
    await api.post('/logout', {});
  } catch {
    // Logged out locally all the same; the session expires on the server.
  }
  session.clear('You have logged out.');
});

document.getElementById('skip-link')?.addEventListener('click', event => {
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', route);
route();
