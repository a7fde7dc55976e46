// @ts-check
// The chat WebSocket (DESIGN §4). Reconnects with backoff and resumes exactly: for every
// conversation it knows the highest seq up to which it has seen every message, and after each
// (re)connect asks the server for what came after it (`sync`). Sends stay in an outbox until
// their `ack`; the server keeps clientMessageId idempotent, so resending after a reconnect never
// makes a duplicate. Frames are dispatched as events named by their type.
import * as session from './session.js';

const backoffMs = [500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000];
const pingEveryMs = 25_000;
const pongWithinMs = 10_000;
// A hole in the seqs (a frame overtaken by a later one) gets this long to fill itself before a sync.
const gapGraceMs = 1_500;
const retryableErrors = new Set(['unavailable', 'rate_limited']);
const syncRequestPrefix = 'sync:';

/** @typedef {{contiguous: number, ahead: Set<number>, gapTimer: number | undefined, syncing: boolean}} SeqTracker */

/** @returns {string} */
export function newClientMessageId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

export class ChatSocket extends EventTarget {
  constructor() {
    super();
    /** @type {'offline' | 'connecting' | 'online'} */
    this.status = 'offline';
    /** @type {WebSocket | null} */
    this.ws = null;
    this.running = false;
    this.attempt = 0;
    this.forceRefresh = false;
    this.everOpened = false;
    /** @type {Map<string, SeqTracker>} */
    this.trackers = new Map();
    /** @type {Map<string, object>} sends not yet acknowledged, by clientMessageId */
    this.outbox = new Map();
    /** @type {string | null} */
    this.focused = null;
    /** @type {number | undefined} */
    this.reconnectTimer = undefined;
    /** @type {number | undefined} */
    this.pingTimer = undefined;
    /** @type {number | undefined} */
    this.pongTimer = undefined;
    this.onOnline = () => { if (this.running && this.status === 'offline') this.connectNow(); };
  }

  start() {
    if (this.running) return;
    this.running = true;
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.running = false;
    window.removeEventListener('online', this.onOnline);
    window.clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    for (const tracker of this.trackers.values()) window.clearTimeout(tracker.gapTimer);
    this.trackers.clear();
    this.outbox.clear();
    this.ws?.close(1000, 'signed out');
    this.ws = null;
    this.setStatus('offline');
  }

  /**
   * What the client already has of a conversation (from the HTTP API): everything up to `seq`.
   * @param {string} conversationId
   * @param {number} seq
   */
  known(conversationId, seq) {
    const tracker = this.tracker(conversationId, seq);
    if (seq > tracker.contiguous) {
      tracker.contiguous = seq;
      this.absorb(tracker);
    }
  }

  /**
   * @param {string} conversationId
   * @param {string} text
   * @returns {string} the clientMessageId that the ack (or error) will carry
   */
  sendText(conversationId, text) {
    return this.send(conversationId, { kind: 'text', text });
  }

  /**
   * @param {string} conversationId
   * @param {import('./conversations.js').Content} content text, or an uploaded attachment by its attachmentId
   * @param {string} [clientMessageId] one chosen earlier (an attachment's, shown while it uploaded)
   * @returns {string} the clientMessageId that the ack (or error) will carry
   */
  send(conversationId, content, clientMessageId = newClientMessageId()) {
    const frame = { type: 'send', clientMessageId, conversationId, content };
    this.outbox.set(clientMessageId, frame);
    this.sendFrame(frame);
    return clientMessageId;
  }

  /** @param {string} clientMessageId sends a failed message again, under the same id */
  resend(clientMessageId) {
    const frame = this.outbox.get(clientMessageId);
    if (frame) this.sendFrame(frame);
  }

  /** @param {string} conversationId */
  typing(conversationId) {
    this.sendFrame({ type: 'typing', conversationId });
  }

  /**
   * @param {string} conversationId
   * @param {number} seq
   * @returns {boolean} whether the frame went out (if not, use the HTTP route)
   */
  read(conversationId, seq) {
    return this.sendFrame({ type: 'read', conversationId, seq });
  }

  /**
   * @param {string} type edit, delete, react or unreact
   * @param {object} fields conversationId, messageId and the frame's own fields
   */
  act(type, fields) {
    return this.sendFrame({ type, ...fields });
  }

  /**
   * The conversation the user is looking at (null: none). The server holds back notifications
   * for it.
   * @param {string | null} conversationId
   */
  focus(conversationId) {
    if (conversationId === this.focused) return;
    if (this.focused) this.sendFrame({ type: 'blur', conversationId: this.focused });
    this.focused = conversationId;
    if (conversationId) this.sendFrame({ type: 'focus', conversationId });
  }

  /** @param {object} frame @returns {boolean} */
  sendFrame(frame) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  connectNow() {
    window.clearTimeout(this.reconnectTimer);
    this.attempt = 0;
    this.connect();
  }

