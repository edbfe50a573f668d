import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { crdCacheDir } from '../sources/files/crd-validation/upstream-crds.ts';
import { runCli as run } from './testdata/run-cli.ts';
import { spawnCli } from './testdata/spawn-cli.ts';
import { translate } from './translate.ts';

const quickstart = fileURLToPath(new URL('../examples/quickstart', import.meta.url));
const CLI = fileURLToPath(new URL('./switchyard.ts', import.meta.url));

interface Condition {
  type: string;
  status: string;
  reason: string;
  observedGeneration?: number;
}

function conditionsOf(object: Record<string, unknown> | undefined): Record<string, Condition> {
  const status = object?.status as { conditions?: Condition[] } | undefined;
  return Object.fromEntries((status?.conditions ?? []).map((c) => [c.type, c]));
}

function find(objects: readonly Record<string, unknown>[], kind: string, name: string) {
  return objects.find((o) => o.kind === kind && (o.metadata as { name: string }).name === name);
}

function manifests(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-translate-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const classAndGateway = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: switchyard.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: apps}
spec:
  gatewayClassName: switchyard
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - name: https
      protocol: HTTPS
      port: 443
      tls: {certificateRefs: [{name: missing-cert}]}
`;

/** An HTTPRoute `web` on the Gateway's HTTP listener, to Service `service`:`port`. */
/** The Gateway, its web route and a SecurityPolicy in apps whose spec is `spec` (indented by two). */
function webWithSecurityPolicy(name: string, spec: string): string {
  return manifests({
    'all.yaml': `${classAndGateway}
---
${webRoute('web', 80)}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: ${name}, namespace: apps}
spec:
  ${spec}
`,
  });
}

function webRoute(service: string, port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{backendRefs: [{name: ${service}, port: ${port}}]}]`;
}

describe('switchyard translate', () => {
  it('computes the status of every object of the bundled example', async () => {
    const { objects, irs, problems } = await translate([quickstart]);
    expect(problems).toEqual([]);
    expect(conditionsOf(find(objects, 'GatewayClass', 'switchyard')).Accepted).toMatchObject({
      status: 'True',
    });
    const gateway = find(objects, 'Gateway', 'quickstart');
    expect(conditionsOf(gateway).Accepted).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    const listeners = (gateway!.status as { listeners: { name: string; attachedRoutes: number }[] })
      .listeners;
    expect(listeners).toMatchObject([{ name: 'http', attachedRoutes: 1 }]);
    const route = find(objects, 'HTTPRoute', 'echo')?.status as { parents: { conditions: Condition[] }[] };
    expect(route.parents[0]?.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'Accepted'],
      ['ResolvedRefs', 'True', 'ResolvedRefs'],
    ]);
    expect(irs).toHaveLength(1);
    expect(irs[0]?.ports[0]?.listeners[0]?.routes[0]?.rules[0]?.backends[0]).toMatchObject({
      kind: 'Service',
      port: 9000,
      endpoints: [{ address: '127.0.0.1', port: 9000 }],
    });
  });

  it('reports unresolved references in conditions, and problems without a status as messages', async () => {
    const dir = manifests({
      'gateway.yaml': classAndGateway,
      'route.yaml': `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{backendRefs: [{name: nowhere, port: 80}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: not-ours, namespace: apps}
`,
    });
    const { objects, problems } = await translate([dir]);
    const gateway = find(objects, 'Gateway', 'gw');
    const https = (
      gateway!.status as { listeners: { name: string; conditions: Condition[] }[] }
    ).listeners.find((l) => l.name === 'https');
    expect(https?.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidCertificateRef',
    });
    const route = find(objects, 'HTTPRoute', 'web')?.status as { parents: { conditions: Condition[] }[] };
    expect(route.parents[0]?.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
    });
    expect(route.parents[0]?.conditions.find((c) => c.type === 'Accepted')).toMatchObject({ status: 'True' });
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(
        /Deployment apps\/not-ours: kind Deployment is not one Switchyard reads; ignored$/,
      ),
    ]);
    // The problem names its object, so the inspector can show it on that object.
    expect(problems[0]).toMatchObject({
      object: { kind: 'Deployment', namespace: 'apps', name: 'not-ours' },
    });
  });

  it('reads an explicit null as absent, as the API server prunes it', async () => {
    const dir = manifests({
      'gateway.yaml': `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard, namespace: null}
spec: {controllerName: switchyard.dev/gateway-controller, parametersRef: null}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: apps}
spec:
  gatewayClassName: switchyard
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      hostname: ~
      allowedRoutes: {kinds: [{group: null, kind: HTTPRoute}], namespaces: {from: Same, selector:}}
`,
      'route.yaml': `${webRoute('svc', 80)}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: apps}
spec: {ports: [{port: 80}], selector: null}`,
    });
    const { objects, problems } = await translate([dir]);
    expect(problems).toEqual([]);
    const gateway = find(objects, 'Gateway', 'gw')?.status as {
      listeners: { supportedKinds: unknown[]; conditions: Condition[] }[];
    };
    expect(gateway.listeners[0]?.supportedKinds).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
    ]);
    expect(gateway.listeners[0]?.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'True',
    });
    const route = find(objects, 'HTTPRoute', 'web')?.status as { parents: { conditions: Condition[] }[] };
    expect(route.parents[0]?.conditions.find((c) => c.type === 'Accepted')).toMatchObject({ status: 'True' });
  });

  it('prints diffable YAML and exits 0 with a one-line summary when every object is accepted', async () => {
    const first = await run(['translate', '-f', quickstart]);
    const second = await run(['translate', '-f', quickstart]);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('translate: 6 accepted, 0 rejected, 0 ignored\n');
    expect(second.stdout).toBe(first.stdout);
    const documents = parseAllDocuments(first.stdout).map((d) => d.toJS() as { kind: string });
    expect(documents.map((d) => d.kind)).toEqual([
      'GatewayClassParameters',
      'GatewayClass',
      'Gateway',
      'HTTPRoute',
      'Service',
      'EndpointSlice',
    ]);
    expect(first.stdout).toContain('lastTransitionTime: 1970-01-01T00:00:00Z');
    expect(first.stdout).not.toMatch(/[&*]a\d/);
  });
});

