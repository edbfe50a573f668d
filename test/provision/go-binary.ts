// Builds a binary from published Go modules with the machine's Go, once per version: the result is cached
// under cacheDir('bin', ...) and the Go build cache is shared, so a rebuild after a version bump reuses
// every unchanged package. Builds run under `nice`: the machines that run the tests are shared.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, ProvisionError, runCommand, withCacheLock } from './cache.ts';

export interface GoBinarySpec {
  /** The test part this binary provides, named in errors: "kube-apiserver", "etcd". */
  part: string;
  version: string;
  /** The main package to build, from a module listed in `require`. */
  mainPackage: string;
  /** Module path → version, written as `require` lines of the throw-away build module. */
  require: Record<string, string>;
  /** Module path → version, written as `replace` lines (e.g. Kubernetes' staging modules). */
  replace?: Record<string, string>;
  /** `-X` linker settings, package.variable → value. */
  linkerValues?: Record<string, string>;
  /**
   * Go files of our own written into the throw-away module (name → text). With `testBinary` the module's
   * tests are compiled (`go test -c`) into the binary instead of building `mainPackage`.
   */
  sources?: Record<string, string>;
  testBinary?: boolean;
}

/** Returns the path of the cached binary, building it first when this version is not cached yet. */
export async function provisionGoBinary(spec: GoBinarySpec): Promise<string> {
  const binary = join(cacheDir('bin', `${spec.part}-${spec.version}`), spec.part);
  if (existsSync(binary)) return binary;
  return withCacheLock(`${spec.part}-${spec.version}`, () => buildGoBinary(spec, binary));
}

async function buildGoBinary(spec: GoBinarySpec, binary: string): Promise<string> {
  if (existsSync(binary)) return binary; // built by the run we waited for

  const go = await runCommand('go', ['version']);
  if (go.code !== 0)
    throw new ProvisionError(spec.part, `the Go toolchain is needed to build it: ${go.stderr.trim()}`);

  const workspace = cacheDir('go-build', `${spec.part}-${spec.version}`);
  writeFileSync(join(workspace, 'go.mod'), buildModule(spec));
  for (const [name, text] of Object.entries(spec.sources ?? {})) writeFileSync(join(workspace, name), text);

  const ldflags = ['-s', '-w', ...Object.entries(spec.linkerValues ?? {}).map(([k, v]) => `-X=${k}=${v}`)];
  const partial = `${binary}.${process.pid}.partial`;
  process.stderr.write(`[provision] building ${spec.part} ${spec.version} with ${go.stdout.trim()} …\n`);
  const flags = ['-mod=mod', '-trimpath', `-ldflags=${ldflags.join(' ')}`, '-o', partial];
  const goArgs = spec.testBinary ? ['test', '-c', ...flags, '.'] : ['build', ...flags, spec.mainPackage];
  const build = await runCommand('nice', ['-n', '10', 'go', ...goArgs], {
    cwd: workspace,
    env: goEnvironment(),
  });
  if (build.code !== 0)
    throw new ProvisionError(spec.part, `go ${goArgs.join(' ')} failed: ${tail(build.stderr)}`);
  // A rename is atomic, so a concurrent test run never sees a half-written binary.
  renameSync(partial, binary);
  return binary;
}

/** Fetches a published module version through the module proxy; returns its source tree and go.mod. */
export async function downloadGoModule(
  part: string,
  module: string,
  version: string,
): Promise<{ dir: string; goMod: string }> {
  const download = await runCommand('go', ['mod', 'download', '-json', `${module}@${version}`], {
    env: goEnvironment(),
  });
  const info = parseDownload(download.stdout);
  if (download.code !== 0 || !info.Dir || !info.GoMod) {
    throw new ProvisionError(
      part,
      `cannot fetch ${module}@${version}: ${info.Error ?? tail(download.stderr)}`,
    );
  }
  return { dir: info.Dir, goMod: readFileSync(info.GoMod, 'utf8') };
}

function parseDownload(stdout: string): { GoMod?: string; Dir?: string; Error?: string } {
  try {
    return JSON.parse(stdout) as { GoMod?: string; Dir?: string; Error?: string };
  } catch {
    return {};
  }
}

function buildModule(spec: GoBinarySpec): string {
  const lines = [`module switchyard.test/provision/${spec.part}`, '', 'go 1.26', ''];
  lines.push('require (', ...Object.entries(spec.require).map(([m, v]) => `\t${m} ${v}`), ')', '');
  const replace = Object.entries(spec.replace ?? {});
  if (replace.length > 0) lines.push('replace (', ...replace.map(([m, v]) => `\t${m} => ${m} ${v}`), ')', '');
  return lines.join('\n');
}

function goEnvironment(): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: build with the machine's Go instead of fetching the toolchain a module asks for.
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
}

function tail(output: string): string {
  return output.trim().split('\n').slice(-15).join('\n');
}
