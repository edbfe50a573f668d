// The inspector UI: plain DOM over the JSON API and the /api/stream server-sent events (docs/inspector.md). This
// module starts the page and holds the actors, resources and replay views; the message flow is flow-view.js, the
// data plane dataplane-view.js, what they all share common.js.
import { $, api, el, formatTime, state, withToken } from './common.js';
import { loadGateways } from './dataplane-view.js';
import { loadFlow, scheduleFlow } from './flow-view.js';

// Clock ------------------------------------------------------------------------------------------------------

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
