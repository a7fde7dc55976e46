// @ts-check
// Names for user ids. Messages and conversations carry ids only; names come from the friend list,
// friend requests, search results and conversation member lists as the client meets them.
import * as api from './api.js';

/** @type {Map<string, {username: string, displayName?: string}>} */
const known = new Map();

/**
 * @param {string} userId
 * @param {string | null | undefined} username
 * @param {string | null | undefined} [displayName]
 */
export function remember(userId, username, displayName) {
  if (!username) return;
  const previous = known.get(userId);
  known.set(userId, { username, displayName: displayName ?? previous?.displayName });
}

/** @param {string} userId */
export function isKnown(userId) {
  return known.has(userId);
}

/** @param {string} userId the display name, else the username, else a neutral placeholder */
export function nameOf(userId) {
  const user = known.get(userId);
  return user?.displayName || user?.username || 'Unknown user';
}

/** @param {string} userId */
export function usernameOf(userId) {
  return known.get(userId)?.username ?? null;
}

/**
 * The user's friends (and remembers their names).
 * @param {string} userId
 * @returns {Promise<Array<{userId: string, username: string, displayName: string, since: string}>>}
 */
export async function friendsOf(userId) {
  const page = await api.get(`/friends/${encodeURIComponent(userId)}?limit=100`);
  for (const friend of page.items) remember(friend.userId, friend.username, friend.displayName);
  return page.items;
}

/**
 * A conversation's members with their read positions (and remembers their names).
 * @param {string} conversationId
 * @returns {Promise<Array<{userId: string, username: string | null, role: string, lastReadSeq: number}>>}
 */
export async function membersOf(conversationId) {
  const list = await api.get(`/chat/${encodeURIComponent(conversationId)}/members`);
  for (const member of list.items) remember(member.userId, member.username);
  return list.items;
}
