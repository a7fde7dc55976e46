// @ts-check
// The conversation list: GET /chat, kept current by the socket's frames (new messages move a
// conversation to the top and count as unread unless the user is looking at it; the user's own
// read frames from other devices clear the count). Reloaded after every reconnect.
import * as api from './api.js';
import * as users from './users.js';

/**
 * @typedef {{kind: string, text?: string, name?: string, url?: string, attachmentId?: string,
 *   size?: number, mimeType?: string, width?: number, height?: number}} Content
 * @typedef {{messageId: string, conversationId: string, seq: number, senderId: string,
 *   clientMessageId: string, content: Content | null, sentAt: string, editedAt?: string,
 *   deleted?: boolean, replyTo?: string, reactions?: Array<{emoji: string, count: number, userIds: string[]}>}} Message
 * @typedef {{conversationId: string, type: string, title: string | null, memberIds: string[],
 *   createdAt: string, lastSeq: number, lastActivityAt?: string, lastMessage?: Message | null,
 *   unreadCount: number, lastReadSeq: number}} Conversation
 */

/** @param {Content | null | undefined} content @param {boolean | undefined} deleted */
export function preview(content, deleted) {
  if (deleted || !content) return 'Message deleted';
  if (content.kind === 'text') return content.text ?? '';
  return `${content.kind === 'image' ? 'Photo' : 'File'}: ${content.name ?? ''}`;
}

export class ConversationStore extends EventTarget {
  /**
   * @param {import('./socket.js').ChatSocket} socket
   * @param {string} me
   */
  constructor(socket, me) {
    super();
    this.socket = socket;
    this.me = me;
    /** @type {Map<string, Conversation>} */
    this.items = new Map();
    this.loaded = false;
    /** @type {string | null} the conversation on screen while the page is visible */
    this.viewing = null;
    /** @type {Promise<void> | null} */
    this.loading = null;
    /** @type {Message[] | null} messages received while the list is being read */
    this.arrivedWhileLoading = null;
    /** @type {Array<[string, EventListener]>} */
    this.subscriptions = [
      ['message', e => this.onMessage(/** @type {CustomEvent} */ (e).detail.message)],
      ['ack', e => this.onAck(/** @type {CustomEvent} */ (e).detail)],
      ['updated', e => this.onUpdated(/** @type {CustomEvent} */ (e).detail.message)],
      ['read', e => this.onRead(/** @type {CustomEvent} */ (e).detail)],
      ['conversation', e => this.onConversation(/** @type {CustomEvent} */ (e).detail.conversation)],
      ['reconnected', () => { this.load().catch(() => {}); }],
    ];
    for (const [type, listener] of this.subscriptions) socket.addEventListener(type, listener);
  }

  dispose() {
    for (const [type, listener] of this.subscriptions) this.socket.removeEventListener(type, listener);
  }

  /**
   * Reads the list again; concurrent callers share one request. Messages that arrive while it is
   * being read are applied again to the list it returns, which may have been read before them.
   */
  load() {
    this.loading ??= (async () => {
      /** @type {Message[]} */
      const arrived = [];
      this.arrivedWhileLoading = arrived;
      try {
        const page = await api.get('/chat?limit=100');
        const fresh = new Map();
        for (const item of page.items) fresh.set(item.conversationId, item);
        this.items = fresh;
        this.arrivedWhileLoading = null;
        for (const message of arrived) this.apply(message, { mayLoad: false });
        this.loaded = true;
        this.changed();
        await this.resolveNames([...fresh.values()]);
      } finally {
        this.loading = null;
        this.arrivedWhileLoading = null;
      }
    })();
    return this.loading;
  }

  /** @returns {Conversation[]} most recent activity first */
  sorted() {
    return [...this.items.values()].sort((a, b) => activity(b) - activity(a));
  }

  /** @param {string} id */
  get(id) {
    return this.items.get(id) ?? null;
  }

  get totalUnread() {
    let total = 0;
    for (const item of this.items.values()) total += item.unreadCount;
    return total;
  }

  /** @param {Conversation} conversation the name to show: a group's title, or the other person's name */
  titleOf(conversation) {
    if (conversation.type === 'group') return conversation.title ?? 'Group';
    const other = conversation.memberIds.find(id => id !== this.me) ?? this.me;
    return users.nameOf(other);
  }

