// @ts-check
// Small DOM helpers: every view builds its markup with h(), so text is always set as text
// (never parsed as HTML) and the strict Content-Security-Policy needs no inline code.

/**
 * @typedef {{[name: string]: string | number | boolean | null | undefined | EventListener}} Attributes
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * Creates an element. Attributes starting with "on" become event listeners; `true` sets a boolean
 * attribute, `false`/null/undefined leave it out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

/**
 * @param {Element} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/**
 * Replaces an element's children.
 * @param {Element} parent
 * @param {...(Child | Child[])} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * Tells screen-reader users something without moving their focus (a polite live region).
 * @param {string} text
 */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Clearing first makes a repeated sentence be read again.
  region.textContent = '';
  window.setTimeout(() => { region.textContent = text; }, 50);
}

let idCounter = 0;
/** @param {string} prefix */
export function uniqueId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** @param {string | Date} value a time of today as hh:mm, older ones with their date */
export function shortTime(value) {
  const date = new Date(value);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

/** @param {string | Date} value */
export function fullTime(value) {
  return dateTimeFormat.format(new Date(value));
}

/** @param {string | Date} value a <time> element showing the short form, with the exact time for tools */
export function timeElement(value) {
  const date = new Date(value);
  return h('time', { datetime: date.toISOString(), title: fullTime(date) }, shortTime(date));
}

/** @param {string} name up to two initials for an avatar */
export function initials(name) {
  const parts = name.trim().split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

/** @param {string} name an initials avatar (remote images are not loaded: the CSP keeps images same-origin) */
export function avatar(name) {
  let hue = 0;
  for (const c of name) hue = (hue * 31 + c.charCodeAt(0)) % 360;
  const element = h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name));
  element.style.setProperty('--avatar-hue', String(hue));
  return element;
}
