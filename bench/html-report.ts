// The HTML report `npm run bench` writes beside its JSON lines: a chart per benchmark, each figure a bar against
// its target (bench/targets.ts) and against the same figure of the previous run, kept in the results folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meets, type Target, targetOf } from './targets.ts';

/** One JSON line of a benchmark. */
export interface Figure {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

/** A figure as a run left it. */
export interface Kept {
  readonly value: number;
  readonly unit: string;
  readonly at: string;
}

export interface Compared extends Figure {
  readonly previous?: Kept;
  readonly target?: Target;
}

/** `<bench> <metric>` → the latest value and the one before it. */
type History = Record<string, { latest: Kept; previous?: Kept }>;

const HISTORY = 'figures.json';
export const REPORT = 'report.html';

const keyOf = (figure: Figure) => `${figure.bench} ${figure.metric}`;

/**
 * Records this run's figures in `dir` (each one's value before becomes its previous) and writes the report of
 * this run; returns the report's path. A benchmark left out of this run keeps its figures for the next.
 */
export function writeReport(dir: string, figures: readonly Figure[], at: Date): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, HISTORY);
  const history: History = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as History) : {};
  const compared = figures.map((figure): Compared => {
    const before = history[keyOf(figure)]?.latest;
    const target = targetOf(figure.bench, figure.metric);
    return {
      ...figure,
      ...(before === undefined ? {} : { previous: before }),
      ...(target === undefined ? {} : { target }),
    };
  });
  for (const figure of figures) {
    const before = history[keyOf(figure)]?.latest;
    history[keyOf(figure)] = {
      latest: { value: figure.value, unit: figure.unit, at: at.toISOString() },
      ...(before === undefined ? {} : { previous: before }),
    };
  }
  writeFileSync(path, `${JSON.stringify(history, null, 1)}\n`);
  const report = join(dir, REPORT);
  writeFileSync(report, renderReport(compared, at));
  return report;
}

const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const number = (value: number) =>
  Math.abs(value) >= 100
    ? Math.round(value).toLocaleString('en-US')
    : Number(value.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 3 });

function targetText(target: Target, unit: string): string {
  const parts = [];
  if (target.atMost !== undefined) parts.push(`≤ ${number(target.atMost)} ${unit}`);
  if (target.atLeast !== undefined) parts.push(`≥ ${number(target.atLeast)} ${unit}`);
  return `target ${parts.join(' and ')}`;
}

/** The change from the previous run in per cent, when the unit is the same and the previous value not zero. */
function change(figure: Compared): number | undefined {
  const previous = figure.previous;
  if (previous === undefined || previous.unit !== figure.unit || previous.value === 0) return undefined;
  return ((figure.value - previous.value) / Math.abs(previous.value)) * 100;
}

const ROW = 38;
const LABEL = 300;
const BAR = 440;
const TEXT = 360;

/**
 * One benchmark's chart: a row per figure, each on its own scale (its units differ) — the bar is this run, the
 * thin grey bar under it the previous run, the dark tick the target; green meets it, red misses it.
 */
function chart(bench: string, figures: readonly Compared[]): string {
  const width = LABEL + BAR + TEXT;
  const rows = figures.map((figure, index) => {
    const y = index * ROW;
    const target = figure.target;
    const scale =
      Math.max(
        Math.abs(figure.value),
        Math.abs(figure.previous?.value ?? 0),
        target?.atMost ?? 0,
        target?.atLeast ?? 0,
      ) * 1.15 || 1;
    const length = (value: number) => Math.max(0, Math.min(BAR, (Math.abs(value) / scale) * BAR));
    const verdict = target === undefined ? 'none' : meets(target, figure.value) ? 'met' : 'missed';
    const delta = change(figure);
    const notes = [
      target === undefined ? undefined : targetText(target, figure.unit),
      figure.previous === undefined
        ? 'no previous run'
        : delta === undefined
          ? `previous ${number(figure.previous.value)} ${figure.previous.unit}`
          : `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(1)} % vs previous (${number(figure.previous.value)})`,
    ].filter((note) => note !== undefined);
    const tick = (value: number | undefined) =>
      value === undefined
        ? ''
        : `<line class="target" x1="${LABEL + length(value)}" x2="${LABEL + length(value)}" y1="${y + 4}" y2="${y + 30}"/>`;
    return `<g class="figure ${verdict}" data-metric="${html(figure.metric)}">
  <text class="metric" x="${LABEL - 10}" y="${y + 21}" text-anchor="end">${html(figure.metric)}</text>
  <rect class="track" x="${LABEL}" y="${y + 8}" width="${BAR}" height="14"/>
  <rect class="bar" x="${LABEL}" y="${y + 8}" width="${length(figure.value)}" height="14"/>
  ${figure.previous === undefined ? '' : `<rect class="previous" x="${LABEL}" y="${y + 24}" width="${length(figure.previous.value)}" height="4"/>`}
  ${tick(target?.atMost)}${tick(target?.atLeast)}
  <text class="value" x="${LABEL + BAR + 10}" y="${y + 16}">${html(`${number(figure.value)} ${figure.unit}`)}</text>
  <text class="note" x="${LABEL + BAR + 10}" y="${y + 30}">${html(notes.join(' · '))}</text>
  <title>${html(`${figure.metric}: ${figure.value} ${figure.unit}${notes.length > 0 ? `\n${notes.join('\n')}` : ''}`)}</title>
</g>`;
  });
  return `<section class="bench" id="${html(bench)}">
<h2>${html(bench)}</h2>
<svg viewBox="0 0 ${width} ${figures.length * ROW}" width="100%" role="img" aria-label="${html(bench)}">
${rows.join('\n')}
</svg>
</section>`;
}

