// The static deploy artifacts: the Dockerfile ships everything the CLI imports on Node 24 as a non-root user,
// and the plain manifests under deploy/ grant least privilege and run the controller hardened. The same checks
// run on the rendered Helm chart in test/deploy/chart.test.ts; test/deploy/manifests.test.ts has the API
// server judge both.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, matchesGlob, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { controllerCommand } from './cli/controller.ts';
import { parseCommand } from './cli/options.ts';
import {
  clusterRoleProblems,
  controllerPodProblems,
  extProcConfigRoleProblems,
  extProcPodProblems,
  leaderElectionRoleProblems,
  mcpPodProblems,
  type PodSpec,
  type PolicyRule,
} from './test/deploy/deploy-checks.ts';

const ROOT = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

describe('Dockerfile', () => {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = splitStages(lines);
  const final = stages.at(-1)!;

  it('builds every stage on Node 24', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM node:24([-.][\w.-]+)?(@sha256:[0-9a-f]+)?\b/);
  });

  it('installs the production dependencies only and runs the CLI as a non-root user', () => {
    expect(lines.some((line) => /^RUN npm install .*--omit=dev/.test(line))).toBe(true);
    const user = final.filter((line) => line.startsWith('USER ')).at(-1);
    // Numeric, so that Kubernetes can verify runAsNonRoot.
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(final).toContain(
      'ENTRYPOINT ["node", "--max-semi-space-size=16", "--no-allocation-site-pretenuring", "cli/switchyard.mjs"]',
    );
  });

  it('puts `switchyard` on PATH: a link to the executable CLI, which a PATH with Node 24 runs as written', () => {
    // The entry point users run installed (package.json's `bin`), not a file of its own choosing.
    const bin = (pkg as unknown as { bin: Record<string, string> }).bin.switchyard ?? 'no bin';
    expect(bin).toBe('cli/switchyard.mjs');
    expect(final).toContain(`RUN ln -s /app/${bin} /usr/local/bin/switchyard`);
    const cli = join(ROOT, bin);
    expect(readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    // The same link outside the image, with this checkout's Node 24 first on PATH as the image's is.
    const onPath = mkdtempSync(join(tmpdir(), 'switchyard-bin-'));
    symlinkSync(cli, join(onPath, 'switchyard'));
    const help = spawnSync('switchyard', ['--help'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${onPath}:${dirname(process.execPath)}:/usr/bin:/bin` },
    });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: switchyard <command> [options]');
  });

  it('carries the CRDs files mode checks objects against: ours copied, Gateway API’s fetched at build', () => {
    expect(final).toContain('COPY deploy/crds ./deploy/crds');
    const cache = final.indexOf('ENV SWITCHYARD_CACHE_DIR=/app/cache');
    expect(cache).toBeGreaterThan(-1);
    expect(final.indexOf('RUN node cli/switchyard.mjs fetch-crds')).toBeGreaterThan(cache);
    // Fetched while still root: the unprivileged user only reads it.
    expect(final.indexOf('RUN node cli/switchyard.mjs fetch-crds')).toBeLessThan(
      final.findIndex((line) => line.startsWith('USER ')),
    );
  });

  it('benchmarks run with the V8 flags of the image, so their memory figures are the image’s', () => {
    const bench = readFileSync(join(ROOT, 'bench/run.ts'), 'utf8');
    const flags = /PRODUCTION_V8_FLAGS = \[([^\]]*)\]/.exec(bench)?.[1]?.match(/'[^']*'/g) ?? [];
    const entrypoint = final.find((line) => line.startsWith('ENTRYPOINT'));
    expect(flags.length).toBeGreaterThan(0);
    expect(entrypoint).toBe(
      `ENTRYPOINT ["node", ${flags.map((f) => `"${f.slice(1, -1)}"`).join(', ')}, "cli/switchyard.mjs"]`,
    );
  });

  it('copies every top-level folder and file the CLI reaches, and no dev dependency is imported', () => {
    const copied = new Set(
      final
        .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
        .flatMap((line) => line.split(/\s+/).slice(1, -1)),
    );
    const reached = reachableFiles(join(ROOT, 'cli/switchyard.ts'));
    const topLevel = new Set([...reached.files].map((file) => relative(ROOT, file).split('/')[0]!));
    expect(topLevel.size).toBeGreaterThan(5);
    for (const file of reached.files) {
      const path = relative(ROOT, file);
      expect(
        [...copied].some((entry) => path === entry || path.startsWith(`${entry}/`)),
        `${path} is not copied`,
      ).toBe(true);
    }
    expect(final.some((line) => /^COPY --from=\S+ \/app\/node_modules/.test(line))).toBe(true);
    // --omit=dev leaves dev dependencies out of the image: the runtime must not need them.
    expect(reached.packages).toContain('xstate');
    for (const name of reached.packages) expect(Object.keys(pkg.dependencies)).toContain(name);
    // .dockerignore must not drop anything the runtime reads.
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const file of reached.files) {
      const path = relative(ROOT, file);
      for (const pattern of ignored) {
        expect(matchesGlob(path, pattern) || matchesGlob(path, `${pattern}/**`), `${path} ~ ${pattern}`).toBe(
          false,
        );
      }
    }
  });
});

describe('plain manifests (deploy/manifests, deploy/crds)', () => {
  const objects = readObjects(join(ROOT, 'deploy/manifests'));
  const find = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (found === undefined) throw new Error(`${kind} ${name} is missing`);
    return found;
  };

  it('grants least privilege: reads the watched kinds, writes only status and the provisioned kinds', () => {
    expect(clusterRoleProblems(find('ClusterRole', 'switchyard').rules as PolicyRule[])).toEqual([]);
    expect(
      leaderElectionRoleProblems(find('Role', 'switchyard-leader-election').rules as PolicyRule[]),
    ).toEqual([]);
    const binding = find('ClusterRoleBinding', 'switchyard');
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'switchyard' });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'switchyard', namespace: 'switchyard-system' },
    ]);
    expect(find('Role', 'switchyard-leader-election').metadata.namespace).toBe('switchyard-system');
  });

  it('the least-privilege check rejects a write to anything else', () => {
    const rules = find('ClusterRole', 'switchyard').rules as PolicyRule[];
    const withExtra = (rule: PolicyRule) => clusterRoleProblems([...rules, rule]);
    expect(
      withExtra({ apiGroups: ['gateway.networking.k8s.io'], resources: ['gateways'], verbs: ['patch'] }),
    ).toEqual(['gateway.networking.k8s.io/gateways: write verbs patch on a kind the controller only reads']);
    expect(withExtra({ apiGroups: [''], resources: ['secrets'], verbs: ['create'] })).toContain(
      '/secrets: expected exactly get, list, watch, got create, get, list, watch',
    );
    expect(withExtra({ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['list'] })).toEqual([
      '/persistentvolumeclaims: read access to a kind the controller does not watch',
    ]);
    expect(withExtra({ apiGroups: ['*'], resources: ['*'], verbs: ['get'] })).toContain(
      `rule ${rules.length} uses a wildcard`,
    );
    expect(clusterRoleProblems(rules.filter((rule) => !rule.resources?.includes('namespaces')))).toEqual([
      '/namespaces: missing get, list, watch',
    ]);
  });

  it('runs the controller hardened, probed and with valid flags', () => {
    const deployment = find('Deployment', 'switchyard');
    const pod = deployment.spec.template.spec as PodSpec;
    expect(controllerPodProblems(pod)).toEqual([]);
    const container = pod.containers[0]!;
    expect(pod.serviceAccountName).toBe('switchyard');
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(container.image).toBe(`ghcr.io/switchyard-dev/switchyard:${pkg.version}`);
    // The CLI's own parser accepts every flag: a misspelt one would crash-loop the pod with exit code 2.
    const parsed = parseCommand(controllerCommand.options, container.args!.slice(1), {});
    expect(parsed.values).toMatchObject({
      'http-address': '0.0.0.0:8081',
      'xds-address': '0.0.0.0:18000',
      'agentgateway-xds-address': '0.0.0.0:18001',
      'agentgateway-data-plane-xds-address': 'switchyard.switchyard-system.svc:18001',
      inspector: 'off',
      'shutdown-timeout': 20,
    });
    const service = find('Service', 'switchyard');
    expect(service.spec.ports.map((p: { port: number }) => p.port)).toEqual([18000, 18001, 8081]);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('lets the controller write the ext_proc configuration Secret it is told to, and runs `switchyard extproc` on it', () => {
    const role = find('Role', 'switchyard-extproc-config');
    expect(role.metadata.namespace).toBe('switchyard-system');
    expect(extProcConfigRoleProblems(role.rules as PolicyRule[], 'switchyard-extproc-config')).toEqual([]);
    expect(find('RoleBinding', 'switchyard-extproc-config').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'switchyard', namespace: 'switchyard-system' },
    ]);
    const controller = (find('Deployment', 'switchyard').spec.template.spec as PodSpec).containers[0]!;
    const flags = parseCommand(controllerCommand.options, controller.args!.slice(1), {}).values;
    expect(flags['extproc-config-secret']).toBe('switchyard-system/switchyard-extproc-config');
    // The optional ext_proc Deployment (deploy/extproc/) mounts that Secret, behind the Service Envoy is told.
    const extproc = readObjects(join(ROOT, 'deploy/extproc'));
    const deployment = extproc.find((o) => o.kind === 'Deployment')!;
    const service = extproc.find((o) => o.kind === 'Service')!;
    expect(extProcPodProblems(deployment.spec.template.spec, 'switchyard-extproc-config')).toEqual([]);
    expect(deployment.spec.template.spec.containers[0].image).toBe(controller.image);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(flags['extproc-address']).toBe(
      `${service.metadata.name}.${service.metadata.namespace}.svc:${service.spec.ports[0].port}`,
    );
  });

  it('lets the controller write the MCP proxy configuration Secret it is told to, and runs `switchyard mcp` on it', () => {
    const role = find('Role', 'switchyard-mcp-config');
    expect(role.metadata.namespace).toBe('switchyard-system');
    expect(extProcConfigRoleProblems(role.rules as PolicyRule[], 'switchyard-mcp-config')).toEqual([]);
    expect(find('RoleBinding', 'switchyard-mcp-config').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'switchyard', namespace: 'switchyard-system' },
    ]);
    const controller = (find('Deployment', 'switchyard').spec.template.spec as PodSpec).containers[0]!;
    const flags = parseCommand(controllerCommand.options, controller.args!.slice(1), {}).values;
    expect(flags['mcp-config-secret']).toBe('switchyard-system/switchyard-mcp-config');
    // The optional MCP proxy Deployment (deploy/mcp/) mounts that Secret, behind the Service Envoy is told.
    const mcp = readObjects(join(ROOT, 'deploy/mcp'));
    const deployment = mcp.find((o) => o.kind === 'Deployment')!;
    const service = mcp.find((o) => o.kind === 'Service')!;
    expect(mcpPodProblems(deployment.spec.template.spec, 'switchyard-mcp-config')).toEqual([]);
    // Sessions live in the proxy's memory.
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.spec.containers[0].image).toBe(controller.image);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(flags['mcp-address']).toBe(
      `${service.metadata.name}.${service.metadata.namespace}.svc:${service.spec.ports[0].port}`,
    );
  });

  it('kustomization.yaml lists every manifest and CRD', () => {
    const kustomization = parse(readFileSync(join(ROOT, 'deploy/kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    const files = ['crds', 'manifests'].flatMap((dir) =>
      readdirSync(join(ROOT, 'deploy', dir))
        .filter((file) => file.endsWith('.yaml'))
        .map((file) => `${dir}/${file}`),
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });
});

describe('Helm chart (deploy/helm/switchyard)', () => {
  const chart = join(ROOT, 'deploy/helm/switchyard');

  it("has one copy of our CRDs: the chart's crds/ is deploy/crds", () => {
    expect(lstatSync(join(chart, 'crds')).isSymbolicLink()).toBe(true);
    expect(realpathSync(join(chart, 'crds'))).toBe(realpathSync(join(ROOT, 'deploy/crds')));
  });

  it('is versioned with the package', () => {
    const meta = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as {
      version: string;
      appVersion: string;
    };
    expect(meta).toMatchObject({ version: pkg.version, appVersion: pkg.version });
  });
});

function splitStages(lines: string[]): string[][] {
  const stages: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('FROM ')) stages.push([line]);
    else stages.at(-1)?.push(line);
  }
  return stages;
}

/** Files reached from an entry point by value imports (type-only imports are erased), and packages imported. */
function reachableFiles(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  const staticImport = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
  const dynamicImport = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  const fileUrl = /new URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g;
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.ts')) continue;
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...[...source.matchAll(staticImport)].filter((m) => m[1] === undefined).map((m) => m[2]!),
      ...[...source.matchAll(dynamicImport)].map((m) => m[1]!),
    ];
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
    for (const match of source.matchAll(fileUrl)) {
      const target = resolve(dirname(file), match[1]!);
      if (existsSync(target)) files.add(target);
    }
  }
  return { files, packages };
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field
type Manifest = { kind: string; metadata: { name: string; namespace?: string } } & Record<string, any>;

function readObjects(dir: string): Manifest[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((document) => document.toJS() as Manifest),
    );
}