describe('switchyard translate as a CI linter', () => {
  const route = (name: string, backend: string) =>
    `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: ${name}, namespace: apps}\nspec:\n  parentRefs: [{name: gw, sectionName: http}]\n  rules: [{backendRefs: [{name: ${backend}, port: 80}]}]\n`;
  const service =
    'apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: apps}\nspec: {ports: [{port: 80}]}\n';
  // Each case: the files, the flags, the exit code, the summary line, and lines that must be on stderr.
  const cases: [string, Record<string, string>, string[], number, string, RegExp[]][] = [
    [
      'everything accepted',
      {
        'a.yaml': classAndGateway.replace(/ {4}- name: https[\s\S]*$/, ''),
        'b.yaml': `${route('web', 'svc')}---\n${service}`,
      },
      [],
      0,
      '4 accepted, 0 rejected, 0 ignored',
      [],
    ],
    [
      'a route whose backend does not exist',
      {
        'a.yaml': classAndGateway.replace(/ {4}- name: https[\s\S]*$/, ''),
        'b.yaml': route('web', 'nowhere'),
      },
      [],
      1,
      '2 accepted, 1 rejected, 0 ignored',
      [/b\.yaml:1: HTTPRoute apps\/web: parent gw\/http: ResolvedRefs False BackendNotFound/],
    ],
    [
      'a Gateway with an unresolved certificate',
      { 'a.yaml': classAndGateway },
      [],
      1,
      '1 accepted, 1 rejected, 0 ignored',
      [/a\.yaml:\d+: Gateway apps\/gw: .*listener https: ResolvedRefs False InvalidCertificateRef/],
    ],
    [
      'an object its schema refuses',
      {
        'a.yaml':
          'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad, namespace: apps}\nspec: {hostnames: 7}\n',
      },
      [],
      1,
      '0 accepted, 1 rejected, 0 ignored',
      [/a\.yaml:1: rejected: /],
    ],
    [
      'an object of a kind no one reads',
      { 'a.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n' },
      [],
      1,
      '0 accepted, 0 rejected, 1 ignored',
      [/a\.yaml:1: Deployment d: kind Deployment is not one Switchyard reads; ignored/],
    ],
    [
      '… allowed',
      { 'a.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n' },
      ['--allow-ignored-kinds'],
      0,
      '0 accepted, 0 rejected, 1 ignored (allowed)',
      [],
    ],
    [
      'a file that is not YAML',
      { 'a.yaml': service, 'b.yaml': 'kind: [unclosed\n' },
      [],
      1,
      '1 accepted, 0 rejected, 0 ignored, 1 file refused',
      [/b\.yaml:2: not valid YAML/],
    ],
    [
      'a file that is not text',
      { 'a.yaml': '\u0000\u0001binary' },
      [],
      1,
      '0 accepted, 0 rejected, 0 ignored, 1 file refused',
      [/a\.yaml: not a text file/],
    ],
  ];
  it.each(cases)('%s', async (_name, files, flags, code, summary, lines) => {
    const dir = manifests(files);
    const result = await run(['translate', '-f', dir, ...flags]);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`translate: ${summary}`);
    for (const line of lines) expect(result.stderr).toMatch(line);
    expect(result.code).toBe(code);
  });

  it('writes all of a large output into pipes before it exits (spawned: stdout and stderr past 64 KiB)', async () => {
    // 600 routes to a Service that does not exist, 6 per file: ~500 KB of YAML, and a line each on stderr (~90 KB).
    const files: Record<string, string> = {
      'a.yaml': classAndGateway.replace(/ {4}- name: https[\s\S]*$/, ''),
    };
    for (let file = 0; file < 100; file++) {
      files[`r${file}.yaml`] = Array.from({ length: 6 }, (_, i) => route(`r${file}-${i}`, 'nowhere')).join(
        '---\n',
      );
    }
    const dir = manifests(files);
    const [spawned, inProcess] = await Promise.all([
      spawnCli(['translate', '-f', dir]),
      run(['translate', '-f', dir]),
    ]);
    expect(inProcess.stdout.length).toBeGreaterThan(200_000);
    expect(inProcess.stderr.length).toBeGreaterThan(70_000);
    expect(spawned.stdout.length).toBe(inProcess.stdout.length);
    expect(spawned.stdout === inProcess.stdout).toBe(true);
    expect(spawned.stderr.split('\n').at(-2)).toBe('translate: 2 accepted, 600 rejected, 0 ignored');
    expect(spawned.stderr === inProcess.stderr).toBe(true);
    expect(spawned.code).toBe(1);
  });

  it('skips a named pipe in a directory with one line instead of waiting on it, and reads /dev/stdin (spawned)', async () => {
    const dir = manifests({ 'a.yaml': service });
    execFileSync('mkfifo', [join(dir, 'b.yaml')]);
    const skipped = await spawnCli(['translate', '-f', dir]);
    expect(skipped.stderr).toBe(
      `files: ${join(dir, 'b.yaml')}: a named pipe, not a regular file; skipped\ntranslate: 1 accepted, 0 rejected, 0 ignored, 1 file refused\n`,
    );
    expect(skipped.code).toBe(1);
    // `kubectl kustomize … | switchyard translate -f /dev/stdin`, through a shell's pipe (Node's own stdio pipes are
    // sockets, which /dev/stdin cannot open).
    const piped = spawnSync(
      'sh',
      ['-c', 'printf "%s" "$MANIFEST" | "$NODE" "$CLI" translate -f /dev/stdin'],
      {
        env: { MANIFEST: service, NODE: process.execPath, CLI, PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
      },
    );
    expect(piped.stderr).toBe('translate: 1 accepted, 0 rejected, 0 ignored\n');
    expect(piped.stdout).toContain('name: svc');
    expect(piped.status).toBe(0);
  });

  it('stops at once on Ctrl-C, saying so (spawned, waiting on a pipe nobody writes to yet)', async () => {
    const fifo = join(manifests({}), 'input.yaml');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [CLI, 'translate', '-f', fifo], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // A pipe opens for writing without waiting only once its reader has opened it: translate is reading.
    let writer: number | undefined;
    while (writer === undefined) {
      try {
        writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    child.kill('SIGINT');
    const code = await exited;
    closeSync(writer);
    expect(stderr).toBe('switchyard translate: stopped by SIGINT\n');
    expect(code).toBe(130);
  });

  // Four whole runs, spawned: several seconds each on the loaded shared machine, past the unit project's 20 s budget
  // for in-process tests (a run that hangs still fails, at this budget).
  it("keeps the CRD checks' verdicts in the user's cache: a second run prints the same, a route changed since is checked again (spawned)", {
    timeout: 120_000,
  }, async () => {
    // A cache of this test's own, with the CRDs the user's cache holds (else fetched as a first run does).
    const cache = mkdtempSync(join(tmpdir(), 'switchyard-verdicts-'));
    if (existsSync(crdCacheDir())) cpSync(crdCacheDir(), join(cache, 'crds'), { recursive: true });
    onTestFinished(() => rmSync(cache, { recursive: true, force: true }));
    const env = { SWITCHYARD_CACHE_DIR: cache };
    const route = (path: string) =>
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: apps}\nspec:\n  parentRefs: [{name: gw, sectionName: http}]\n  rules: [{matches: [{path: {type: PathPrefix, value: ${path}}}], backendRefs: [{name: web, port: 80}]}]\n`;
    const dir = manifests({
      'gw.yaml': `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: switchyard}\nspec: {controllerName: switchyard.dev/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: apps}\nspec:\n  gatewayClassName: switchyard\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: apps}\nspec: {ports: [{port: 80}]}\n`,
      'route.yaml': route('/app'),
    });
    const first = await spawnCli(['translate', '-f', dir], env);
    expect(first.stderr).toBe('translate: 4 accepted, 0 rejected, 0 ignored\n');
    expect(readdirSync(join(cache, 'crd-verdicts'))).toHaveLength(1);
    const second = await spawnCli(['translate', '-f', dir], env);
    expect(second).toEqual(first);
    // The route now breaks a rule of HTTPRoute's CRD: refused, whatever was kept for it before.
    writeFileSync(join(dir, 'route.yaml'), route('app'));
    const changed = await spawnCli(['translate', '-f', dir], env);
    expect(changed.stderr).toContain(
      "rejected: HTTPRoute apps/web: spec.rules[0].matches[0].path: Invalid value: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
    );
    expect(changed.stderr).toContain('translate: 3 accepted, 1 rejected');
    writeFileSync(join(dir, 'route.yaml'), route('/app'));
    expect(await spawnCli(['translate', '-f', dir], env)).toEqual(first);
  });

  it('names an object its schema refuses in one bounded line, however many problems it has', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `{name: "bad name ${i}", value: v}`).join(', ');
    const dir = manifests({
      'b.yaml': `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad, namespace: apps}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{matches: [{headers: [${names}]}], backendRefs: [{name: svc, port: 80}]}]\n`,
    });
    const { stderr, code } = await run(['translate', '-f', dir]);
    const [line, summary, ...rest] = stderr.split('\n');
    expect(line).toMatch(
      /b\.yaml:1: rejected: HTTPRoute apps\/bad: spec\.rules\[0\]\.matches\[0\]\.headers: Too many: 1000: must have at most 16 items; .*; and 992 more$/,
    );
    expect(line!.length).toBeLessThan(2_000);
    expect([summary, ...rest]).toEqual(['translate: 0 accepted, 1 rejected, 0 ignored', '']);
    expect(code).toBe(1);
  });

  it('exits 1 with file:line messages on unreadable YAML, and names a path that does not exist', async () => {
    const dir = manifests({ 'broken.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: [oops\n' });
    const { code, stderr } = await run(['translate', '-f', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/broken\.yaml:\d+: /);
    const missing = await run(['translate', '-f', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.yaml: no such file or directory');
    expect(missing.stderr).toContain('1 file refused');
  });

  it('never prints Secret data', async () => {
    const data = Buffer.from('hunter2-very-secret').toString('base64');
    const dir = manifests({
      'secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: apps\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"${data}"}}'\ndata: {password: ${data}}\nstringData: {token: hunter2-very-secret}\n`,
    });
    for (const output of ['yaml', 'json']) {
      const { stdout, stderr, code } = await run(['translate', '-f', dir, '-o', output, '--show', 'all']);
      expect(code).toBe(0);
      expect(stdout + stderr).not.toContain(data);
      expect(stdout + stderr).not.toContain('hunter2');
      expect(stdout).toContain('password');
      expect(stdout).toContain('[REDACTED]');
    }
  });

  it('reads a namespaced object without a namespace as in default', async () => {
    const dir = manifests({
      'a.yaml': classAndGateway
        .replace(/ {4}- name: https[\s\S]*$/, '')
        .replace('namespace: apps', 'namespace: default'),
      'b.yaml': route('web', 'svc').replace('namespace: apps', '').replace('{name: web, }', '{name: web}'),
      'c.yaml': service.replace('namespace: apps', 'namespace: default'),
    });
    const result = await run(['translate', '-f', dir]);
    expect(result.stderr).not.toContain('undefined');
    expect(result.stderr.trimEnd()).toBe('translate: 4 accepted, 0 rejected, 0 ignored');
    expect(result.code).toBe(0);
  });
});

