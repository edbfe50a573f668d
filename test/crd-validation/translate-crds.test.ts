// `switchyard translate --crds` as users run it: a spawned command on a folder of YAML, with the Gateway API CRDs
// (read from the published module, as the provisioner fetches them). An object the API server would refuse is
// refused naming file, line, object, field and the rule's message; the valid objects still translate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { spawnCli } from '../../cli/testdata/spawn-cli.ts';
import { provisionUpstreamCrdFiles } from '../provision/gateway-api-crds.ts';
import { MANIFESTS } from './manifests.ts';

let dir: string;
let crdArgs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-crds-'));
  writeFileSync(join(dir, 'app.yaml'), MANIFESTS);
  crdArgs = (await provisionUpstreamCrdFiles()).flatMap((file) => ['--crds', file]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('switchyard translate --crds (spawned)', () => {
  it('refuses what the CRDs refuse, naming file, line, object, field and message; the rest translates', async () => {
    const run = await spawnCli(['translate', '-f', dir, ...crdArgs]);
    const file = join(dir, 'app.yaml');
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      `${file}:25: rejected: HTTPRoute apps/prefix-rewrite: spec.rules[0]: Invalid value: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
      `${file}:35: rejected: TCPRoute apps/two-rules: spec.rules: Too many: 2: must have at most 1 item; <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`,
      'translate: 4 accepted, 2 rejected, 0 ignored',
    ]);
    const printed = parseAllDocuments(run.stdout).map((document) => document.toJS());
    expect(printed.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      'GatewayClass/switchyard',
      'Gateway/gw',
      'Service/web',
      'HTTPRoute/good',
    ]);
    const good = printed.find((object) => object.metadata.name === 'good');
    expect(good.status.parents[0].conditions).toContainEqual(
      expect.objectContaining({ type: 'Accepted', status: 'True' }),
    );
  });

  it('says which --crds path it cannot read, and exits 2', async () => {
    const run = await spawnCli(['translate', '-f', dir, '--crds', join(dir, 'missing')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^switchyard translate: --crds: .*missing/);
    const notCrds = await spawnCli(['translate', '-f', dir, '--crds', join(dir, 'app.yaml')]);
    expect(notCrds.code).toBe(2);
    expect(notCrds.stderr).toContain('no CustomResourceDefinition in it');
  });
});
