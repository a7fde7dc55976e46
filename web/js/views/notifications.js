// @ts-check
// The notifications list behind the bell: newest first, unread ones marked; opening one marks it
// read and goes to what it is about.
import { h, replace, timeElement } from '../dom.js';
import { describe } from '../notifications.js';

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').Context} context
 */
export function render(main, _params, context) {
  const { feed } = context;
  const list = h('ul', { class: 'notifications', 'aria-labelledby': 'notifications-heading' });
  const markAll = h('button', { type: 'button' }, 'Mark all as read');
  const more = h('button', { type: 'button', hidden: true }, 'Show older');
  const status = h('p', { class: 'form-error', role: 'alert', hidden: true });
  main.append(h('div', { class: 'page' },
    h('div', { class: 'page-heading' }, h('h1', { id: 'notifications-heading' }, 'Notifications'), markAll),
    status, list, more));

  /** @param {() => Promise<void>} action */
  const run = async action => {
    status.hidden = true;
    try {
      await action();
    } catch (error) {
      status.textContent = error instanceof Error ? error.message : String(error);
      status.hidden = false;
    }
  };

  function show() {
    markAll.hidden = feed.unreadCount === 0;
    more.hidden = !feed.nextCursor;
    if (feed.items.length === 0) {
      replace(list, h('li', { class: 'empty' }, 'Nothing yet. Messages and friend requests will show up here.'));
      return;
    }
    replace(list, feed.items.map(notification => {
      const { text, detail, href } = describe(notification);
      const unread = !notification.readAt;
      const open = () => run(async () => {
        if (unread) await feed.markRead(notification.id);
        if (href) location.hash = href;
      });
      return h('li', { class: `notification${unread ? ' unread' : ''}` },
        h('button', { type: 'button', class: 'notification-open', onclick: open },
          unread ? h('span', { class: 'visually-hidden' }, 'Unread: ') : null,
          h('span', { class: 'notification-text' }, text),
          detail ? h('span', { class: 'notification-detail' }, `“${detail}”`) : null,
          h('span', { class: 'notification-time' }, timeElement(notification.updatedAt ?? notification.createdAt))));
    }));
  }

  markAll.addEventListener('click', () => run(() => feed.markAllRead()));
  more.addEventListener('click', () => run(() => feed.loadMore()));
  feed.addEventListener('change', show);
  show();
  return () => feed.removeEventListener('change', show);
}
