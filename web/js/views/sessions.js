// @ts-check
// The devices signed in to the account, with "log out" for each other device and for all of them.
import * as api from '../api.js';
import { h, replace, timeElement, announce } from '../dom.js';

/**
 * @typedef {{id: string, createdAt: string, lastSeenAt: string, userAgent: string | null, ip: string | null, current: boolean}} Session
 */

/** @param {string | null} userAgent a short, readable device name */
export function deviceName(userAgent) {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent) ? 'Edge'
    : /Firefox\//.test(userAgent) ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome'
        : /Safari\//.test(userAgent) ? 'Safari'
          : null;
  const system = /Android/.test(userAgent) ? 'Android'
    : /iPhone|iPad/.test(userAgent) ? 'iOS'
      : /Windows/.test(userAgent) ? 'Windows'
        : /Mac OS X/.test(userAgent) ? 'macOS'
          : /Linux/.test(userAgent) ? 'Linux'
            : null;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? userAgent.slice(0, 60);
}

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').Context} _context
 */
export function render(main, _params, _context) {
  const list = h('ul', { class: 'sessions', 'aria-labelledby': 'sessions-heading' });
  const status = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const logOutOthers = h('button', { type: 'button', class: 'danger', hidden: true }, 'Log out all other devices');
  main.append(h('div', { class: 'page' },
    h('h1', { id: 'sessions-heading' }, 'Devices'),
    h('p', {}, 'Where your account is signed in. Log out a device you do not recognise.'),
    status, list, logOutOthers));

  /** @type {Session[]} */
  let sessions = [];

  /** @param {unknown} error */
  const fail = error => {
    status.textContent = error instanceof Error ? error.message : String(error);
    status.hidden = false;
  };

  async function load() {
    try {
      sessions = (await api.get('/sessions')).items;
    } catch (error) {
      fail(error);
      return;
    }
    replace(list, sessions.map(s => h('li', { class: `session${s.current ? ' current' : ''}` },
      h('span', { class: 'session-text' },
        h('span', { class: 'session-name' }, deviceName(s.userAgent), s.current ? h('strong', { class: 'this-device' }, ' (this device)') : null),
        h('span', { class: 'session-detail' }, s.ip ? `${s.ip} · ` : '', 'last active ', timeElement(s.lastSeenAt), ' · signed in ', timeElement(s.createdAt))),
      s.current ? null : h('button', {
        type: 'button', 'aria-label': `Log out ${deviceName(s.userAgent)}, last active ${new Date(s.lastSeenAt).toLocaleString()}`,
        onclick: () => end([s.id]),
      }, 'Log out'))));
    logOutOthers.hidden = !sessions.some(s => !s.current);
  }

  /** @param {string[]} ids */
  async function end(ids) {
    status.hidden = true;
    try {
      // One by one: POST /logout {allSessions} would end this device's session too.
      for (const id of ids) await api.del(`/sessions/${encodeURIComponent(id)}`);
      announce(ids.length === 1 ? 'The device was logged out.' : `${ids.length} devices were logged out.`);
    } catch (error) {
      fail(error);
    }
    await load();
  }

  logOutOthers.addEventListener('click', () => {
    const others = sessions.filter(s => !s.current).map(s => s.id);
    if (others.length > 0 && window.confirm(`Log out ${others.length} other device${others.length === 1 ? '' : 's'}?`)) end(others);
  });
  load();
}
