// What a command loads before it runs is what it costs to start (bench/translate.startup): `switchyard translate`
// on a few routes must not load the controller's gRPC servers, OpenTelemetry, metrics, Kubernetes client or the
// MCP SDK. Follows the static value imports (a dynamic `import()` loads only when reached; `import type` never).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { crdCacheDir } from '../sources/files/crd-validation/upstream-crds.ts';

const here = dirname(fileURLToPath(import.meta.url));
const STATIC_IMPORT = /^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)';/gm;

/** The packages a module reaches through static value imports of our files. */
function packagesLoadedBy(entry: string): Set<string> {
  return staticImports(entry).packages;
}

/**
 * The packages, Node's modules and our files (relative to the repository) a module reaches through static value
 * imports.
 */
function staticImports(entry: string): { packages: Set<string>; builtins: Set<string>; files: string[] } {
  const packages = new Set<string>();
  const builtins = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(STATIC_IMPORT)) {
      if (specifier === undefined) continue;
      if (specifier.startsWith('node:')) builtins.add(specifier);
      else if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else
        packages.add(
          specifier.startsWith('@') ? specifier.split('/', 2).join('/') : specifier.split('/')[0]!,
        );
    }
  };
  visit(entry);
  return { packages, builtins, files: [...seen].map((file) => relative(join(here, '..'), file)) };
}

const CONTROLLER_ONLY = [
  '@grpc/grpc-js',
  'protobufjs',
  'prom-client',
  '@kubernetes/client-node',
  '@modelcontextprotocol/sdk',
  '@opentelemetry/api',
  '@opentelemetry/sdk-trace',
  // cli/access-token-port.ts signs GCP's assertions with it; loaded on the first access token.
  'jose',
  // Logs: runtime/logger.ts loads it for the first logger that writes (translate's is silent).
  'pino',
];

describe('start-up imports', () => {
  it('the command entry point loads no command until it runs', () => {
    const loaded = packagesLoadedBy(join(here, 'switchyard.ts'));
    expect(CONTROLLER_ONLY.filter((name) => loaded.has(name))).toEqual([]);
  });

  it('translate loads the translators, not the servers and clients the controller runs', () => {
    const loaded = packagesLoadedBy(join(here, 'translate.ts'));
    expect(loaded.has('xstate')).toBe(true);
    expect(CONTROLLER_ONLY.filter((name) => loaded.has(name))).toEqual([]);
  });

  it("translate loads a backend's translator only when a Gateway uses that backend", () => {
    const { files } = staticImports(join(here, 'translate.ts'));
    expect(files).toContain('cli/translate.ts');
    expect(files.filter((file) => file.startsWith('backends/'))).toEqual([]);
  });

  it('translate does not import node:http (an import of it has Node load undici for its lazy exports)', () => {
    const { builtins } = staticImports(join(here, 'translate.ts'));
    expect(builtins.has('node:fs')).toBe(true);
    expect(builtins.has('node:http')).toBe(false);
  });

  it('translate does not import node:https, node:tls or node:zlib (taken when a request or a CRD fetch needs them)', () => {
    const { builtins } = staticImports(join(here, 'translate.ts'));
    expect(['node:https', 'node:tls', 'node:zlib'].filter((name) => builtins.has(name))).toEqual([]);
  });

  it("does not check objects their CRDs passed against the models' schemas: their checks never load (spawned)", () => {
    // A cache of this test's own, with the CRDs the user's cache holds (else fetched as a first run does).
    const cache = mkdtempSync(join(tmpdir(), 'switchyard-startup-'));
    onTestFinished(() => rmSync(cache, { recursive: true, force: true }));
    if (existsSync(crdCacheDir())) cpSync(crdCacheDir(), join(cache, 'crds'), { recursive: true });
    const input = join(cache, 'input.yaml');
    writeFileSync(
      input,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: switchyard}\nspec: {controllerName: switchyard.dev/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: apps}\nspec:\n  gatewayClassName: switchyard\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: apps}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [{name: web, port: 80}]}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: apps}\nspec: {ports: [{port: 80}]}\n`,
    );
    // The process says at exit whether the models' schema checks (or the models) were required.
    const atExit = `data:text/javascript,process.on('exit', () => process.stderr.write('schema checks loaded: ' + Object.keys(process.getBuiltinModule('node:module')._cache).some((file) => /schema-validators|kubernetes-models/.test(file)) + '\\n'))`;
    const run = spawnSync(
      process.execPath,
      ['--import', atExit, join(here, 'switchyard.ts'), 'translate', '-f', input],
      {
        env: { ...process.env, SWITCHYARD_CACHE_DIR: cache },
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('translate: 4 accepted, 0 rejected, 0 ignored\nschema checks loaded: false\n');
  });

  it('the controller does load them (the walk follows what it should)', () => {
    const loaded = packagesLoadedBy(join(here, 'controller.ts'));
    expect(['@grpc/grpc-js', 'prom-client'].filter((name) => loaded.has(name))).toEqual([
      '@grpc/grpc-js',
      'prom-client',
    ]);
  });
});