export function renderReport(figures: readonly Compared[], at: Date): string {
  const benches = new Map<string, Compared[]>();
  for (const figure of figures) benches.set(figure.bench, [...(benches.get(figure.bench) ?? []), figure]);
  const withTarget = figures.filter((figure) => figure.target !== undefined);
  const missed = withTarget.filter((figure) => !meets(figure.target!, figure.value));
  const moved = figures
    .map((figure) => ({ figure, delta: change(figure) }))
    .filter(({ delta }) => delta !== undefined && Math.abs(delta) >= 10)
    .sort((a, b) => Math.abs(b.delta!) - Math.abs(a.delta!));
  const list = (items: string[]) => (items.length === 0 ? '' : `<ul>${items.join('')}</ul>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard benchmarks ${html(at.toISOString())}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f7f8fb; margin: 0; padding: 16px 24px; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 0 0 8px; }
.muted { color: #6b7385; }
.summary, .bench { background: #fff; border: 1px solid #d9dde6; padding: 12px 16px; margin: 12px 0; max-width: 1150px; }
.summary ul { margin: 4px 0; padding-left: 20px; }
.missed-text { color: #c23b3b; }
svg text { font-size: 12px; font-family: system-ui, sans-serif; }
svg .metric { fill: #1d2330; }
svg .note { fill: #6b7385; font-size: 11px; }
svg .track { fill: #eef1f7; }
svg .bar { fill: #2f6fde; }
svg .met .bar { fill: #1f8a4c; }
svg .missed .bar { fill: #c23b3b; }
svg .previous { fill: #9aa1b1; }
svg .target { stroke: #1d2330; stroke-width: 2; }
.legend span { margin-right: 16px; }
.swatch { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<h1>Switchyard benchmarks</h1>
<p class="muted">Run ${html(at.toISOString())} · ${figures.length} figures from ${benches.size} benchmarks · each row on its own scale</p>
<p class="legend muted"><span><i class="swatch" style="background:#1f8a4c"></i>meets its target</span><span><i class="swatch" style="background:#c23b3b"></i>misses it</span><span><i class="swatch" style="background:#2f6fde"></i>no target</span><span><i class="swatch" style="background:#9aa1b1;height:4px"></i>previous run</span><span>▎ target</span></p>
<section class="summary">
<h2>At a glance</h2>
<p>${withTarget.length - missed.length} of ${withTarget.length} figures with a target meet it.</p>
${list(missed.map((f) => `<li class="missed-text">${html(`${f.bench} ${f.metric}: ${number(f.value)} ${f.unit}, ${targetText(f.target!, f.unit)}`)}</li>`))}
<p>${moved.length === 0 ? 'No figure moved by 10 % or more since its previous run.' : 'Moved by 10 % or more since the previous run:'}</p>
${list(moved.map(({ figure, delta }) => `<li>${html(`${figure.bench} ${figure.metric}: ${delta! >= 0 ? '+' : '−'}${Math.abs(delta!).toFixed(1)} % (${number(figure.previous!.value)} → ${number(figure.value)} ${figure.unit})`)}</li>`))}
</section>
${[...benches].map(([bench, rows]) => chart(bench, rows)).join('\n')}
</body>
</html>
`;
}
