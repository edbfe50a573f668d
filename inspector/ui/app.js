// The inspector UI: plain DOM over the JSON API and the /api/stream server-sent events (docs/inspector.md).
const token = new URLSearchParams(location.search).get('access_token');
const withToken = (path) =>
  token === null ? path : `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
const $ = (selector) => document.querySelector(selector);

async function api(path, init) {
  const response = await fetch(withToken(path), init);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? response.statusText);
  return body;
}

function el(tag, attributes = {}, ...children) {
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

const state = { view: 'actors', mode: 'live', actors: [], flowDirty: true, replay: undefined };

// Views ------------------------------------------------------------------------------------------------------

for (const button of document.querySelectorAll('nav button')) {
  button.addEventListener('click', () => show(button.dataset.view));
}

function show(view) {
  state.view = view;
  for (const button of document.querySelectorAll('nav button'))
    button.classList.toggle('active', button.dataset.view === view);
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${view}`;
  document.body.dataset.view = view;
  refresh();
}

function refresh() {
  if (state.view === 'flow') void loadFlow();
  if (state.view === 'resources') void loadResources();
  if (state.view === 'dataplane') void loadGateways();
  if (state.view === 'replay') void loadRecords();
}

// Actors -----------------------------------------------------------------------------------------------------

function renderActors(view) {
  state.actors = view.actors;
  const body = $('#actors tbody');
  body.replaceChildren();
  const byName = new Map(view.actors.map((actor) => [actor.name, actor]));
  for (const group of view.tree) {
    body.append(el('tr', { class: 'group' }, el('td', { colSpan: 9 }, group.group)));
    for (const name of group.actors) {
      const actor = byName.get(name);
      const fill =
        actor.mailbox.capacity === 0 ? 0 : Math.min(80, (80 * actor.mailbox.depth) / actor.mailbox.capacity);
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${Math.max(fill, actor.mailbox.depth > 0 ? 2 : 0)}px`;
      body.append(
        el(
          'tr',
          { 'data-actor': actor.name },
          el('td', {}, actor.name),
          el(
            'td',
            { class: actor.ready ? 'ok' : 'muted' },
            `${actor.status}${actor.ready ? ' · ready' : ''}`,
          ),
          el('td', {}, actor.state),
          el(
            'td',
            {},
            el('span', { class: 'bar-track' }, bar),
            `${actor.mailbox.depth}/${actor.mailbox.capacity}`,
          ),
          el('td', {}, actor.mailbox.highWaterMark),
          el('td', {}, actor.handled),
          el('td', {}, actor.throughput),
          el('td', {}, actor.restarts),
          el('td', { class: 'error' }, actor.lastError ?? ''),
        ),
      );
    }
  }
  const select = $('#flow-actor');
  const chosen = select.value;
  if (select.options.length !== view.actors.length + 2) {
    select.replaceChildren(el('option', { value: '' }, 'any'), el('option', { value: 'outside' }, 'outside'));
    for (const actor of view.actors) select.append(el('option', { value: actor.name }, actor.name));
    select.value = chosen;
  }
}

// Message flow -----------------------------------------------------------------------------------------------

let flowTimer;
function scheduleFlow() {
  state.flowDirty = true;
  if (state.view !== 'flow' || flowTimer !== undefined) return;
  flowTimer = setTimeout(() => {
    flowTimer = undefined;
    void loadFlow();
  }, 300);
}

async function loadFlow() {
  state.flowDirty = false;
  const query = new URLSearchParams({
    actor: $('#flow-actor').value,
    type: $('#flow-type').value,
    cause: $('#flow-cause').value,
    resource: $('#flow-resource').value,
    limit: '400',
  });
  const { steps } = await api(`/api/flow?${query}`);
  renderFlow(steps);
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderFlow(steps) {
  $('#flow-count').textContent = `${steps.length} steps`;
  const columns = [];
  for (const step of steps) {
    for (const name of [step.from, step.to]) if (!columns.includes(name)) columns.push(name);
  }
  const colWidth = 150;
  const rowHeight = 24;
  const top = 40;
  const width = Math.max(600, columns.length * colWidth + 40);
  const height = top + steps.length * rowHeight + 20;
  const x = (name) => 20 + columns.indexOf(name) * colWidth + colWidth / 2;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const defs = svg('defs');
  const marker = svg('marker', {
    id: 'tip',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse',
  });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#555' }));
  defs.append(marker);
  root.append(defs);
  for (const name of columns) {
    root.append(svg('text', { x: x(name), y: 18, 'text-anchor': 'middle', class: 'head' }, short(name)));
    root.append(svg('line', { x1: x(name), y1: 26, x2: x(name), y2: height - 10, class: 'lifeline' }));
  }
  steps.forEach((step, index) => {
    const y = top + index * rowHeight;
    const group = svg('g', { class: 'step', 'data-id': step.id, 'data-type': step.type });
    const from = x(step.from);
    const to = x(step.to);
    const self = from === to;
    const classes = `arrow ${step.kind}${step.outcome === 'failed' ? ' failed' : ''}`;
    group.append(
      self
        ? svg('path', {
            d: `M ${from} ${y} h 24 v 10 h -24`,
            fill: 'none',
            class: classes,
            'marker-end': 'url(#tip)',
          })
        : svg('line', { x1: from, y1: y, x2: to, y2: y, class: classes, 'marker-end': 'url(#tip)' }),
    );
    group.append(
      svg(
        'text',
        { x: (from + to) / 2 + (self ? 30 : 0), y: y - 4, 'text-anchor': self ? 'start' : 'middle' },
        `${step.type}${step.outcome === 'failed' ? ' ✗' : ''}`,
      ),
    );
    const about = step.subject === undefined ? '' : ` · ${step.subject}`;
    const title = svg('title', {}, `${step.id} ← ${step.causeId ?? 'outside'} · t=${step.time}${about}`);
    group.append(title);
    group.addEventListener('click', () => {
      $('#flow-cause').value = step.id;
      void loadFlow();
    });
    root.append(group);
  });
  $('#flow-diagram').replaceChildren(root);
}

function short(name) {
  return name.length > 22 ? `${name.slice(0, 21)}…` : name;
}

for (const input of ['#flow-actor', '#flow-type', '#flow-cause', '#flow-resource'])
  $(input).addEventListener('input', () => void loadFlow());
$('#flow-filters').addEventListener('submit', (event) => event.preventDefault());
$('#flow-clear').addEventListener('click', () => {
  $('#flow-actor').value = '';
  $('#flow-type').value = '';
  $('#flow-cause').value = '';
  $('#flow-resource').value = '';
  void loadFlow();
});

// Resources --------------------------------------------------------------------------------------------------

async function loadResources() {
  const [{ resources }, { problems }] = await Promise.all([api('/api/resources'), api('/api/problems')]);
  $('#problems').replaceChildren(
    ...problems.map((problem) => el('li', { class: 'error' }, `${problem.origin}: ${problem.message}`)),
  );
  const body = $('#resources tbody');
  body.replaceChildren();
  for (const object of resources) {
    const conditions = [...(object.status?.conditions ?? [])];
    for (const parent of object.status?.parents ?? []) conditions.push(...(parent.conditions ?? []));
    const badges = el('td');
    for (const condition of conditions) {
      badges.append(
        el(
          'span',
          { class: `cond ${condition.status}`, title: `${condition.reason}: ${condition.message ?? ''}` },
          `${condition.type}=${condition.status}`,
        ),
      );
    }
    const row = el(
      'tr',
      {
        class: 'clickable',
        'data-kind': object.kind,
        'data-namespace': object.metadata?.namespace ?? '',
        'data-name': object.metadata?.name ?? '',
      },
      el('td', {}, object.kind),
      el('td', {}, object.metadata?.namespace ?? ''),
      el('td', {}, object.metadata?.name ?? ''),
      badges,
    );
    row.addEventListener('click', () => {
      $('#resource-detail').textContent = JSON.stringify(object.status ?? object.data ?? {}, null, 2);
      const namespace = object.metadata?.namespace;
      state.selected = `${object.kind} ${namespace ? `${namespace}/` : ''}${object.metadata?.name ?? ''}`;
      $('#resource-actions').hidden = false;
    });
    body.append(row);
  }
}

$('#resource-flow').addEventListener('click', () => {
  $('#flow-actor').value = '';
  $('#flow-type').value = '';
  $('#flow-cause').value = '';
  $('#flow-resource').value = state.selected ?? '';
  show('flow');
});

// Data plane -------------------------------------------------------------------------------------------------

async function loadGateways() {
  const { gateways } = await api('/api/gateways');
  const box = $('#gateways');
  box.replaceChildren();
  if (gateways.length === 0) box.append(el('p', { class: 'muted' }, 'No Gateway is deployed.'));
  for (const entry of gateways) {
    const key = entry.gateway ?? {};
    const detail = el(
      'details',
      {},
      el('summary', {}, 'configuration'),
      el('pre', {}, JSON.stringify(entry.ir ?? entry, null, 2)),
    );
    box.append(
      el(
        'div',
        { class: 'gateway' },
        el('h3', {}, `${key.namespace ?? ''}/${key.name ?? ''}`),
        el('div', {}, `backend: ${entry.backend ?? 'none'} · revision ${entry.revision ?? '–'}`),
        el('div', {}, `programmed: ${JSON.stringify(entry.programmed ?? {})}`),
        proxyTable(entry.proxies ?? [], entry.revision),
        detail,
      ),
    );
  }
}

/** One row per connected proxy: the revision it last accepted, or the data plane's rejection text. */
function proxyTable(proxies, revision) {
  if (proxies.length === 0) return el('p', { class: 'muted' }, 'No proxy connected.');
  return el(
    'table',
    { class: 'proxies' },
    el('tr', {}, el('th', {}, 'proxy'), el('th', {}, 'accepted revision'), el('th', {}, 'state')),
    ...proxies.map((proxy) =>
      el(
        'tr',
        {},
        el('td', {}, proxy.proxy),
        el('td', {}, String(proxy.ackedRevision ?? '–')),
        el(
          'td',
          { class: proxy.rejection ? 'nack' : proxy.ackedRevision === revision ? 'ack' : 'pending' },
          proxy.rejection ? `NACK: ${proxy.rejection}` : proxy.ackedRevision === revision ? 'ACK' : 'pending',
        ),
      ),
    ),
  );
}

// Replay -----------------------------------------------------------------------------------------------------

function renderReplay(replay) {
  state.replay = replay;
  const scrub = $('#replay-scrub');
  scrub.max = String(replay.end ?? 0);
  if (document.activeElement !== scrub) scrub.value = String(replay.position ?? 0);
  $('#replay-position').textContent = replay.loaded
    ? `${replay.name}: seq ${replay.position} of ${replay.end}${replay.playing ? ' · playing' : ''} · t=${new Date(replay.time).toISOString()}`
    : 'no log loaded';
  $('#replay-divergences').textContent = replay.divergences?.length
    ? `${replay.divergences.length} divergence(s): ${replay.divergences[0]}`
    : '';
  document.body.dataset.position = String(replay.position ?? 0);
}

async function replayAction(action, init) {
  try {
    renderReplay(await api(`/api/replay/${action}`, { method: 'POST', ...init }));
    refresh();
  } catch (error) {
    $('#replay-divergences').textContent = error.message;
  }
}

async function loadRecords() {
  if (state.mode !== 'replay') return;
  const { records } = await api('/api/replay/records?from=1&limit=2000');
  const body = $('#records tbody');
  body.replaceChildren();
  const position = state.replay?.position ?? 0;
  for (const record of records) {
    const row = el(
      'tr',
      { class: `clickable${record.seq <= position ? '' : ' muted'}`, 'data-seq': String(record.seq) },
      el('td', {}, record.seq),
      el('td', {}, new Date(record.time).toISOString()),
      el('td', {}, record.kind),
      el('td', {}, record.actor),
      el('td', {}, record.what),
      el('td', { class: record.outcome === 'failed' ? 'error' : '' }, record.outcome ?? ''),
    );
    row.addEventListener('click', () => void replayAction(`seek?seq=${record.seq}`));
    body.append(row);
  }
}

$('#replay-play').addEventListener('click', () => void replayAction('play'));
$('#replay-pause').addEventListener('click', () => void replayAction('pause'));
$('#replay-step').addEventListener('click', () => void replayAction('step'));
$('#replay-scrub').addEventListener('change', (event) => void replayAction(`seek?seq=${event.target.value}`));
$('#replay-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (file === undefined) return;
  await replayAction(`load?name=${encodeURIComponent(file.name)}`, { body: await file.text() });
});

// Live stream ------------------------------------------------------------------------------------------------

async function start() {
  const system = await api('/api/system');
  state.mode = system.mode;
  $('#mode').textContent = system.mode;
  if (system.mode === 'replay') {
    $('#replay-bar').hidden = false;
    $('#replay-tab').hidden = false;
    renderReplay(await api('/api/replay'));
  }
  renderActors(await api('/api/actors'));
  // The summary stream: one trace tick per second however fast messages flow; the views fetch what they show.
  const stream = new EventSource(withToken('/api/stream?trace=summary'));
  stream.addEventListener('actors', (event) => {
    renderActors(JSON.parse(event.data));
    if (state.view === 'resources' || state.view === 'dataplane') refresh();
  });
  stream.addEventListener('trace-summary', (event) => {
    const summary = JSON.parse(event.data);
    $('#clock').textContent = `t=${summary.time}`;
    scheduleFlow();
  });
  stream.addEventListener('replay', (event) => {
    const before = state.replay?.position;
    renderReplay(JSON.parse(event.data));
    if (before !== state.replay.position) refresh();
  });
  document.body.dataset.ready = 'true';
}

void start();
