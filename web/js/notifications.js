// @ts-check
// The notifications bell's data: the list from GET /notifications, kept live by the SSE stream
// /notifications/stream. EventSource cannot send headers, so the access token goes in the query;
// when the stream is refused (an expired token) it is reopened with a fresh token after a
// backoff, and the list is read again so nothing sent in between is missed.
import * as api from './api.js';
import * as session from './session.js';

const backoffMs = [1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * @typedef {{id: string, kind: string, data: any, createdAt: string, updatedAt?: string, readAt: string | null}} Notification
 */

export class NotificationFeed extends EventTarget {
  constructor() {
    super();
    /** @type {Notification[]} newest first */
    this.items = [];
    /** @type {string | null} */
    this.nextCursor = null;
    /** @type {number | null} what the server counts, when it says */
    this.serverUnread = null;
    /** @type {EventSource | null} */
    this.source = null;
    this.running = false;
    this.attempt = 0;
    /** @type {number | undefined} */
    this.timer = undefined;
  }

  get unreadCount() {
    return this.serverUnread ?? this.items.filter(n => !n.readAt).length;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  stop() {
    this.running = false;
    window.clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
    this.items = [];
    this.serverUnread = null;
  }

  async reload() {
    const page = await api.get('/notifications?limit=50');
    this.items = page.items ?? [];
    this.nextCursor = page.nextCursor ?? null;
    this.serverUnread = typeof page.unreadCount === 'number' ? page.unreadCount : null;
    this.changed();
  }

  async loadMore() {
    if (!this.nextCursor) return;
    const page = await api.get(`/notifications?limit=50&cursor=${encodeURIComponent(this.nextCursor)}`);
    const known = new Set(this.items.map(n => n.id));
    this.items.push(...(page.items ?? []).filter((/** @type {Notification} */ n) => !known.has(n.id)));
    this.nextCursor = page.nextCursor ?? null;
    this.changed();
  }

  /** @param {string} id */
  async markRead(id) {
    const item = this.items.find(n => n.id === id);
    if (!item || item.readAt) return;
    await api.post(`/notifications/${encodeURIComponent(id)}/read`);
    item.readAt = new Date().toISOString();
    if (this.serverUnread !== null) this.serverUnread = Math.max(0, this.serverUnread - 1);
    this.changed();
  }

  async markAllRead() {
    await api.post('/notifications/read-all');
    const now = new Date().toISOString();
    for (const item of this.items) item.readAt ??= now;
    this.serverUnread = 0;
    this.changed();
  }

  async open() {
    if (!this.running) return;
    let token;
    try {
      token = await session.accessToken({ force: this.attempt > 0 });
      await this.reload();
    } catch {
      this.retry();
      return;
    }
    if (!token || !this.running) return;
    const source = new EventSource(`/notifications/stream?access_token=${encodeURIComponent(token)}`);
    this.source = source;
    source.addEventListener('open', () => { this.attempt = 0; });
    source.addEventListener('notification', event => this.receive(/** @type {MessageEvent} */ (event).data));
    source.addEventListener('error', () => {
      // EventSource retries network failures itself; a refused stream (401) ends up closed.
      if (source.readyState === EventSource.CLOSED && this.source === source) {
        this.source = null;
        this.retry();
      }
    });
  }

  retry() {
    if (!this.running) return;
    const delay = backoffMs[Math.min(this.attempt, backoffMs.length - 1)];
    this.attempt += 1;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.open(), delay);
  }

  /** @param {string} data */
  receive(data) {
    /** @type {Notification} */
    let notification;
    try {
      notification = JSON.parse(data);
    } catch {
      return;
    }
    const index = this.items.findIndex(n => n.id === notification.id);
    const wasUnread = index >= 0 && !this.items[index].readAt;
    if (index >= 0) this.items.splice(index, 1);
    this.items.unshift(notification);
    if (this.serverUnread !== null && !notification.readAt && !wasUnread) this.serverUnread += 1;
    this.changed();
    this.dispatchEvent(new CustomEvent('notification', { detail: notification }));
  }

  changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}

/**
 * One line for a notification, whatever its kind.
 * @param {Notification} notification
 * @returns {{text: string, href: string | null}}
 */
export function describe(notification) {
  const d = notification.data ?? {};
  const kind = notification.kind;
  if (kind === 'messages' || d.conversationId) {
    const count = d.count ?? 1;
    const senders = Array.isArray(d.senders) ? d.senders : d.senderUsername ? [d.senderUsername] : [];
    const from = senders.length > 0 ? senders.join(', ') : 'someone';
    const where = d.conversationTitle ? ` in ${d.conversationTitle}` : '';
    const what = count === 1 ? 'New message' : `${count} new messages`;
    const preview = d.lastPreview ?? d.preview;
    return {
      text: `${what} from ${from}${where}${preview ? `: ${preview}` : ''}`,
      href: d.conversationId ? `#/chats/${d.conversationId}` : null,
    };
  }
  if (kind.includes('accepted')) {
    return { text: `${d.toUsername ?? d.username ?? 'Someone'} accepted your friend request`, href: '#/friends' };
  }
  if (kind.includes('request')) {
    return { text: `${d.fromUsername ?? d.username ?? 'Someone'} wants to be your friend`, href: '#/friends' };
  }
  return { text: d.text ?? d.title ?? kind, href: null };
}