  /**
   * Opens (or finds) the direct conversation with a user.
   * @param {string} userId
   * @returns {Promise<string>} its id
   */
  async openDirect(userId) {
    const conversation = await api.post('/chat', { type: 'direct', userId });
    if (!this.items.has(conversation.conversationId)) {
      this.items.set(conversation.conversationId, { ...conversation, unreadCount: 0, lastReadSeq: 0, lastMessage: null });
      this.changed();
    }
    return conversation.conversationId;
  }

  /**
   * The user has read the conversation up to seq (they are looking at it).
   * @param {string} conversationId
   * @param {number} seq
   */
  markRead(conversationId, seq) {
    const item = this.items.get(conversationId);
    if (item && seq <= item.lastReadSeq) return;
    if (item) {
      item.lastReadSeq = seq;
      item.unreadCount = Math.max(0, item.lastSeq - seq);
      this.changed();
    }
    if (!this.socket.read(conversationId, seq)) {
      api.post(`/chat/${encodeURIComponent(conversationId)}/read`, { seq }).catch(() => {});
    }
  }

  /** @param {Message} message */
  onMessage(message) {
    this.apply(message, { mayLoad: true });
  }

  /**
   * @param {Message} message
   * @param {{mayLoad: boolean}} options whether a message of an unknown conversation may read the list
   */
  apply(message, { mayLoad }) {
    const item = this.items.get(message.conversationId);
    // A conversation someone else just started with this user: read the list (this message is applied to it).
    if (!item && mayLoad) this.load().catch(() => {});
    this.arrivedWhileLoading?.push(message);
    if (!item) return;
    if (message.seq <= item.lastSeq && item.lastMessage && item.lastMessage.seq >= message.seq) return;
    item.lastSeq = Math.max(item.lastSeq, message.seq);
    item.lastMessage = message;
    item.lastActivityAt = message.sentAt;
    if (message.senderId === this.me) {
      item.lastReadSeq = Math.max(item.lastReadSeq, message.seq);
    }
    item.unreadCount = Math.max(0, item.lastSeq - item.lastReadSeq);
    this.changed();
  }

  /** @param {{conversationId: string, messageId: string, seq: number, sentAt: string, clientMessageId: string, content?: Content}} ack */
  onAck(ack) {
    const item = this.items.get(ack.conversationId);
    if (!item) return;
    this.onMessage({
      messageId: ack.messageId, conversationId: ack.conversationId, seq: ack.seq, senderId: this.me,
      clientMessageId: ack.clientMessageId, content: ack.content ?? null, sentAt: ack.sentAt,
    });
  }

  /** @param {Message} message */
  onUpdated(message) {
    const item = this.items.get(message.conversationId);
    if (item?.lastMessage?.seq === message.seq) {
      item.lastMessage = message;
      this.changed();
    }
  }

  /** @param {{conversationId: string, userId: string, seq: number}} frame */
  onRead(frame) {
    if (frame.userId !== this.me) return;
    const item = this.items.get(frame.conversationId);
    if (!item || frame.seq <= item.lastReadSeq) return;
    item.lastReadSeq = frame.seq;
    item.unreadCount = Math.max(0, item.lastSeq - frame.seq);
    this.changed();
  }

  /** @param {Conversation} conversation */
  onConversation(conversation) {
    if (!conversation.memberIds.includes(this.me)) {
      this.items.delete(conversation.conversationId);
      this.changed();
      return;
    }
    const item = this.items.get(conversation.conversationId);
    if (item) {
      Object.assign(item, { title: conversation.title, memberIds: conversation.memberIds, lastSeq: Math.max(item.lastSeq, conversation.lastSeq) });
    } else {
      this.items.set(conversation.conversationId, { ...conversation, unreadCount: conversation.lastSeq, lastReadSeq: 0, lastMessage: null });
    }
    this.changed();
    this.resolveNames([conversation]).catch(() => {});
  }

  /** @param {Conversation[]} conversations asks for the members of direct conversations with people not met yet */
  async resolveNames(conversations) {
    const unknown = conversations.filter(c => c.type === 'direct' && c.memberIds.some(id => id !== this.me && !users.isKnown(id)));
    if (unknown.length === 0) return;
    await Promise.allSettled(unknown.map(c => users.membersOf(c.conversationId)));
    this.changed();
  }

  changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}

/** @param {Conversation} conversation */
function activity(conversation) {
  return Date.parse(conversation.lastMessage?.sentAt ?? conversation.lastActivityAt ?? conversation.createdAt);
}
