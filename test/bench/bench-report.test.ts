// `npm run bench` writes an HTML report beside its JSON lines: a chart per benchmark, each figure against its
// target and against the previous run kept in the results folder. Run as a user runs it (twice, on the quickest
// benchmark), and the report opened in Chromium; the drawing of targets is checked on a report of its own.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Compared, REPORT, renderReport } from '../../bench/html-report.ts';
import { targetOf } from '../../bench/targets.ts';
import { launchChromium, pageRecordingErrors } from '../harness/browser/index.ts';
import { runCommand } from '../provision/cache.ts';

const repository = new URL('../..', import.meta.url).pathname;
const ARTIFACTS = join(repository, 'test-artifacts', 'bench');
const results = mkdtempSync(join(tmpdir(), 'switchyard-bench-results-'));
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  rmSync(results, { recursive: true, force: true });
});

/** Opens a report file, screenshots it, and returns what the page logged as errors. */
async function look(file: string, screenshot: string): Promise<{ errors: string[]; figures: string[][] }> {
  const { page, errors } = await pageRecordingErrors(browser);
  await page.goto(pathToFileURL(file).href);
  await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
  const figures = await page
    .locator('g.figure')
    .evaluateAll((groups) =>
      groups.map((g) => [g.getAttribute('class') ?? '', g.querySelector('.note')?.textContent ?? '']),
    );
  await page.close();
  return { errors, figures };
}

describe('npm run bench', () => {
  it('writes a report with a chart per benchmark, and compares the next run with this one', async () => {
    const bench = () =>
      runCommand('npm', ['run', 'bench', '--', 'runtime.mailbox', '--results', results], { cwd: repository });
    const first = await bench();
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.map((line) => JSON.parse(line).metric)).toEqual([
      'throughput_capacity_1024',
      'throughput_capacity_64',
    ]);
    expect(first.stderr).toContain(`bench report: ${join(results, REPORT)}`);
    const firstHtml = readFileSync(join(results, REPORT), 'utf8');
    expect(firstHtml).toContain('<section class="bench" id="runtime.mailbox">');
    expect(firstHtml).toContain('no previous run');

    const second = await bench();
    expect(second.code, second.stderr).toBe(0);
    const kept = JSON.parse(readFileSync(join(results, 'figures.json'), 'utf8'));
    const firstValue = JSON.parse(lines[0]!).value;
    expect(kept['runtime.mailbox throughput_capacity_1024'].previous.value).toBe(firstValue);
    const { errors, figures } = await look(join(results, REPORT), 'report-runtime-mailbox.png');
    expect(errors).toEqual([]);
    expect(figures).toHaveLength(2);
    // No target for these: drawn against the previous run only.
    for (const [classes, note] of figures) {
      expect(classes).toBe('figure none');
      expect(note).toMatch(/^[+−]\d+\.\d % vs previous \([\d,.]+\)$/);
    }
  }, 300_000);

  it('draws each figure against its target: met, missed, or none', async () => {
    const at = new Date('2026-12-01T12:00:00Z');
    const kept = { unit: 'ms', at: '2026-11-30T12:00:00.000Z' };
    const figures: Compared[] = [
      {
        bench: 'controlplane.fullsync',
        metric: 'time_to_all_statuses_and_ir',
        value: 1830,
        unit: 'ms',
        previous: { value: 2100, ...kept },
        target: targetOf('controlplane.fullsync', 'time_to_all_statuses_and_ir')!,
      },
      {
        bench: 'controlplane.fullsync',
        metric: 'rss_end',
        value: 312,
        unit: 'MiB',
        target: targetOf('controlplane.fullsync', 'rss_end')!,
      },
      {
        bench: 'extproc.chat',
        metric: 'requests_per_second_openai_to_anthropic',
        value: 6200,
        unit: 'req/s',
        target: targetOf('extproc.chat', 'requests_per_second_openai_to_anthropic')!,
      },
      { bench: 'extproc.chat', metric: 'workers', value: 2, unit: 'processes' },
    ];
    expect(targetOf('extproc.chat', 'requests_per_second_one_worker')).toBeUndefined();
    const file = join(results, 'targets.html');
    writeFileSync(file, renderReport(figures, at));
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('2 of 3 figures with a target meet it.');
    expect(html).toContain('controlplane.fullsync rss_end: 312 MiB, target ≤ 300 MiB');
    expect(html).toContain('controlplane.fullsync time_to_all_statuses_and_ir: −12.9 % (2,100 → 1,830 ms)');
    const { errors, figures: drawn } = await look(file, 'report-targets.png');
    expect(errors).toEqual([]);
    expect(drawn).toEqual([
      ['figure met', 'target ≤ 2,000 ms · −12.9 % vs previous (2,100)'],
      ['figure missed', 'target ≤ 300 MiB · no previous run'],
      ['figure met', 'target ≥ 5,000 req/s · no previous run'],
      ['figure none', 'no previous run'],
    ]);
  }, 120_000);
});
