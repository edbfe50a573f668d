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

const state = {
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
function formatTime(ms, millis = true) {
  const date = new Date(ms);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const withMillis = millis ? `${time}.${pad(date.getMilliseconds(), 3)}` : time;
  if (date.toDateString() === new Date().toDateString()) return withMillis;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${withMillis}`;
}

/** Wall time is this browser's clock; logical time is the control plane's (on a replay, the recorded time). */
function renderClock() {
  const wall = formatTime(Date.now(), false);
  const logical = state.time === undefined ? '–' : formatTime(state.time);
  $('#clock').textContent =
    `wall ${wall} · logical ${logical}${state.mode === 'replay' ? ' (replayed)' : ''}`;
  if (state.time !== undefined) $('#clock').dataset.logical = new Date(state.time).toISOString();
}
setInterval(renderClock, 1000);

// Connection ---------------------------------------------------------------------------------------------------

function notice(text, kind) {
  const box = $('#connection');
  box.hidden = text === undefined;
  box.className = `notice ${kind ?? ''}`;
  if (text !== undefined) $('#connection-text').textContent = text;
}

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
  if (view.actors.length === 0)
    body.append(
      el('tr', { class: 'placeholder' }, el('td', { colSpan: 9, class: 'muted' }, 'No actors yet.')),
    );
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
            { class: 'nowrap' },
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

const FLOW = { gutter: 92, minColumn: 104, maxColumn: 170, rowHeight: 24, headHeight: 36, charWidth: 6.2 };

/**
 * A sequence diagram: one lifeline per actor or effect, time running down with each step's logical time in the
 * left gutter. Columns shrink to fit the view; with too many to fit they keep a readable width and the diagram
 * scrolls sideways under a header of actor names that stays in view.
 */
function renderFlow(steps) {
  $('#flow-count').textContent = `${steps.length} steps`;
  const box = $('#flow-diagram');
  if (steps.length === 0) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No message matches these filters yet.'));
    return;
  }
  const columns = [];
  for (const step of steps) {
    for (const name of [step.from, step.to]) if (!columns.includes(name)) columns.push(name);
  }
  const available = Math.max(240, box.clientWidth - FLOW.gutter - 20);
  const colWidth = Math.max(
    FLOW.minColumn,
    Math.min(FLOW.maxColumn, Math.floor(available / Math.max(1, columns.length))),
  );
  const width = FLOW.gutter + columns.length * colWidth + 12;
  const height = 10 + steps.length * FLOW.rowHeight;
  const x = (name) => FLOW.gutter + columns.indexOf(name) * colWidth + colWidth / 2;
  const clip = (text, pixels) => {
    const chars = Math.max(4, Math.floor(pixels / FLOW.charWidth));
    return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
  };

  // Two lines per column: the group (controller, resolver, effect, …) over the actor's own name.
  const head = svg('svg', { width, height: FLOW.headHeight, class: 'flow-head' });
  head.append(svg('text', { x: 6, y: 27, class: 'gutter' }, 'logical time'));
  for (const name of columns) {
    const cut = name.search(/[.:]/);
    const [group, own] = cut < 0 ? ['', name] : [name.slice(0, cut), name.slice(cut + 1)];
    const label = svg('g', { class: 'head', 'data-actor': name });
    label.append(
      svg('text', { x: x(name), y: 12, 'text-anchor': 'middle', class: 'group' }, clip(group, colWidth - 8)),
      svg('text', { x: x(name), y: 27, 'text-anchor': 'middle', class: 'name' }, clip(own, colWidth - 8)),
      svg('title', {}, name),
    );
    head.append(label);
  }

  const body = svg('svg', { width, height, role: 'img', 'aria-label': 'message flow' });
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
  body.append(defs);
  for (const name of columns)
    body.append(svg('line', { x1: x(name), y1: 0, x2: x(name), y2: height, class: 'lifeline' }));
  let shownTime;
  steps.forEach((step, index) => {
    const y = 18 + index * FLOW.rowHeight;
    const time = formatTime(step.time);
    if (time !== shownTime) {
      body.append(svg('text', { x: 6, y, class: 'gutter' }, time.length > 12 ? time.slice(-12) : time));
      shownTime = time;
    }
    const group = svg('g', { class: 'step', 'data-id': step.id, 'data-type': step.type });
    const from = x(step.from);
    const to = x(step.to);
    const self = from === to;
    const classes = `arrow ${step.kind}${step.outcome === 'failed' ? ' failed' : ''}`;
    // The whole row band between sender and receiver takes the click, not just the thin line and its label.
    const left = Math.min(from, to);
    group.append(
      svg('rect', {
        class: 'hit',
        x: left,
        y: y - 16,
        width: Math.max(Math.abs(to - from), colWidth - 6),
        height: 20,
        fill: 'transparent',
      }),
    );
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
    // The label sits by the sender, so it is in view wherever the arrow's far end is.
    const label = `${step.type}${step.outcome === 'failed' ? ' ✗' : ''}`;
    const leftward = to < from;
    group.append(
      svg(
        'text',
        {
          x: self ? from + 30 : leftward ? from - 6 : from + 6,
          y: y - 4,
          'text-anchor': leftward ? 'end' : 'start',
        },
        clip(label, self ? colWidth - 34 : Math.max(Math.abs(to - from), colWidth) - 12),
      ),
    );
    const about = step.subject === undefined ? '' : ` · ${step.subject}`;
    const title = `${step.type}: ${step.from} → ${step.to}\n${step.id} ← ${step.causeId ?? 'outside'} · ${formatTime(step.time)}${about}`;
    group.append(svg('title', {}, title));
    group.addEventListener('click', () => {
      $('#flow-cause').value = step.id;
      void loadFlow();
    });
    body.append(group);
  });
  box.replaceChildren(el('div', { class: 'flow-head-row' }, head), body);
  const scrolls = width > box.clientWidth;
  box.classList.toggle('scrolls', scrolls);
  $('#flow-count').textContent =
    `${steps.length} steps · ${columns.length} lifelines${scrolls ? ' (scroll sideways to see them all)' : ''}`;
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
let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (state.view === 'flow') void loadFlow();
  }, 200);
});

// Resources --------------------------------------------------------------------------------------------------

const objectKey = (kind, namespace, name) => `${kind} ${namespace ? `${namespace}/` : ''}${name}`;

/** A problem's text without the object's name in front, when it is shown on that object. */
function problemText(problem) {
  const { kind, namespace, name } = problem.object;
  const prefix = `${objectKey(kind, namespace, name)}: `;
  return problem.message.startsWith(prefix) ? problem.message.slice(prefix.length) : problem.message;
}

function problemBadge(problem) {
  return el(
    'span',
    { class: 'problem', title: `${problem.origin}: ${problem.message}` },
    `⚠ ${problemText(problem)}`,
  );
}

async function loadResources() {
  const [{ resources }, { problems }] = await Promise.all([api('/api/resources'), api('/api/problems')]);
  // Problems about an object go on its row; an object the plane does not hold (an ignored kind, a rejected
  // object) gets a row of its own. The rest (a file that cannot be read) is listed above the table.
  const onObject = new Map();
  const loose = [];
  for (const problem of problems) {
    if (problem.object === undefined) {
      loose.push(problem);
      continue;
    }
    const key = objectKey(problem.object.kind, problem.object.namespace, problem.object.name);
    onObject.set(key, [...(onObject.get(key) ?? []), problem]);
  }
  $('#problems-box').hidden = loose.length === 0;
  $('#problems').replaceChildren(
    ...loose.map((problem) => el('li', { class: 'error' }, `${problem.origin}: ${problem.message}`)),
  );
  const body = $('#resources tbody');
  body.replaceChildren();
  if (resources.length === 0 && onObject.size === 0)
    body.append(
      el('tr', { class: 'placeholder' }, el('td', { colSpan: 4, class: 'muted' }, 'No resources.')),
    );
  const row = (kind, namespace, name, cells, select) => {
    const tr = el(
      'tr',
      { class: 'clickable', 'data-kind': kind, 'data-namespace': namespace ?? '', 'data-name': name },
      el('td', {}, kind),
      el('td', {}, namespace ?? ''),
      el('td', {}, name),
      cells,
    );
    tr.addEventListener('click', select);
    body.append(tr);
    return tr;
  };
  for (const object of resources) {
    const kind = object.kind;
    const namespace = object.metadata?.namespace;
    const name = object.metadata?.name ?? '';
    const key = objectKey(kind, namespace, name);
    const own = onObject.get(key) ?? [];
    onObject.delete(key);
    const conditions = [...(object.status?.conditions ?? [])];
    for (const parent of object.status?.parents ?? []) conditions.push(...(parent.conditions ?? []));
    const cell = el('td');
    for (const condition of conditions) {
      cell.append(
        el(
          'span',
          { class: `cond ${condition.status}`, title: `${condition.reason}: ${condition.message ?? ''}` },
          `${condition.type}=${condition.status}`,
        ),
      );
    }
    for (const problem of own) cell.append(problemBadge(problem));
    const tr = row(kind, namespace, name, cell, () =>
      select(key, own, JSON.stringify(object.status ?? object.data ?? {}, null, 2)),
    );
    if (own.length > 0) tr.classList.add('has-problem');
  }
  for (const [key, own] of onObject) {
    const { kind, namespace, name } = own[0].object;
    const cell = el('td', {}, ...own.map(problemBadge));
    const tr = row(kind, namespace, name, cell, () => select(key, own, ''));
    tr.classList.add('has-problem');
    tr.dataset.problemOnly = 'true';
  }
}

function select(key, problems, detail) {
  state.selected = key;
  $('#resource-title').textContent = key;
  $('#resource-problems').replaceChildren(
    ...problems.map((problem) => el('li', { class: 'error' }, `${problem.origin}: ${problemText(problem)}`)),
  );
  $('#resource-detail').textContent = detail;
  $('#resource-actions').hidden = false;
}

$('#resource-flow').addEventListener('click', () => {
  $('#flow-actor').value = '';
  $('#flow-type').value = '';
  $('#flow-cause').value = '';
  $('#flow-resource').value = state.selected ?? '';
  show('flow');
});

// Data plane -------------------------------------------------------------------------------------------------

/** `Listener 1 · Cluster 2`, leaving out types with none; `none` when nothing is held. */
const countsText = (counts) =>
  (counts ?? [])
    .filter(({ count }) => count > 0)
    .map(({ type, count }) => `${type} ${count}`)
    .join(' · ') || 'none';

async function loadGateways() {
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

// Replay -----------------------------------------------------------------------------------------------------

function renderReplay(replay) {
  state.replay = replay;
  const scrub = $('#replay-scrub');
  scrub.max = String(replay.end ?? 0);
  if (document.activeElement !== scrub) scrub.value = String(replay.position ?? 0);
  $('#replay-position').textContent = replay.loaded
    ? `${replay.name}: seq ${replay.position} of ${replay.end}${replay.playing ? ' · playing' : ''}`
    : 'no log loaded';
  if (replay.loaded && replay.time !== undefined) {
    state.time = replay.time;
    renderClock();
  }
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
      el('td', { class: 'nowrap', title: new Date(record.time).toISOString() }, formatTime(record.time)),
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
  let system;
  try {
    system = await api('/api/system');
    state.mode = system.mode;
    state.time = system.time;
    if (system.mode === 'replay') {
      $('#replay-bar').hidden = false;
      $('#replay-tab').hidden = false;
      renderReplay(await api('/api/replay'));
    }
    renderActors(await api('/api/actors'));
  } catch (error) {
    notice(`Cannot reach the inspector's API (${error.message}); trying again…`, 'bad');
    setTimeout(() => void start(), 2000);
    return;
  }
  $('#mode').textContent = system.mode;
  renderClock();
  notice(undefined);
  // The summary stream: one trace tick per second however fast messages flow; the views fetch what they show.
  const stream = new EventSource(withToken('/api/stream?trace=summary'));
  stream.addEventListener('open', () => notice(undefined));
  stream.addEventListener('error', () =>
    notice('Lost the connection to the control plane; reconnecting…', 'bad'),
  );
  stream.addEventListener('actors', (event) => {
    renderActors(JSON.parse(event.data));
    if (state.view === 'resources' || state.view === 'dataplane') refresh();
  });
  stream.addEventListener('trace-summary', (event) => {
    const summary = JSON.parse(event.data);
    state.time = summary.time;
    renderClock();
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
