// The upstream Gateway API conformance suite (GATEWAY-HTTP, GATEWAY-GRPC, GATEWAY-TLS) against Switchyard on a
// local cluster whose pods are processes (test/harness/cluster). It fails when a test that passed regresses:
// every core test passes but the known failures (skipped, each documented), every extended feature the
// GatewayClass claims passes, and the claim is exactly the set of extended features that passed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { SUPPORTED_FEATURES } from '../../model/gateway-api/gateway-class.ts';
import { KNOWN_FAILURES } from './known-failures.ts';
import { CONFORMANCE_PROFILES, runConformanceSuite } from './run-suite.ts';

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

test('docs/conformance.md names every known failure with its cause', () => {
  const docs = readFileSync(new URL('../../docs/conformance.md', import.meta.url), 'utf8');
  for (const name of Object.keys(KNOWN_FAILURES)) expect(docs).toContain(`\`${name}\``);
});

test(
  `Gateway API conformance: ${CONFORMANCE_PROFILES.join(', ')}`,
  async () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'switchyard-conformance-'));
    const run = await runConformanceSuite({ outputDir, version, skipTests: Object.keys(KNOWN_FAILURES) });
    const failures = `failed: ${run.failedTests.join(', ') || 'none'}; suite output: ${run.outputPath}\n${tailOf(
      run.outputPath,
    )}`;
    expect(run.failedTests, failures).toEqual([]);
    expect(run.report, failures).toBeDefined();
    const profiles = run.report!.profiles;
    expect(profiles, `the report has no profiles (the suite stopped in its setup); ${failures}`).toBeTruthy();
    expect(profiles.map((profile) => profile.name).sort()).toEqual([...CONFORMANCE_PROFILES].sort());
    const claimedExtended = new Set<string>();
    for (const profile of profiles) {
      expect(profile.core.statistics.Failed, `${profile.name} core: ${failures}`).toBe(0);
      expect(profile.core.result, `${profile.name} core`).toMatch(/^(success|partial)$/);
      for (const skipped of profile.core.skippedTests ?? [])
        expect(Object.keys(KNOWN_FAILURES)).toContain(skipped);
      if (profile.extended) {
        expect(profile.extended.statistics.Failed, `${profile.name} extended: ${failures}`).toBe(0);
        for (const feature of profile.extended.supportedFeatures ?? []) claimedExtended.add(feature);
      }
    }
    // The suite tested what the GatewayClass claims (SUPPORTED_FEATURES), and some test that ran (and passed)
    // relied on every claimed feature: a claim no test covers would pass here unnoticed.
    expect(run.supportedFeatures).toEqual([...SUPPORTED_FEATURES]);
    for (const feature of SUPPORTED_FEATURES) expect([...run.testedFeatures], feature).toContain(feature);
    for (const feature of claimedExtended) expect(SUPPORTED_FEATURES).toContain(feature);
  },
  90 * 60_000,
);

function tailOf(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    return lines
      .filter((line) => /--- FAIL|Error Trace|Error:|expected|timed out/.test(line))
      .slice(-40)
      .join('\n');
  } catch {
    return '';
  }
}
