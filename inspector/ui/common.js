// What every view of the inspector UI shares: the API with the page's access token, building DOM nodes, the
// page's state, and how times are shown.

const token = new URLSearchParams(location.search).get('access_token');
export const withToken = (path) =>
  token === null ? path : `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
export const $ = (selector) => document.querySelector(selector);

export async function api(path, init) {
  const response = await fetch(withToken(path), init);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? response.statusText);
  return body;
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children)
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

export const state = {
  view: 'actors',
  mode: 'live',
  actors: [],
  flowDirty: true,
  replay: undefined,
  time: undefined,
};

// Time ---------------------------------------------------------------------------------------------------------

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** Local time of day (with milliseconds for logical times); the date too when it is not today. */
export function formatTime(ms, millis = true) {
  const date = new Date(ms);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const withMillis = millis ? `${time}.${pad(date.getMilliseconds(), 3)}` : time;
  if (date.toDateString() === new Date().toDateString()) return withMillis;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${withMillis}`;
}