describe('BackendTLSPolicy status', () => {
  it('reports each Gateway whose routes use a targeted Service as an ancestor', async () => {
    const dir = manifests({
      'gateway.yaml': classAndGateway,
      'backend.yaml': `
apiVersion: v1
kind: Service
metadata: {name: secure, namespace: apps}
spec: {ports: [{name: https, port: 443}]}
---
${webRoute('secure', 443)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: secure-tls, namespace: apps}
spec:
  targetRefs: [{group: '', kind: Service, name: secure}]
  validation: {hostname: secure.example.com, wellKnownCACertificates: System}
`,
    });
    const { objects } = await translate([dir]);
    const policy = find(objects, 'BackendTLSPolicy', 'secure-tls')?.status as {
      ancestors: {
        ancestorRef: { name: string; kind: string };
        controllerName: string;
        conditions: Condition[];
      }[];
    };
    expect(policy.ancestors).toHaveLength(1);
    expect(policy.ancestors[0]).toMatchObject({
      ancestorRef: { kind: 'Gateway', name: 'gw' },
      controllerName: 'switchyard.dev/gateway-controller',
    });
    expect(policy.ancestors[0]?.conditions.find((c) => c.type === 'Accepted')?.status).toBe('True');
  });

  it("shows a SecurityPolicy's ancestors, and names its unknown field, in the printed statuses", async () => {
    const dir = webWithSecurityPolicy(
      'protect',
      `targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: web}]
  cors: {allowOrigins: ["https://a.example.com"], allowOrigin: oops}`,
    );
    const { code, stdout, stderr } = await run(['translate', '-f', dir, '--show', 'status']);
    // As a linter, translate fails on the invalid policy (and the Gateway's missing certificate).
    expect(code).toBe(1);
    expect(stderr).toMatch(/SecurityPolicy apps\/protect: ancestor gw: Accepted False Invalid/);
    const policy = parseAllDocuments(stdout)
      .map(
        (d) =>
          d.toJS() as {
            kind: string;
            status?: { ancestors?: { ancestorRef: { name: string }; conditions: Condition[] }[] };
          },
      )
      .find((d) => d.kind === 'SecurityPolicy');
    expect(policy?.status?.ancestors?.[0]?.ancestorRef.name).toBe('gw');
    const accepted = policy?.status?.ancestors?.[0]?.conditions.find((c) => c.type === 'Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(stdout).toContain('spec.cors.allowOrigin: unknown field');
  });

  it('names what is wrong with a policy whose selectors select nothing, though it has no ancestor to say it on', async () => {
    const dir = webWithSecurityPolicy(
      'by-service-label',
      `targetSelectors: [{kind: Service, matchLabels: {app: web}}]
  cors: {allowOrigins: ["https://a.example.com"]}`,
    );
    const { code, stderr } = await run(['translate', '-f', dir, '--show', 'status']);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'SecurityPolicy apps/by-service-label: no target to report on; spec.targetSelectors[0].kind: a SecurityPolicy cannot select Service',
    );
  });
});
