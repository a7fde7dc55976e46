// @ts-check
// The conversation list and the chat view. Wide windows show both side by side; narrow ones
// (phones, ≤ 700 px) show the list at #/chats and the chat alone at #/chats/<id>.
import * as api from '../api.js';
import * as users from '../users.js';
import * as attachments from '../attachments.js';
import { newClientMessageId } from '../socket.js';
import { h, replace, avatar, timeElement, announce } from '../dom.js';
import { preview } from '../conversations.js';

const historyPageSize = 30;
const typingSendEveryMs = 3_000;
const typingShownForMs = 6_000;
// "At the bottom" with some slack, so a new message keeps the view pinned to the newest.
const bottomSlackPx = 80;
// Pictures in the conversation are shown at most this large (CSS pixels); the full one opens in a new tab.
const inlineImageMaxPx = 240;

/**
 * @typedef {import('../conversations.js').Message} Message
 * @typedef {import('../app.js').Context} Context
 * @typedef {{clientMessageId: string, text: string, failed: string | null,
 *   upload?: {progress: number, abort: () => void} | null}} Pending a message on its way; an attachment first uploads
 */

/**
 * @param {HTMLElement} main
 * @param {string[]} params [conversationId]
 * @param {Context} context
 */
export function render(main, params, context) {
  const openId = params[0] ?? null;
  const list = h('ul', { class: 'conversation-list' });
  const listPane = h('section', { class: 'list-pane', 'aria-labelledby': 'chats-heading' },
    h('h1', { id: 'chats-heading' }, 'Chats'),
    list,
  );
  const chatPane = h('section', { class: 'chat-pane' });
  const layout = h('div', { class: 'chats', 'data-open': String(openId !== null) }, listPane, chatPane);
  main.append(layout);

  const renderList = () => renderConversationList(list, context, openId);
  context.conversations.addEventListener('change', renderList);
  renderList();

  /** @type {(() => void) | null} */
  let closeChat = null;
  if (openId) {
    closeChat = openChat(chatPane, openId, context);
  } else {
    chatPane.append(h('p', { class: 'placeholder' }, 'Choose a conversation, or start one from your friends list.'));
  }

  return () => {
    context.conversations.removeEventListener('change', renderList);
    closeChat?.();
  };
}

/**
 * @param {HTMLUListElement} list
 * @param {Context} context
 * @param {string | null} openId
 */
function renderConversationList(list, context, openId) {
  const store = context.conversations;
  if (!store.loaded) {
    replace(list, h('li', { class: 'empty' }, 'Loading conversations…'));
    return;
  }
  const items = store.sorted();
  if (items.length === 0) {
    replace(list, h('li', { class: 'empty' }, 'No conversations yet. ', h('a', { href: '#/friends' }, 'Message a friend'), ' to start one.'));
    return;
  }
  replace(list, items.map(conversation => {
    const title = store.titleOf(conversation);
    const last = conversation.lastMessage;
    const unread = conversation.unreadCount;
    const lastText = last ? `${last.senderId === context.me.userId ? 'You: ' : ''}${preview(last.content, last.deleted)}` : 'No messages yet';
    return h('li', {},
      h('a', {
        href: `#/chats/${conversation.conversationId}`,
        class: 'conversation',
        'aria-current': conversation.conversationId === openId ? 'page' : null,
        'data-unread': String(unread > 0),
      },
      avatar(title),
      h('span', { class: 'conversation-text' },
        h('span', { class: 'conversation-title' }, title),
        h('span', { class: 'conversation-preview' }, lastText)),
      h('span', { class: 'conversation-meta' },
        last ? timeElement(last.sentAt) : null,
        unread > 0 ? h('span', { class: 'count', 'aria-label': `${unread} unread` }, String(unread)) : null)));
  }));
}

/**
 * The chat view of one conversation.
 * @param {HTMLElement} pane
 * @param {string} conversationId
 * @param {Context} context
 * @returns {() => void} closes it
 */
