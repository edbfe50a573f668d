// translate.crds: what checking objects against the Gateway API CRDs (`translate --crds`, files mode's stand-in for
// the API server's validation) costs on a large input: 2,000 HTTPRoutes of 1–4 rules, 1 Gateway, 1 Service.
// Figures: the CPU time of `translate` without and with the CRDs (in this process, on the same files) and their
// ratio within the run; the validator alone per route; loading and compiling the CRDs once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { translate } from '../cli/translate.ts';
import { loadCrdValidator } from '../sources/files/crd-validation/load-crds.ts';
import { provisionUpstreamCrdFiles } from '../test/provision/gateway-api-crds.ts';
import { report } from './report.ts';

const ROUTES = 2_000;

function input(dir: string): string {
  const routes = Array.from({ length: ROUTES }, (_, i) => {
    const rules = Array.from(
      { length: 1 + (i % 4) },
      (
        _,
        r,
      ) => `    - matches: [{path: {type: PathPrefix, value: /r${i}/${r}}, headers: [{name: x-tenant, value: t${r}}]}]
      filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-route, value: r${i}}]}}]
      backendRefs: [{name: app, port: 8080, weight: 1}]
`,
    ).join('');
    return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route-${i}, namespace: default}
spec:
  parentRefs: [{name: edge}]
  hostnames: [r${i}.example.com]
  rules:
${rules}`;
  });
  const text = [
    'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: switchyard}\nspec: {controllerName: switchyard.dev/gateway-controller}\n',
    'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: default}\nspec:\n  gatewayClassName: switchyard\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n',
    'apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: default}\nspec:\n  ports: [{port: 8080}]\n',
    ...routes,
  ].join('---\n');
  writeFileSync(join(dir, 'input.yaml'), text);
  return text;
}

function cpuMs(run: () => Promise<unknown> | unknown): Promise<number> {
  const before = process.cpuUsage();
  return Promise.resolve(run()).then(() => {
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  });
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-crds-'));
try {
  const text = input(dir);
  const crdFiles = await provisionUpstreamCrdFiles();
  let crds: Awaited<ReturnType<typeof loadCrdValidator>> | undefined;
  const loadMs = await cpuMs(async () => {
    crds = await loadCrdValidator(crdFiles);
  });
  const validator = crds as NonNullable<typeof crds>;
  // Warm both paths once (module loading, JIT), then measure each.
  await translate([dir]);
  await translate([dir], undefined, validator);
  const without = await cpuMs(() => translate([dir]));
  let accepted = 0;
  const withCrds = await cpuMs(async () => {
    accepted = (await translate([dir], undefined, validator)).summary.accepted;
  });
  if (accepted !== ROUTES + 3) throw new Error(`expected ${ROUTES + 3} objects accepted, got ${accepted}`);
  const objects = parseAllDocuments(text).map((document) => document.toJS());
  const validateMs = await cpuMs(() => {
    for (const object of objects) if (validator.validate(object).length > 0) throw new Error('refused');
  });
  report('translate.crds', 'cpu_2000_routes_without_crds', without, 'ms');
  report('translate.crds', 'cpu_2000_routes_with_crds', withCrds, 'ms');
  report('translate.crds', 'with_over_without', withCrds / without, 'ratio');
  report('translate.crds', 'validate_per_route', (validateMs * 1000) / ROUTES, 'us');
  report('translate.crds', 'load_and_compile_crds', loadMs, 'ms');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
