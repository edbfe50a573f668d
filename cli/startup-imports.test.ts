// What a command loads before it runs is what it costs to start (bench/translate.startup): `switchyard translate`
// on a few routes must not load the controller's gRPC servers, OpenTelemetry, metrics, Kubernetes client or the
// MCP SDK. Follows the static value imports (a dynamic `import()` loads only when reached; `import type` never).
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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

  it('the controller does load them (the walk follows what it should)', () => {
    const loaded = packagesLoadedBy(join(here, 'controller.ts'));
    expect(['@grpc/grpc-js', 'prom-client'].filter((name) => loaded.has(name))).toEqual([
      '@grpc/grpc-js',
      'prom-client',
    ]);
  });
});
