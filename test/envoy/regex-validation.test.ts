// The control plane's RE2 verdicts (model/shared/re2.ts) against the real Envoy's: every pattern is a route's
// safe_regex in a config `envoy --mode validate` reads, with the runtime's program-size error level at 0 so
// that Envoy names the size of every regex it can compile.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { envoyBootstrap } from '../../backends/envoy/index.ts';
import { gatewayKey } from '../../backends/envoy/testdata/gateway-ir.ts';
import { compileRe2, RE2_MAX_PROGRAM_SIZE, re2Error } from '../../model/shared/re2.ts';
import { ENVOY_REGEX_VERDICTS, PROGRAM_SIZE_CORPUS } from '../../model/testdata/envoy-regex-verdicts.ts';
import { provisionEnvoy } from '../provision/envoy.ts';

let binary: string;
let dir: string;
let configs = 0;

beforeAll(async () => {
  binary = await provisionEnvoy();
  dir = await mkdtemp(join(tmpdir(), 'switchyard-regex-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Envoy's error for a route matching `regex` (undefined when it accepts), under `errorLevel`. */
async function envoyVerdict(regex: string, errorLevel?: number): Promise<string | undefined> {
  const bootstrap = envoyBootstrap({ gateway: gatewayKey('web', 'shop'), xdsAddress: '127.0.0.1:18000' });
  const config = {
    ...bootstrap,
    ...(errorLevel === undefined
      ? {}
      : {
          layeredRuntime: {
            layers: [{ name: 'l', staticLayer: { 're2.max_program_size.error_level': errorLevel } }],
          },
        }),
    staticResources: {
      ...(bootstrap.staticResources as object),
      listeners: [
        {
          name: 'l',
          address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
          filterChains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typedConfig: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    statPrefix: 's',
                    httpFilters: [
                      {
                        name: 'envoy.filters.http.router',
                        typedConfig: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                        },
                      },
                    ],
                    routeConfig: {
                      virtualHosts: [
                        {
                          name: 'v',
                          domains: ['*'],
                          routes: [{ match: { safeRegex: { regex } }, directResponse: { status: 200 } }],
                        },
                      ],
                    },
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
  const file = join(dir, `config-${configs++}.json`);
  await writeFile(file, JSON.stringify(config));
  try {
    await promisify(execFile)(
      binary,
      ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'error'],
      {
        timeout: 60_000,
      },
    );
    return undefined;
  } catch (error) {
    const output = String((error as { stderr?: string }).stderr ?? error);
    const line = output.split('\n').find((l) => l.includes('error initializing configuration')) ?? output;
    return line.replace(/^.*error initializing configuration '[^']*': /, '').trim();
  }
}

const PROGRAM_SIZE = /^regex '.*' RE2 program size of (\d+) > max program size of 0 /s;

describe('regexes: the control plane and the real Envoy agree', () => {
  test('syntax: RE2 refuses what Envoy refuses, with Envoy’s words', async () => {
    const disagreements: string[] = [];
    for (const [pattern] of ENVOY_REGEX_VERDICTS) {
      const envoy = await envoyVerdict(pattern, 0);
      const ours = compileRe2(pattern);
      const envoySyntax = envoy === undefined || PROGRAM_SIZE.test(envoy) ? undefined : envoy;
      const oursSyntax = ours.ok ? undefined : ours.error;
      const agree =
        envoySyntax === oursSyntax ||
        (envoySyntax !== undefined && oursSyntax !== undefined && envoySyntax.startsWith(oursSyntax));
      if (!agree)
        disagreements.push(`${pattern}: Envoy ${envoySyntax ?? 'accepts'}, ours ${oursSyntax ?? 'accepts'}`);
    }
    expect(disagreements).toEqual([]);
  });

  test('program size: ours is never below Envoy’s, and both limits give the same verdict', async () => {
    const disagreements: string[] = [];
    const patterns = [...PROGRAM_SIZE_CORPUS, ...ENVOY_REGEX_VERDICTS.map(([p]) => p)];
    for (const pattern of patterns) {
      const envoy = await envoyVerdict(pattern, 0);
      const size = envoy === undefined ? undefined : PROGRAM_SIZE.exec(envoy)?.[1];
      const ours = compileRe2(pattern);
      if (size === undefined) continue;
      if (ours.ok && ours.programSize < Number(size))
        disagreements.push(`${pattern}: Envoy ${size}, ours ${ours.programSize}`);
      const envoyAccepts = Number(size) <= RE2_MAX_PROGRAM_SIZE;
      if (envoyAccepts !== (re2Error(pattern) === undefined))
        disagreements.push(`${pattern}: Envoy's size ${size}, ours ${re2Error(pattern) ?? 'accepted'}`);
    }
    expect(disagreements).toEqual([]);
  });

  test('the bootstrap raises Envoy’s limit to the one the control plane checks', async () => {
    const uuid = '^/v1/(users|accounts)/[0-9a-f-]{36}$'; // 128 instructions
    expect(await envoyVerdict(uuid, 100)).toMatch(/RE2 program size of 128 > max program size of 100/);
    expect(await envoyVerdict(uuid)).toBeUndefined();
    expect(await envoyVerdict('a{1000}')).toMatch(/program size of 1004 > max program size of 1000/);
    expect(re2Error('a{1000}')).toBe('RE2 program size of 1004 > max program size of 1000');
  });
});