  async connect() {
    if (!this.running) return;
    this.setStatus('connecting');
    let token;
    try {
      token = await session.accessToken({ force: this.forceRefresh });
    } catch {
      this.scheduleReconnect();
      return;
    }
    if (!this.running) return;
    if (!token) {
      this.stop();
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/chat?access_token=${encodeURIComponent(token)}`);
    this.ws = ws;
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      this.forceRefresh = false;
      this.attempt = 0;
      this.setStatus('online');
      this.startHeartbeat();
      this.resume();
      if (this.everOpened) this.dispatchEvent(new CustomEvent('reconnected'));
      this.everOpened = true;
    });
    ws.addEventListener('message', event => this.receive(event.data));
    ws.addEventListener('close', event => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      for (const tracker of this.trackers.values()) tracker.syncing = false;
      if (!this.running) return;
      if (event.code === 1008) {
        // The session was revoked (logged out elsewhere, or from the sessions page of another device).
        session.clear('This device was logged out.');
        return;
      }
      // A socket refused before opening is most often an expired token: refresh it first.
      if (!opened) this.forceRefresh = true;
      this.setStatus('offline');
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    const base = backoffMs[Math.min(this.attempt, backoffMs.length - 1)];
    this.attempt += 1;
    const delay = base / 2 + Math.random() * base / 2;
    window.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = window.setTimeout(() => this.connect(), delay);
  }

  /** After every (re)connect: ask for what was missed, resend what is unacknowledged, refocus. */
  resume() {
    for (const [conversationId, tracker] of this.trackers) this.sync(conversationId, tracker);
    for (const frame of this.outbox.values()) this.sendFrame(frame);
    if (this.focused) this.sendFrame({ type: 'focus', conversationId: this.focused });
  }

  /** @param {string} conversationId @param {SeqTracker} tracker */
  sync(conversationId, tracker) {
    if (tracker.syncing) return;
    tracker.syncing = this.sendFrame({ type: 'sync', conversationId, afterSeq: tracker.contiguous, requestId: syncRequestPrefix + conversationId });
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.pingTimer = window.setInterval(() => {
      if (!this.sendFrame({ type: 'ping' })) return;
      window.clearTimeout(this.pongTimer);
      // No answer at all: the connection is dead without the browser noticing. Start over.
      this.pongTimer = window.setTimeout(() => this.ws?.close(4000, 'no pong'), pongWithinMs);
    }, pingEveryMs);
  }

  stopHeartbeat() {
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.pongTimer);
  }

  /** @param {string} data */
  receive(data) {
    // Anything from the server proves the connection alive.
    window.clearTimeout(this.pongTimer);
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    switch (frame.type) {
      case 'message':
        this.observe(frame.message.conversationId, frame.message.seq);
        break;
      case 'ack':
        // The ack names the message but not its content; views and the list want both.
        frame.content = /** @type {any} */ (this.outbox.get(frame.clientMessageId))?.content;
        this.outbox.delete(frame.clientMessageId);
        this.observe(frame.conversationId, frame.seq);
        break;
      case 'synced': {
        const tracker = this.tracker(frame.conversationId, frame.afterSeq);
        tracker.syncing = false;
        if (frame.hasMore) this.sync(frame.conversationId, tracker);
        break;
      }
      case 'error':
        if (frame.requestId?.startsWith(syncRequestPrefix) && retryableErrors.has(frame.code)) {
          // A sync refused for now (many conversations resumed at once): ask again shortly.
          const conversationId = frame.requestId.slice(syncRequestPrefix.length);
          const tracker = this.trackers.get(conversationId);
          if (tracker) {
            tracker.syncing = false;
            window.setTimeout(() => this.sync(conversationId, tracker), 2_000);
          }
        }
        if (frame.clientMessageId && this.outbox.has(frame.clientMessageId)) {
          if (retryableErrors.has(frame.code)) {
            frame.retrying = true;
            const id = frame.clientMessageId;
            window.setTimeout(() => this.resend(id), 2_000);
          } else {
            this.outbox.delete(frame.clientMessageId);
          }
        }
        break;
      case 'pong':
        return;
      default:
        break;
    }
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
  }

  /**
   * @param {string} conversationId
   * @param {number} seq
   */
  observe(conversationId, seq) {
    // A conversation met for the first time: its earlier history comes over HTTP when it is opened.
    const tracker = this.tracker(conversationId, seq - 1);
    if (seq <= tracker.contiguous) return;
    if (seq === tracker.contiguous + 1) {
      tracker.contiguous = seq;
      this.absorb(tracker);
      return;
    }
    tracker.ahead.add(seq);
    if (tracker.gapTimer === undefined) {
      tracker.gapTimer = window.setTimeout(() => {
        tracker.gapTimer = undefined;
        if (tracker.ahead.size > 0) this.sync(conversationId, tracker);
      }, gapGraceMs);
    }
  }

  /** @param {SeqTracker} tracker */
  absorb(tracker) {
    while (tracker.ahead.delete(tracker.contiguous + 1)) tracker.contiguous += 1;
    for (const seq of tracker.ahead) if (seq <= tracker.contiguous) tracker.ahead.delete(seq);
    if (tracker.ahead.size === 0) {
      window.clearTimeout(tracker.gapTimer);
      tracker.gapTimer = undefined;
    }
  }

  /**
   * @param {string} conversationId
   * @param {number} initialSeq where a new tracker starts
   * @returns {SeqTracker}
   */
  tracker(conversationId, initialSeq) {
    let tracker = this.trackers.get(conversationId);
    if (!tracker) {
      tracker = { contiguous: Math.max(0, initialSeq), ahead: new Set(), gapTimer: undefined, syncing: false };
      this.trackers.set(conversationId, tracker);
    }
    return tracker;
  }

  /** @param {'offline' | 'connecting' | 'online'} status */
  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }
}
