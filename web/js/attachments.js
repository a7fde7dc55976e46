// @ts-check
// Attachments (docs/decisions/0060 and 0061): uploads with progress, and the signed links that
// let an <img> or a plain link load a file without an Authorization header. Links belong to this
// user and expire, so they are asked for in batches and kept until shortly before they expire.
import * as session from './session.js';
import { ApiError, post } from './api.js';

/**
 * @typedef {{attachmentId: string, url: string, thumbnailUrl?: string | null, expiresAt: string}} Link
 * @typedef {Link & {kind: 'image' | 'file', name: string, size: number, mimeType: string, width?: number, height?: number}} Upload
 */

// Ask again this long before a link expires, so a page left open keeps working.
const renewBeforeMs = 2 * 60_000;
const maxLinksPerRequest = 100;

/** @type {Map<string, Link>} */
const links = new Map();
/** @type {Map<string, {promise: Promise<Link | null>, resolve: (link: Link | null) => void}>} */
const waiting = new Map();
let batchScheduled = false;

/** @param {string} attachmentId @returns {Link | null} a link that is good for a while yet */
export function cachedLink(attachmentId) {
  const link = links.get(attachmentId);
  return link && Date.parse(link.expiresAt) - Date.now() > renewBeforeMs ? link : null;
}

/** @param {Link} link one the server gave (an upload's answer carries one) */
export function remember(link) {
  links.set(link.attachmentId, link);
}

/**
 * The signed link of an attachment; null when this user may not read it (any more).
 * Links asked for in the same moment go to the server in one request.
 * @param {string} attachmentId
 * @returns {Promise<Link | null>}
 */
export function linkFor(attachmentId) {
  const hit = cachedLink(attachmentId);
  if (hit) return Promise.resolve(hit);
  let entry = waiting.get(attachmentId);
  if (!entry) {
    /** @type {(link: Link | null) => void} */
    let resolve = () => {};
    const promise = /** @type {Promise<Link | null>} */ (new Promise(r => { resolve = r; }));
    entry = { promise, resolve };
    waiting.set(attachmentId, entry);
  }
  if (!batchScheduled) {
    batchScheduled = true;
    queueMicrotask(fetchBatch);
  }
  return entry.promise;
}

async function fetchBatch() {
  batchScheduled = false;
  const batch = [...waiting.entries()].slice(0, maxLinksPerRequest);
  for (const [id] of batch) waiting.delete(id);
  if (waiting.size > 0) {
    batchScheduled = true;
    queueMicrotask(fetchBatch);
  }
  try {
    const answer = await post('/chat/attachments/links', { attachmentIds: batch.map(([id]) => id) });
    for (const link of answer.items) remember(link);
  } catch {
    // Shown as unavailable; the next render asks again.
  }
  for (const [id, entry] of batch) entry.resolve(links.get(id) ?? null);
}

/**
 * Uploads a file as a form would (multipart/form-data), reporting progress. XMLHttpRequest,
 * because fetch() cannot report how much of a request body has gone out.
 * @param {File} file
 * @param {(fraction: number) => void} onProgress
 * @returns {{done: Promise<Upload>, abort: () => void}}
 */
export function upload(file, onProgress) {
  /** @type {XMLHttpRequest | null} */
  let current = null;
  let aborted = false;
  const attempt = (/** @type {string} */ token) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    current = xhr;
    xhr.open('POST', '/chat/attachments');
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', event => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => resolve(xhr));
    xhr.addEventListener('error', () => reject(new ApiError(0, 'The server cannot be reached. Check the connection and try again.')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'The upload was cancelled.')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });

  const done = (async () => {
    let token = await session.accessToken();
    if (!token) throw new ApiError(401, 'Please log in.');
    /** @type {XMLHttpRequest} */
    let xhr = await attempt(token);
    if (xhr.status === 401 && !aborted) {
      token = await session.accessToken({ force: true });
      if (!token) throw new ApiError(401, 'Please log in.');
      xhr = await attempt(token);
    }
    if (xhr.status !== 201) throw problemOf(xhr);
    /** @type {Upload} */
    const uploaded = xhr.response;
    remember(uploaded);
    return uploaded;
  })();
  return {
    done,
    abort: () => {
      aborted = true;
      current?.abort();
    },
  };
}

/** @param {XMLHttpRequest} xhr */
function problemOf(xhr) {
  const problem = xhr.response ?? {};
  const fieldMessages = Object.values(problem.errors ?? {}).flat();
  let message = problem.detail ?? (fieldMessages.length > 0 ? fieldMessages.join(' ') : null) ?? problem.title
    ?? `The upload failed (${xhr.status}).`;
  const wait = xhr.getResponseHeader('Retry-After');
  if (xhr.status === 429 && wait) message = `${message} Try again in ${wait} s.`;
  return new ApiError(xhr.status, message, problem.errors ?? {});
}

/** @param {number} bytes a size as people read it: 532 bytes, 14 KB, 3.2 MB */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
