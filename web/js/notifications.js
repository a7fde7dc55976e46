// @ts-check
// The notifications bell's data: the list from GET /notifications and the count from
// GET /notifications/unread-count, kept live by the SSE stream /notifications/stream. EventSource
// cannot send headers, so the access token goes in the query. The server ends the stream when the
// token expires (and refuses an expired one), so a closed stream is reopened with a fresh token,
// resuming after the last event id it saw; a `resync` event means too much changed: read it all.
import * as api from './api.js';
import * as session from './session.js';

const backoffMs = [1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * @typedef {{id: string, kind: string, data: any, text?: string, createdAt: string, updatedAt?: string,
 *   readAt: string | null, withdrawnAt?: string | null}} Notification
 */

export class NotificationFeed extends EventTarget {
  constructor() {
    super();
    /** @type {Notification[]} most recently changed first */
    this.items = [];
    /** @type {string | null} */
    this.nextCursor = null;
    this.unreadCount = 0;
    /** @type {EventSource | null} */
    this.source = null;
    /** @type {string | null} the id of the last event received, to resume after */
    this.lastEventId = null;
    this.running = false;
    this.attempt = 0;
    /** @type {number | undefined} */
    this.timer = undefined;
    /** @type {number | undefined} */
    this.countTimer = undefined;
    this.countAttempt = 0;
    /** @type {Notification[] | null} what the stream brought while the list was being read */
    this.arrivedDuringReload = null;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  stop() {
    this.running = false;
    window.clearTimeout(this.timer);
    window.clearTimeout(this.countTimer);
    this.source?.close();
    this.source = null;
    this.lastEventId = null;
    this.items = [];
    this.unreadCount = 0;
    this.countAttempt = 0;
    this.arrivedDuringReload = null;
  }

  async reload() {
    const arrived = this.arrivedDuringReload = [];
    try {
      const [page, count] = await Promise.all([api.get('/notifications?limit=50'), api.get('/notifications/unread-count')]);
      this.items = page.items ?? [];
      this.nextCursor = page.nextCursor ?? null;
      this.unreadCount = count.count;
    } finally {
      if (this.arrivedDuringReload === arrived) this.arrivedDuringReload = null;
    }
    // The list may have been read before a change the stream already brought: apply those again.
    for (const notification of arrived) this.upsert(notification);
    if (arrived.length > 0) this.recount();
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

  /** @param {string} id marks one read (on every device: the stream tells the others) */
  async markRead(id) {
    const updated = await api.post(`/notifications/${encodeURIComponent(id)}/read`);
    this.upsert(updated);
    this.recount();
  }

  async markAllRead() {
    await api.post('/notifications/read-all');
    const now = new Date().toISOString();
    for (const item of this.items) item.readAt ??= now;
    this.unreadCount = 0;
    this.changed();
  }

  async open() {
    if (!this.running) return;
    let token;
    try {
      token = await session.accessToken({ force: this.attempt > 0 });
    } catch {
      this.retry();
      return;
    }
    if (!token || !this.running) return;
    const resume = this.lastEventId === null ? '' : `&lastEventId=${encodeURIComponent(this.lastEventId)}`;
    const source = new EventSource(`/notifications/stream?access_token=${encodeURIComponent(token)}${resume}`);
    this.source = source;
    source.addEventListener('open', () => {
      this.attempt = 0;
      // The first time, and whenever resuming is impossible, the list is read whole, once the
      // stream is open: what changes from then on comes live, so nothing falls between the two.
      if (this.lastEventId === null) this.reloadUntilDone(source);
    });
    source.addEventListener('notification', event => this.receive(/** @type {MessageEvent} */ (event)));
    source.addEventListener('resync', () => this.reloadUntilDone(source));
    source.addEventListener('error', () => {
      // The stream ended (token expiry, a restart) or was refused. EventSource would retry with the
      // same, possibly expired, token: reopen it here with a fresh one instead.
      if (this.source !== source) return;
      source.close();
      this.source = null;
      this.retry();
    });
  }

  /**
   * Reads the list whole, and again after a pause while that fails and the stream is still open.
   * @param {EventSource} source
   */
  reloadUntilDone(source, attempt = 0) {
    this.reload().catch(() => {
      if (!this.running || this.source !== source) return;
      const delay = backoffMs[Math.min(attempt, backoffMs.length - 1)];
      window.setTimeout(() => { if (this.source === source) this.reloadUntilDone(source, attempt + 1); }, delay);
    });
  }

  retry() {
    if (!this.running) return;
    const delay = backoffMs[Math.min(this.attempt, backoffMs.length - 1)];
    this.attempt += 1;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.open(), delay);
  }

  /** @param {MessageEvent} event */
  receive(event) {
    /** @type {Notification} */
    let notification;
    try {
      notification = JSON.parse(event.data);
    } catch {
      return;
    }
    if (event.lastEventId) this.lastEventId = event.lastEventId;
    this.arrivedDuringReload?.push(notification);
    const isNew = !this.items.some(n => n.id === notification.id);
    this.upsert(notification);
    this.recount();
    if (!notification.withdrawnAt) {
      this.dispatchEvent(new CustomEvent('notification', { detail: { ...notification, isNew } }));
    }
  }

  /**
   * Replaces a notification where it is, moves it first when it changed (a grouped one got
   * another message), adds a new one first, and drops a withdrawn one.
   * @param {Notification} notification
   */
  upsert(notification) {
    const index = this.items.findIndex(n => n.id === notification.id);
    if (notification.withdrawnAt) {
      if (index >= 0) this.items.splice(index, 1);
    } else if (index >= 0 && this.items[index].updatedAt === notification.updatedAt) {
      this.items[index] = notification;
    } else {
      if (index >= 0) this.items.splice(index, 1);
      this.items.unshift(notification);
    }
    this.changed();
  }

  /** Asks for the unread count again, once for a burst of changes, and again after a failure. */
  recount() {
    window.clearTimeout(this.countTimer);
    const delay = this.countAttempt === 0 ? 150 : backoffMs[Math.min(this.countAttempt - 1, backoffMs.length - 1)];
    this.countTimer = window.setTimeout(async () => {
      try {
        this.unreadCount = (await api.get('/notifications/unread-count')).count;
        this.countAttempt = 0;
        this.changed();
      } catch {
        if (!this.running) return;
        this.countAttempt += 1;
        this.recount();
      }
    }, delay);
  }

  changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}

/**
 * What a notification says and where it leads.
 * @param {Notification} notification
 * @returns {{text: string, detail: string | null, href: string | null}}
 */
export function describe(notification) {
  const d = notification.data ?? {};
  switch (notification.kind) {
    case 'messages':
      return {
        text: notification.text ?? `${d.count ?? 1} new messages`,
        detail: d.lastPreview ?? null,
        href: d.conversationId ? `#/chats/${d.conversationId}` : null,
      };
    case 'friend_request':
      return { text: notification.text ?? `${d.fromUsername} sent you a friend request`, detail: null, href: '#/friends' };
    case 'friend_accepted':
      return { text: notification.text ?? `${d.friendUsername} accepted your friend request`, detail: null, href: '#/friends' };
    default:
      return { text: notification.text ?? notification.kind, detail: null, href: null };
  }
}
