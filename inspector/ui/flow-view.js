// The message-flow view: the steps the filters select, drawn as a sequence diagram (one lifeline per actor or
// effect, logical time running down); a click on a step shows what it caused.
import { $, api, el, formatTime, state } from './common.js';

let flowTimer;
export function scheduleFlow() {
  state.flowDirty = true;
  if (state.view !== 'flow' || flowTimer !== undefined) return;
  flowTimer = setTimeout(() => {
    flowTimer = undefined;
    void loadFlow();
  }, 300);
}

export async function loadFlow() {
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
