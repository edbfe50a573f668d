// The data-plane view: per Gateway its revision, Programmed condition and what it serves, and per proxy whether it
// is connected, the revision it last ACKed, its NACK text and what it holds.
import { $, api, el } from './common.js';

/** `Listener 1 · Cluster 2`, leaving out types with none; `none` when nothing is held. */
const countsText = (counts) =>
  (counts ?? [])
    .filter(({ count }) => count > 0)
    .map(({ type, count }) => `${type} ${count}`)
    .join(' · ') || 'none';

export async function loadGateways() {
  const { gateways } = await api('/api/gateways');
  const box = $('#gateways');
  box.replaceChildren();
  if (gateways.length === 0) box.append(el('p', { class: 'muted' }, 'No Gateway is deployed.'));
  for (const entry of gateways) {
    const key = entry.gateway ?? {};
    const programmed = entry.programmed ?? {};
    const detail = el(
      'details',
      {},
      el('summary', {}, 'configuration (IR)'),
      el('pre', {}, JSON.stringify(entry.ir ?? {}, null, 2)),
    );
    box.append(
      el(
        'div',
        { class: 'gateway', 'data-gateway': `${key.namespace ?? ''}/${key.name ?? ''}` },
        el(
          'div',
          { class: 'gateway-head' },
          el('h3', {}, `${key.namespace ?? ''}/${key.name ?? ''}`),
          el(
            'span',
            { class: `cond ${programmed.status ?? 'Unknown'}`, title: programmed.message ?? '' },
            `Programmed=${programmed.status ?? 'Unknown'}${programmed.reason ? ` (${programmed.reason})` : ''}`,
          ),
          el(
            'span',
            { class: 'muted' },
            `${(entry.backend ?? 'no backend').replace(/^backend\./, '')} · revision ${entry.revision ?? '–'}`,
          ),
        ),
        programmed.status === 'True' || !programmed.message
          ? ''
          : el('p', { class: 'programmed-message' }, programmed.message),
        el(
          'p',
          { class: 'served' },
          entry.served === undefined
            ? 'Serves nothing yet.'
            : `Serves ${countsText(entry.served) || 'no resources'}.`,
        ),
        proxyTable(entry.proxies ?? [], entry.revision),
        detail,
      ),
    );
  }
}

const PROXY_COLUMNS = [
  'Proxy',
  'Connected',
  'Last ACKed revision',
  'NACK',
  'Resources held (at its last ACK)',
];

/** One row per proxy: connected, the revision it last ACKed, its NACK text, what it holds by type. */
function proxyTable(proxies, revision) {
  if (proxies.length === 0) return el('p', { class: 'muted' }, 'No proxy connected.');
  const connected = (proxy) => {
    if (proxy.connected === undefined)
      return el('td', { class: 'muted', title: 'not known on a replay' }, '–');
    return proxy.connected
      ? el('td', { class: 'ok' }, `yes${proxy.protocol ? ` (${proxy.protocol})` : ''}`)
      : el('td', { class: 'error' }, 'no');
  };
  const acked = (proxy) => {
    if (proxy.ackedRevision === undefined) return el('td', { class: 'pending' }, 'none');
    const latest = proxy.ackedRevision === revision;
    return el(
      'td',
      { class: latest ? 'ack' : 'pending' },
      `${proxy.ackedRevision}${latest ? ' (latest)' : ` (latest is ${revision})`}`,
    );
  };
  return el(
    'div',
    { class: 'scroll-x' },
    el(
      'table',
      { class: 'proxies' },
      el('thead', {}, el('tr', {}, ...PROXY_COLUMNS.map((label) => el('th', {}, label)))),
      el(
        'tbody',
        {},
        ...proxies.map((proxy) => {
          const cells = [
            el('td', {}, proxy.proxy),
            connected(proxy),
            acked(proxy),
            el('td', { class: proxy.rejection ? 'nack' : 'muted' }, proxy.rejection ?? '–'),
            el('td', {}, proxy.resources === undefined ? '–' : countsText(proxy.resources)),
          ];
          // On a narrow screen each row becomes a card whose cells carry their column's name.
          PROXY_COLUMNS.forEach((label, i) => {
            cells[i].setAttribute('data-label', label);
          });
          return el('tr', { 'data-proxy': proxy.proxy }, ...cells);
        }),
      ),
    ),
  );
}
