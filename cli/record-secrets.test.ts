// `switchyard controller --record` then `switchyard replay`, as users run them (child processes), on manifests holding
// every kind of secret Switchyard reads: by default the recording holds none of their values — a user can attach
// it to a bug report — and its replay says which objects it could not replay exactly; `--record-secrets` keeps
// them, with a warning, and then replays to the same statuses.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { secretFixture } from './testdata/secret-fixture.ts';
import { spawnCli } from './testdata/spawn-cli.ts';

const CLI = new URL('./switchyard.ts', import.meta.url).pathname;
const fixture = secretFixture();
const dir = mkdtempSync(join(tmpdir(), 'switchyard-record-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every form a secret could take in a log: as written, base64 (Secret data), each long line of it. */
function secretForms(): [string, string][] {
  return Object.entries(fixture.secrets).flatMap(([what, secret]) =>
    [secret.trim(), Buffer.from(secret).toString('base64'), ...secret.split('\n')]
      .filter((form) => form.trim().length >= 16 || form === secret.trim())
      .map((form): [string, string] => [what, form]),
  );
}

/**
 * Runs the controller on the fixture with `--record`, until it wrote the MCPRoute's status (`--status-dir`) and its
 * log stopped growing for a second, then interrupts it as Ctrl-C does.
 */
async function recordController(
  name: string,
  extra: readonly string[],
): Promise<{ log: string; stderr: string }> {
  const log = join(dir, `${name}.jsonl`);
  const statusDir = join(dir, `${name}-status`);
  const child = spawn(
    process.execPath,
    [
      CLI,
      'controller',
      ...['--files', fixture.dir, '--record', log, '--status-dir', statusDir, ...extra],
      ...['--xds-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0', '--inspector', 'off'],
      ...['--agentgateway-xds-address', '127.0.0.1:0'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const hasStatus = () =>
    existsSync(statusDir) &&
    readdirSync(statusDir, { recursive: true }).some((file) => String(file).includes('MCPRoute'));
  // At rest: the status written, and the log unchanged for a second.
  let lastSize = -1;
  let still = 0;
  for (let i = 0; i < 1_200 && still < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (child.exitCode !== null) break;
    if (!hasStatus()) continue;
    const size = statSync(log).size;
    still = size === lastSize ? still + 1 : 0;
    lastSize = size;
  }
  child.kill('SIGINT');
  expect(await exited, stderr).toBe(0);
  return { log: readFileSync(log, 'utf8'), stderr };
}

/** Each object's status as replay prints it (`kind namespace/name` → its status YAML, condition times aside). */
function statusesOf(yaml: string): Map<string, string> {
  const statuses = new Map<string, string>();
  for (const document of yaml.split(/^---$/m)) {
    const kind = /^kind: (\S+)$/m.exec(document)?.[1];
    const name = /^ {2}name: (\S+)$/m.exec(document)?.[1];
    const namespace = /^ {2}namespace: (\S+)$/m.exec(document)?.[1] ?? '';
    if (kind !== undefined && name !== undefined)
      statuses.set(
        `${kind} ${namespace}/${name}`,
        // Two runs: the condition times are those of each.
        document.slice(document.indexOf('\nstatus:')).replace(/lastTransitionTime: \S+/g, ''),
      );
  }
  return statuses;
}

// Generous: the controller and replay processes load the whole CLI on a shared, loaded machine.
describe('secrets in recordings', { timeout: 180_000 }, () => {
  let redacted = '';
  let kept = '';

  it('controller --record writes no secret value, only markers with a digest', async () => {
    const { log, stderr } = await recordController('redacted', []);
    redacted = join(dir, 'redacted.jsonl');
    expect(stderr).not.toContain('--record-secrets');
    expect(log).toContain('"secrets":"redacted"');
    expect(log).toMatch(/\[REDACTED digest:[0-9a-f]{20}\]/);
    for (const [what, form] of secretForms()) expect(log, `${what} recorded as ${form}`).not.toContain(form);
    // Public material stays: a replay checks the same certificates.
    expect(log).toContain(Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64').slice(0, 32));
  });

  it('controller --record-secrets keeps them, and says so', async () => {
    const { log, stderr } = await recordController('kept', ['--record-secrets']);
    kept = join(dir, 'kept.jsonl');
    expect(stderr).toContain('--record-secrets');
    expect(stderr).toContain('do not share it');
    expect(log).toContain('"secrets":"kept"');
    expect(log).toContain(fixture.secrets['MCP API key (inline)']);
  });

  it('replay of a redacted recording names what it cannot reproduce, and reproduces the rest', async () => {
    const fromRedacted = await spawnCli(['replay', redacted, '--show', 'status']);
    const fromKept = await spawnCli(['replay', kept, '--show', 'status']);
    expect(fromKept.code, fromKept.stderr).toBe(0);
    expect(fromKept.stderr).toBe('');
    expect(fromRedacted.code, fromRedacted.stderr).toBe(0);
    expect(fromRedacted.stderr).toContain('recorded without --record-secrets');
    for (const secret of ['server-cert', 'client-cert', 'htpasswd', 'api-keys', 'oidc'])
      expect(fromRedacted.stderr).toContain(`Secret apps/${secret}`);
    expect(fromRedacted.stderr).toContain('MCPRoute apps/tools');
    // Every status but the one computed from private keys themselves (the Gateway's listener certificate and
    // backend client certificate: does tls.key match tls.crt?) replays as from the recording that kept them: API
    // keys, the OIDC client secret, MCP and AI provider keys only need to exist, and the htpasswd file and the AWS
    // credentials file keep their users, sections and names.
    const exact = statusesOf(fromKept.stdout);
    const approximate = statusesOf(fromRedacted.stdout);
    expect([...approximate.keys()]).toEqual([...exact.keys()]);
    expect([...exact.keys()].filter((object) => approximate.get(object) !== exact.get(object))).toEqual([
      'Gateway apps/edge',
    ]);
    expect(approximate.get('Gateway apps/edge')).toContain('tls.key is not a PEM-encoded private key');
    for (const [what, form] of secretForms())
      expect(fromRedacted.stdout + fromRedacted.stderr, `${what} shown as ${form}`).not.toContain(form);
  });
});