function openChat(pane, conversationId, context) {
  const { socket, conversations, me } = context;
  /** @type {Map<number, Message>} delivered messages by seq */
  const messages = new Map();
  /** @type {Map<string, Pending>} sent by this tab, not yet acknowledged, in send order */
  const pending = new Map();
  /** @type {Map<string, number>} the others' read positions */
  const readBy = new Map();
  /** @type {Map<string, number>} who is typing, until when */
  const typing = new Map();
  /** @type {Map<string, HTMLLIElement>} rendered messages by key */
  const rendered = new Map();
  /** @type {string | null} the older page's cursor; null when the beginning is on screen */
  let olderCursor = null;
  let loadingOlder = false;
  let lastTypingSent = 0;
  /** @type {Message | null} the message being edited in the composer */
  let editing = null;
  let closed = false;

  const titleText = h('span', {}, 'Conversation');
  const title = h('h2', { id: 'chat-title' }, titleText);
  const typingLine = h('p', { class: 'typing', 'aria-live': 'polite' });
  const olderButton = h('button', { type: 'button', class: 'load-older', hidden: true, onclick: () => loadOlder() }, 'Load earlier messages');
  const beginning = h('p', { class: 'beginning', hidden: true }, 'This is the beginning of the conversation.');
  const messageList = h('ol', { class: 'message-list' });
  const log = h('div', {
    class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-labelledby': 'chat-title', tabindex: '0',
  }, olderButton, beginning, messageList);
  const textarea = h('textarea', {
    id: 'composer-text', name: 'text', rows: '1', maxlength: '4000', autocomplete: 'off', placeholder: 'Write a message',
  });
  const editNote = h('p', { class: 'edit-note', hidden: true },
    'Editing a message. ', h('button', { type: 'button', class: 'link-button', onclick: () => stopEditing() }, 'Cancel edit'));
  const sendButton = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const fileInput = h('input', { type: 'file', id: 'composer-file', class: 'visually-hidden', multiple: true });
  const composer = h('form', { class: 'composer', 'aria-label': 'Write a message' },
    editNote,
    fileInput,
    h('label', { for: 'composer-file', class: 'attach', title: 'Attach a picture or file' },
      paperclip(), h('span', { class: 'visually-hidden' }, 'Attach a picture or file')),
    h('label', { for: 'composer-text', class: 'visually-hidden' }, 'Message'),
    textarea,
    sendButton);

  replace(pane,
    h('header', { class: 'chat-header' },
      h('a', { href: '#/chats', class: 'back' }, h('span', { 'aria-hidden': 'true' }, '← '), 'All chats'),
      title,
      typingLine),
    log,
    composer);
  pane.setAttribute('aria-labelledby', 'chat-title');
  textarea.focus({ preventScroll: true });

  const conversation = () => conversations.get(conversationId);
  const isDirect = () => conversation()?.type === 'direct';
  const isVisible = () => document.visibilityState === 'visible';
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < bottomSlackPx;
  const scrollToBottom = () => { log.scrollTop = log.scrollHeight; };
  const newestSeq = () => Math.max(0, ...messages.keys());

  function showTitle() {
    const item = conversation();
    titleText.textContent = item ? conversations.titleOf(item) : 'Conversation';
    document.title = `${titleText.textContent} – Messenger`;
  }

  /** Reads up to the newest message while the user is looking at it. */
  function markRead() {
    if (closed || !isVisible()) return;
    const newest = newestSeq();
    if (newest > 0) conversations.markRead(conversationId, newest);
  }

  function updateFocus() {
    socket.focus(!closed && isVisible() ? conversationId : null);
    if (isVisible()) markRead();
  }

  // ----- rendering -----

  /** @param {Message} message */
  function keyOf(message) {
    return `${message.senderId}:${message.clientMessageId}`;
  }

  function renderMessages() {
    const stickToBottom = nearBottom();
    const ordered = [...messages.values()].sort((a, b) => a.seq - b.seq);
    const lastMine = [...ordered].reverse().find(m => m.senderId === me.userId && !m.deleted);
    /** @type {Array<[string, HTMLLIElement]>} */
    const desired = [];
    for (const message of ordered) {
      desired.push([keyOf(message), messageItem(message, message === lastMine ? receipt(message) : null)]);
    }
    for (const item of pending.values()) {
      desired.push([`${me.userId}:${item.clientMessageId}`, pendingItem(item)]);
    }
    // Keep existing nodes where they are (a live region re-announces moved nodes); insert new ones in order.
    const keep = new Set(desired.map(([key]) => key));
    for (const [key, node] of rendered) {
      if (!keep.has(key)) {
        node.remove();
        rendered.delete(key);
      }
    }
    /** @type {Element | null} */
    let previous = null;
    for (const [key, fresh] of desired) {
      const existing = rendered.get(key);
      let node = fresh;
      if (existing) {
        if (existing.dataset.version !== fresh.dataset.version) {
          existing.replaceChildren(...fresh.childNodes);
          existing.className = fresh.className;
          existing.dataset.version = fresh.dataset.version;
          existing.dataset.seq = fresh.dataset.seq ?? '';
        }
        node = existing;
      } else {
        rendered.set(key, node);
      }
      /** @type {Element | null} */
      const expectedPosition = previous ? previous.nextElementSibling : messageList.firstElementChild;
      if (expectedPosition !== node) {
        if (previous) previous.after(node);
        else messageList.prepend(node);
      }
      previous = node;
    }
    showOlderControls();
    if (stickToBottom) scrollToBottom();
  }

  /**
   * @param {Message} message
   * @param {string | null} receiptText
   */
  function messageItem(message, receiptText) {
    const mine = message.senderId === me.userId;
    const sender = mine ? 'You' : users.nameOf(message.senderId);
    const body = message.deleted || !message.content
      ? h('p', { class: 'message-text deleted' }, 'Message deleted')
      : message.content.kind === 'text'
        ? h('p', { class: 'message-text' }, message.content.text ?? '')
        : message.content.attachmentId
          ? attachmentBody(message.content)
          : h('p', { class: 'message-text' }, h('a', { href: message.content.url ?? '#', rel: 'noopener noreferrer', target: '_blank' },
            `${message.content.kind === 'image' ? 'Photo' : 'File'}: ${message.content.name ?? 'attachment'}`));
    const reactions = (message.reactions ?? []).map(reaction => {
      const minePressed = reaction.userIds.includes(me.userId);
      return h('button', {
        type: 'button',
        class: 'reaction',
        'aria-pressed': String(minePressed),
        'aria-label': `${reaction.emoji} ${reaction.count}${minePressed ? ', including you' : ''}`,
        onclick: () => socket.act(minePressed ? 'unreact' : 'react', { conversationId, messageId: message.messageId, emoji: reaction.emoji }),
      }, `${reaction.emoji} ${reaction.count}`);
    });
    const actions = message.deleted ? [] : [
      (message.reactions ?? []).some(r => r.emoji === '👍') ? null : h('button', {
        type: 'button', class: 'action', 'aria-label': 'React with thumbs up',
        onclick: () => socket.act('react', { conversationId, messageId: message.messageId, emoji: '👍' }),
      }, '👍'),
      mine && message.content?.kind === 'text' ? h('button', { type: 'button', class: 'action', onclick: () => startEditing(message) }, 'Edit') : null,
      mine ? h('button', { type: 'button', class: 'action', onclick: () => deleteMessage(message) }, 'Delete') : null,
    ];
    const item = h('li', { class: `message${mine ? ' mine' : ''}`, 'data-seq': String(message.seq) },
      h('p', { class: 'message-meta' },
        h('span', { class: 'sender' }, sender), ' ', timeElement(message.sentAt),
        message.editedAt && !message.deleted ? h('span', { class: 'edited' }, ' (edited)') : null),
      body,
      reactions.length > 0 ? h('div', { class: 'reactions' }, reactions) : null,
      h('div', { class: 'message-actions' }, actions),
      receiptText ? h('p', { class: 'receipt' }, receiptText) : null);
    item.dataset.version = JSON.stringify([message.editedAt, message.deleted, message.reactions, receiptText, sender]);
    return item;
  }

  /**
   * A picture (its thumbnail, linking to the full picture) or a file to download, with its caption.
   * The links are signed for this user and fetched in batches; until one arrives the element waits without a source.
   * @param {import('../conversations.js').Content} content
   */
  function attachmentBody(content) {
    const id = /** @type {string} */ (content.attachmentId);
    const name = content.name ?? 'attachment';
    const caption = content.text ? h('p', { class: 'message-text' }, content.text) : null;
    const link = attachments.cachedLink(id);
    if (content.kind === 'image') {
      const scale = Math.min(1, inlineImageMaxPx / Math.max(content.width ?? inlineImageMaxPx, content.height ?? inlineImageMaxPx));
      const image = h('img', {
        alt: `Photo: ${name}`,
        width: content.width ? String(Math.round(content.width * scale)) : null,
        height: content.height ? String(Math.round(content.height * scale)) : null,
        src: link?.thumbnailUrl ?? null,
      });
      const anchor = h('a', { class: 'attachment-image', href: link?.url ?? null, target: '_blank', rel: 'noopener', title: 'Open the full picture' }, image);
      if (!link) {
        attachments.linkFor(id).then(fresh => {
          if (!fresh) return;
          if (fresh.thumbnailUrl) image.src = fresh.thumbnailUrl;
          anchor.href = fresh.url;
        });
      }
      return h('div', { class: 'attachment' }, anchor, caption);
    }
    const anchor = h('a', { class: 'attachment-file', href: link?.url ?? null, download: name },
      paperclip(), name,
      content.size !== undefined ? h('span', { class: 'attachment-size' }, ` (${attachments.formatSize(content.size)})`) : null);
    if (!link) {
      attachments.linkFor(id).then(fresh => { if (fresh) anchor.href = fresh.url; });
    }
    return h('div', { class: 'attachment' }, h('p', { class: 'message-text' }, anchor), caption);
  }

  /** @param {Pending} item */
  function pendingItem(item) {
    const dismiss = () => {
      item.upload?.abort();
      pending.delete(item.clientMessageId);
      renderMessages();
    };
    const status = item.failed
      ? h('p', { class: 'receipt' }, `Not sent: ${item.failed} `, h('button', { type: 'button', class: 'link-button', onclick: dismiss }, 'Dismiss'))
      : item.upload
        ? h('p', { class: 'receipt' },
          h('progress', { max: '100', value: String(Math.round(item.upload.progress * 100)), 'aria-label': `Uploading ${item.text}` }),
          ' ', h('button', { type: 'button', class: 'link-button', onclick: dismiss }, 'Cancel'))
        : h('p', { class: 'receipt' }, 'Sending…');
    const node = h('li', { class: `message mine pending${item.failed ? ' failed' : ''}` },
      h('p', { class: 'message-meta' }, h('span', { class: 'sender' }, 'You')),
      h('p', { class: 'message-text' }, item.upload ? [paperclip(), item.text] : item.text),
      status);
    node.dataset.version = `pending:${item.failed}:${item.upload ? Math.round(item.upload.progress * 100) : 'sent'}`;
    return node;
  }

  /** @param {Message} message my newest message: "Sent", "Seen" or "Seen by N" */
  function receipt(message) {
    const others = [...readBy.entries()].filter(([userId]) => userId !== me.userId);
    const seen = others.filter(([, seq]) => seq >= message.seq).length;
    if (seen === 0) return 'Sent';
    return isDirect() ? 'Seen' : `Seen by ${seen}`;
  }

  function renderTyping() {
    const now = Date.now();
    const names = [...typing.entries()].filter(([, until]) => until > now).map(([userId]) => users.nameOf(userId));
    typingLine.textContent = names.length === 0 ? ''
      : names.length === 1 ? `${names[0]} is typing…`
        : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
  }

  function showOlderControls() {
    olderButton.hidden = olderCursor === null;
    beginning.hidden = olderCursor !== null || messages.size === 0;
  }

  // ----- loading -----

  async function load() {
    try {
      if (!conversations.loaded) await conversations.load();
      const [page, members] = await Promise.all([
        api.get(`/chat/${encodeURIComponent(conversationId)}?limit=${historyPageSize}`),
        users.membersOf(conversationId).catch(() => []),
      ]);
      if (closed) return;
      for (const member of members) readBy.set(member.userId, member.lastReadSeq);
      for (const message of page.items) messages.set(message.seq, message);
      olderCursor = page.nextCursor;
      socket.known(conversationId, newestSeq());
      showTitle();
      showOlderControls();
      renderMessages();
      scrollToBottom();
      updateFocus();
    } catch (error) {
      if (closed) return;
      const text = error instanceof api.ApiError && error.status === 404 ? 'This conversation does not exist, or you are not in it.' : String(/** @type {Error} */ (error).message);
      replace(log, h('p', { class: 'form-error', role: 'alert' }, text));
      composer.hidden = true;
    }
  }

  async function loadOlder() {
    if (loadingOlder || olderCursor === null) return;
    loadingOlder = true;
    olderButton.disabled = true;
    log.setAttribute('aria-busy', 'true');
    const heightBefore = log.scrollHeight;
    const topBefore = log.scrollTop;
    try {
      const page = await api.get(`/chat/${encodeURIComponent(conversationId)}?limit=${historyPageSize}&before=${encodeURIComponent(olderCursor)}`);
      if (closed) return;
      for (const message of page.items) if (!messages.has(message.seq)) messages.set(message.seq, message);
      olderCursor = page.nextCursor;
      renderMessages();
      // Keep the message the user was reading where it was.
      log.scrollTop = topBefore + (log.scrollHeight - heightBefore);
      showOlderControls();
      announce(`${page.items.length} earlier messages loaded.`);
    } catch (error) {
      context.toast(String(/** @type {Error} */ (error).message));
    } finally {
      loadingOlder = false;
      olderButton.disabled = false;
      log.removeAttribute('aria-busy');
    }
  }

  // ----- sending and changing messages -----

  function send() {
    const text = textarea.value.trim();
    if (!text) return;
    if (editing) {
      socket.act('edit', { conversationId, messageId: editing.messageId, content: { kind: 'text', text } });
      stopEditing();
      return;
    }
    const clientMessageId = socket.sendText(conversationId, text);
    pending.set(clientMessageId, { clientMessageId, text, failed: null });
    textarea.value = '';
    lastTypingSent = 0;
    renderMessages();
    scrollToBottom();
  }

  /**
   * Uploads a file, then sends it as a picture (when the server could read it as one) or a file.
   * The message is shown as pending with the upload's progress from the start.
   * @param {File} file
   */
  function sendFile(file) {
    const clientMessageId = newClientMessageId();
    /** @type {Pending} */
    const item = { clientMessageId, text: file.name, failed: null, upload: null };
    const transfer = attachments.upload(file, fraction => {
      if (!item.upload) return;
      item.upload.progress = fraction;
      renderMessages();
    });
    item.upload = { progress: 0, abort: transfer.abort };
    pending.set(clientMessageId, item);
    renderMessages();
    scrollToBottom();
    transfer.done.then(uploaded => {
      if (closed || !pending.has(clientMessageId)) return;
      item.upload = null;
      item.text = uploaded.name;
      socket.send(conversationId, {
        kind: uploaded.kind, attachmentId: uploaded.attachmentId, name: uploaded.name, size: uploaded.size,
        mimeType: uploaded.mimeType, width: uploaded.width, height: uploaded.height,
      }, clientMessageId);
      renderMessages();
    }, error => {
      if (closed || !pending.has(clientMessageId)) return;
      item.upload = null;
      item.failed = String(/** @type {Error} */ (error).message);
      renderMessages();
    });
  }

  /** @param {Message} message */
  function startEditing(message) {
    editing = message;
    textarea.value = message.content?.text ?? '';
    editNote.hidden = false;
    sendButton.textContent = 'Save';
    textarea.focus();
  }

  function stopEditing() {
    editing = null;
    textarea.value = '';
    editNote.hidden = true;
    sendButton.textContent = 'Send';
    textarea.focus();
  }

  /** @param {Message} message */
  function deleteMessage(message) {
    if (window.confirm('Delete this message for everyone?')) {
      socket.act('delete', { conversationId, messageId: message.messageId });
    }
  }

  composer.addEventListener('submit', event => {
    event.preventDefault();
    send();
  });
  fileInput.addEventListener('change', () => {
    for (const file of fileInput.files ?? []) sendFile(file);
    fileInput.value = '';
    textarea.focus();
  });
  textarea.addEventListener('keydown', event => {
    // Enter sends; Shift+Enter starts a new line.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === 'Escape' && editing) {
      stopEditing();
    }
  });
  textarea.addEventListener('input', () => {
    const now = Date.now();
    if (!editing && textarea.value.trim() && now - lastTypingSent > typingSendEveryMs) {
      lastTypingSent = now;
      socket.typing(conversationId);
    }
  });
  log.addEventListener('scroll', () => {
    if (log.scrollTop < 40) loadOlder();
    if (nearBottom()) markRead();
  });

  // ----- live frames -----

  /** @type {Array<[EventTarget, string, EventListener]>} */
  const subscriptions = [
    [socket, 'message', event => {
      /** @type {Message} */
      const message = /** @type {CustomEvent} */ (event).detail.message;
      if (message.conversationId !== conversationId) return;
      const isNew = !messages.has(message.seq);
      messages.set(message.seq, message);
      typing.delete(message.senderId);
      renderTyping();
      renderMessages();
      if (isNew) markRead();
    }],
    [socket, 'ack', event => {
      const ack = /** @type {CustomEvent} */ (event).detail;
      if (ack.conversationId !== conversationId) return;
      const sent = pending.get(ack.clientMessageId);
      pending.delete(ack.clientMessageId);
      if (!messages.has(ack.seq)) {
        messages.set(ack.seq, {
          messageId: ack.messageId, conversationId, seq: ack.seq, senderId: me.userId, clientMessageId: ack.clientMessageId,
          content: ack.content ?? { kind: 'text', text: sent?.text ?? '' }, sentAt: ack.sentAt,
        });
      }
      renderMessages();
    }],
    [socket, 'updated', event => {
      const message = /** @type {CustomEvent} */ (event).detail.message;
      if (message.conversationId !== conversationId || !messages.has(message.seq)) return;
      messages.set(message.seq, message);
      renderMessages();
    }],
    [socket, 'error', event => {
      const error = /** @type {CustomEvent} */ (event).detail;
      const item = error.clientMessageId ? pending.get(error.clientMessageId) : null;
      if (item && !error.retrying) {
        item.failed = error.message;
        renderMessages();
      } else if (!item && !error.clientMessageId && error.code !== 'not_found') {
        context.toast(error.message);
      }
    }],
    [socket, 'typing', event => {
      const frame = /** @type {CustomEvent} */ (event).detail;
      if (frame.conversationId !== conversationId || frame.userId === me.userId) return;
      typing.set(frame.userId, Date.now() + typingShownForMs);
      renderTyping();
      window.setTimeout(renderTyping, typingShownForMs + 50);
    }],
    [socket, 'read', event => {
      const frame = /** @type {CustomEvent} */ (event).detail;
      if (frame.conversationId !== conversationId) return;
      readBy.set(frame.userId, Math.max(readBy.get(frame.userId) ?? 0, frame.seq));
      renderMessages();
    }],
    [conversations, 'change', () => showTitle()],
    [document, 'visibilitychange', () => updateFocus()],
  ];
  for (const [target, type, listener] of subscriptions) target.addEventListener(type, listener);

  showTitle();
  load();

  return () => {
    closed = true;
    socket.focus(null);
    document.title = 'Messenger';
    for (const [target, type, listener] of subscriptions) target.removeEventListener(type, listener);
  };
}

/** A paperclip drawn inline (an emoji may have no glyph on the reader's system). */
function paperclip() {
  const ns = 'http://www.w3.org/2000/svg';
  const icon = document.createElementNS(ns, 'svg');
  for (const [name, value] of [['viewBox', '0 0 24 24'], ['width', '20'], ['height', '20'], ['aria-hidden', 'true'], ['focusable', 'false'], ['class', 'icon']]) {
    icon.setAttribute(name, value);
  }
  const path = document.createElementNS(ns, 'path');
  for (const [name, value] of [['d', 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5'],
    ['fill', 'none'], ['stroke', 'currentColor'], ['stroke-width', '1.8'], ['stroke-linecap', 'round']]) {
    path.setAttribute(name, value);
  }
  icon.append(path);
  return icon;
}
