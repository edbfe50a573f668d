// Property: whatever Gateway API objects a user writes — well-formed but semantically random, mutated, or
// garbage — `translate` (the whole actor pipeline) never throws, writes only spec-defined condition types and
// reasons, processes every well-formed object, and names the object in every problem it reports. And: after any
// sequence of changes, the running pipeline (which recomputes only what a change affects) agrees with `translate`
// from scratch.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LineCounter, parseAllDocuments, stringify } from 'yaml';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/messages.ts';
import type { GatewayIR } from '../model/ir/gateway-ir.ts';
import type { AnyResource } from '../model/resources/kinds.ts';
import type { RawObject, ResourceEvent } from '../model/resources/resource-events.ts';
import { formatResourceKey, keyOf } from '../model/resources/resource-key.ts';
import { type ConditionFamily, isSpecCondition } from '../model/shared/conditions.ts';
import { readManifests } from '../model/testdata/fixtures.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Draft } from '../runtime/message.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import { createControlPlane, kindOwners } from './control-plane.ts';
import { translate } from './translate.ts';

const CONTROLLER = 'switchyard.dev/gateway-controller';
const NAMESPACES = ['apps', 'infra'] as const;
const GATEWAYS = ['gw-a', 'gw-b', 'gw-c'] as const;
const SERVICES = ['svc-a', 'svc-b', 'missing-svc'] as const;
const LISTENERS = ['l0', 'l1', 'l2', 'l3'] as const;
const HOSTNAMES = ['a.example.com', '*.example.com', 'b.example.org', '*.org', 'example.com'] as const;

const tlsDir = fileURLToPath(new URL('../model/testdata/tls/', import.meta.url));
const CERT = readFileSync(join(tlsDir, 'example.crt')).toString('base64');
const KEY = readFileSync(join(tlsDir, 'example.key')).toString('base64');
const OTHER_KEY = readFileSync(join(tlsDir, 'other.key')).toString('base64');

type Obj = Record<string, unknown>;

const namespace = fc.constantFrom(...NAMESPACES);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops undefined fields, which YAML would print as null. */
const compact = (object: Obj): Obj =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));

// ---- well-formed objects (they pass the schema checks; their meaning is random) ----

const listener = fc
  .record({
    name: fc.constantFrom(...LISTENERS),
    protocol: fc.constantFrom('HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP', 'example.com/custom'),
    port: fc.constantFrom(80, 443, 8443, 9000),
    hostname: maybe(fc.constantFrom(...HOSTNAMES)),
    tls: maybe(
      fc.record({
        mode: fc.constantFrom('Terminate', 'Passthrough'),
        certificateRefs: fc.array(
          fc.record(
            {
              name: fc.constantFrom('cert', 'bad-cert', 'missing-cert'),
              namespace,
              kind: fc.constantFrom('Secret', 'ConfigMap'),
            },
            { requiredKeys: ['name'] },
          ),
          { maxLength: 2 },
        ),
      }),
    ),
    allowedRoutes: maybe(
      fc.record(
        {
          namespaces: fc.record({ from: fc.constantFrom('Same', 'All', 'None') }),
          kinds: fc.array(
            fc.record({ kind: fc.constantFrom('HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'Foo') }),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  })
  .map(compact);

const gateway = (name: string) =>
  fc
    .record({
      ns: namespace,
      listeners: fc.uniqueArray(listener, { minLength: 1, maxLength: 4, selector: (l) => l.name }),
    })
    .map(
      ({ ns, listeners }): Obj => ({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name, namespace: ns },
        spec: { gatewayClassName: 'switchyard', listeners },
      }),
    );

const parentRef = fc
  .record({
    name: fc.constantFrom(...GATEWAYS, 'no-such-gateway'),
    sectionName: maybe(fc.constantFrom(...LISTENERS, 'nope')),
    port: maybe(fc.constantFrom(80, 443, 9000)),
  })
  .map(compact);

const backendRef = fc
  .record({
    name: fc.constantFrom(...SERVICES),
    namespace: maybe(namespace),
    kind: maybe(fc.constantFrom('Service', 'Unknown')),
    port: fc.constantFrom(80, 8080, 53),
    weight: maybe(fc.integer({ min: 0, max: 10 })),
  })
  .map(compact);

const httpFilter = fc.oneof(
  fc.constant({
    type: 'RequestHeaderModifier',
    requestHeaderModifier: { set: [{ name: 'x-a', value: 'b' }] },
  }),
  fc.constant({ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }),
  fc.constant({
    type: 'URLRewrite',
    urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/x' } },
  }),
  fc.constant({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'svc-b', port: 8080 } } }),
  fc.constant({ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Foo', name: 'f' } }),
);

const httpMatch = fc
  .record({
    path: maybe(
      fc.record({
        type: fc.constantFrom('PathPrefix', 'Exact', 'RegularExpression'),
        value: fc.constantFrom('/', '/a', '/b/c', '/(unclosed'),
      }),
    ),
    method: maybe(fc.constantFrom('GET', 'POST')),
    headers: maybe(
      fc.array(
        fc.record({
          type: fc.constantFrom('Exact', 'RegularExpression'),
          name: fc.constantFrom('x-a', 'x-b'),
          value: fc.constantFrom('v', '['),
        }),
        { maxLength: 2 },
      ),
    ),
  })
  .map(compact);

const ROUTE_API: Record<string, string> = {
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  GRPCRoute: 'gateway.networking.k8s.io/v1',
  TLSRoute: 'gateway.networking.k8s.io/v1',
  TCPRoute: 'gateway.networking.k8s.io/v1alpha2',
  UDPRoute: 'gateway.networking.k8s.io/v1alpha2',
};

const route = (name: string) =>
  fc
    .record({
      kind: fc.constantFrom('HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute'),
      ns: namespace,
      parentRefs: fc.array(parentRef, { minLength: 1, maxLength: 3 }),
      hostnames: maybe(fc.array(fc.constantFrom(...HOSTNAMES), { maxLength: 2 })),
      rules: fc.array(
        fc.record({
          matches: fc.array(httpMatch, { maxLength: 2 }),
          filters: fc.array(httpFilter, { maxLength: 2 }),
          backendRefs: fc.array(backendRef, { maxLength: 2 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map(({ kind, ns, parentRefs, hostnames, rules }): Obj => {
      const http = kind === 'HTTPRoute';
      const grpc = kind === 'GRPCRoute';
      const spec: Obj = {
        parentRefs,
        rules: rules.map((rule) =>
          compact({
            matches: http
              ? rule.matches
              : grpc
                ? [{ method: { service: 'echo.Echo', method: 'Say' } }]
                : undefined,
            filters: http ? rule.filters : undefined,
            backendRefs: rule.backendRefs,
          }),
        ),
      };
      if ((http || grpc || kind === 'TLSRoute') && hostnames !== undefined) spec.hostnames = hostnames;
      return { apiVersion: ROUTE_API[kind], kind, metadata: { name, namespace: ns }, spec };
    });

const service = (name: string) =>
  fc.record({ ns: namespace, protocol: fc.constantFrom('TCP', 'UDP') }).map(
    ({ ns, protocol }): Obj => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: {
        ports: [
          { name: 'p', port: 8080, protocol },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      },
    }),
  );

const secret = (name: string) =>
  fc
    .record({
      ns: namespace,
      key: fc.constantFrom(KEY, OTHER_KEY, 'bm90IGEga2V5'),
      type: fc.constantFrom('kubernetes.io/tls', 'Opaque'),
    })
    .map(
      ({ ns, key, type }): Obj => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: ns },
        type,
        data: { 'tls.crt': CERT, 'tls.key': key },
      }),
    );

const referenceGrant = (name: string) =>
  fc
    .record({
      ns: namespace,
      fromNs: namespace,
      fromKind: fc.constantFrom('Gateway', 'HTTPRoute', 'TCPRoute'),
      toKind: fc.constantFrom('Secret', 'Service'),
      toName: maybe(fc.constantFrom('cert', 'svc-a')),
    })
    .map(
      ({ ns, fromNs, fromKind, toKind, toName }): Obj => ({
        apiVersion: 'gateway.networking.k8s.io/v1beta1',
        kind: 'ReferenceGrant',
        metadata: { name, namespace: ns },
        spec: {
          from: [{ group: 'gateway.networking.k8s.io', kind: fromKind, namespace: fromNs }],
          to: [compact({ group: '', kind: toKind, name: toName })],
        },
      }),
    );

const GATEWAY_CLASS: Obj = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'switchyard' },
  spec: { controllerName: CONTROLLER },
};
const NAMESPACE_OBJECTS: Obj[] = NAMESPACES.map((name) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
}));

const validWorld = fc
  .tuple(
    fc.tuple(...GATEWAYS.map(gateway)),
    fc.array(fc.nat(), { maxLength: 8 }).chain((ids) => fc.tuple(...ids.map((_, i) => route(`route-${i}`)))),
    fc.tuple(...SERVICES.slice(0, 2).map(service)),
    fc.tuple(secret('cert'), secret('bad-cert')),
    fc
      .array(fc.nat(), { maxLength: 3 })
      .chain((ids) => fc.tuple(...ids.map((_, i) => referenceGrant(`grant-${i}`)))),
  )
  .map(([gateways, routes, services, secrets, grants]) => [
    GATEWAY_CLASS,
    ...NAMESPACE_OBJECTS,
    ...gateways,
    ...routes,
    ...services,
    ...secrets,
    ...grants,
  ]);

// ---- garbage: mutated copies, wrong types, missing fields, huge names, unknown kinds, non-objects ----

type Path = (string | number)[];
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => pathsOf(child, [...prefix, key]))];
}

function setAt(root: Obj, path: Path, value: unknown): Obj {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined && Array.isArray(node)) node.splice(last as number, 1);
  else if (value === undefined) delete node[last];
  else node[last] = value;
  return copy as Obj;
}

const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(''),
  fc.constant(-1),
  fc.constant('x'.repeat(300)),
);

/** A copy of a well-formed object under a junk name (so it never replaces the original) with one field broken. */
const mutated = (world: readonly Obj[], n: number) =>
  fc.record({ which: fc.nat(), path: fc.nat(), value: junkValue }).map(({ which, path, value }) => {
    const original = world[which % world.length] as Obj;
    const renamed = setAt(original, ['metadata', 'name'], `junk-${n}`);
    const paths = pathsOf(renamed).filter((p) => p.length > 0 && !(p[0] === 'metadata' && p[1] === 'name'));
    return setAt(renamed, paths[path % paths.length] as Path, value);
  });

const hugeName = fc
  .record({
    kind: fc.constantFrom('Gateway', 'HTTPRoute', 'Service'),
    length: fc.constantFrom(253, 254, 1000),
  })
  .map(
    ({ kind, length }): Obj => ({
      apiVersion: kind === 'Service' ? 'v1' : 'gateway.networking.k8s.io/v1',
      kind,
      metadata: { name: `z${'a'.repeat(length - 1)}`, namespace: 'apps' },
      spec:
        kind === 'Service'
          ? { ports: [{ port: 80 }] }
          : {
              parentRefs: [{ name: 'gw-a' }],
              gatewayClassName: 'switchyard',
              listeners: [{ name: 'l', port: 80, protocol: 'HTTP' }],
            },
    }),
  );

const randomObject = (n: number) =>
  fc.record(
    {
      apiVersion: fc.oneof(
        fc.constantFrom('gateway.networking.k8s.io/v1', 'v1', 'example.com/v1', ''),
        fc.integer(),
      ),
      kind: fc.oneof(
        fc.constantFrom('Gateway', 'HTTPRoute', 'TCPRoute', 'GatewayClass', 'Widget', 'Deployment', ''),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      metadata: fc.oneof(
        fc.record({ name: fc.constant(`junk-r${n}`), namespace: fc.constantFrom('apps', 'Bad_NS', '') }),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      spec: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: [] },
  );

const nonObject = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.array(fc.integer(), { maxLength: 3 }),
);

const garbage = (world: readonly Obj[]) =>
  fc.array(
    fc
      .nat()
      .chain((n) =>
        fc.oneof(
          { weight: 4, arbitrary: mutated(world, n) },
          { weight: 1, arbitrary: hugeName },
          { weight: 2, arbitrary: randomObject(n) },
          { weight: 1, arbitrary: nonObject },
        ),
      ),
    { maxLength: 6 },
  );

// ---- checks ----

interface Condition {
  type: string;
  reason: string;
}
interface Status {
  conditions?: Condition[];
  listeners?: { conditions?: Condition[] }[];
  parents?: { controllerName: string; parentRef: { name: string }; conditions?: Condition[] }[];
  ancestors?: { controllerName: string; conditions?: Condition[] }[];
}

const FAMILY: Record<string, ConditionFamily> = {
  GatewayClass: 'GatewayClass',
  Gateway: 'Gateway',
  ListenerSet: 'ListenerSet',
  BackendTLSPolicy: 'BackendTLSPolicy',
};

function nonSpecConditions(object: Obj): string[] {
  const kind = String(object.kind);
  const status = (object.status ?? {}) as Status;
  const found: string[] = [];
  const check = (family: ConditionFamily, conditions: Condition[] | undefined) => {
    for (const c of conditions ?? [])
      if (!isSpecCondition(family, c)) found.push(`${kind} ${family} ${c.type}/${c.reason}`);
  };
  if (FAMILY[kind] !== undefined) check(FAMILY[kind], status.conditions);
  for (const listener of status.listeners ?? []) check('Listener', listener.conditions);
  for (const parent of status.parents ?? [])
    if (parent.controllerName === CONTROLLER) check('RouteParent', parent.conditions);
  for (const ancestor of status.ancestors ?? [])
    if (ancestor.controllerName === CONTROLLER) check('BackendTLSPolicy', ancestor.conditions);
  return found;
}

const idOf = (object: Obj) => {
  const metadata = object.metadata as { name: string; namespace?: string };
  return `${String(object.kind)} ${metadata.namespace ?? ''}/${metadata.name}`;
};

/**
 * runtime/quiescence.ts counts event-loop turns while an effect waits on real I/O, so reading the manifests more
 * slowly than ~0.3 s (a busy CI disk) ends a run with "did not come to rest". Retry that, and only that.
 */
async function steadily<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !String(error).includes('did not come to rest')) throw error;
    }
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function translateWorld(valid: readonly Obj[], junk: readonly unknown[]) {
  const isObject = (doc: unknown) => doc !== null && typeof doc === 'object' && !Array.isArray(doc);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-property-'));
  dirs.push(dir);
  const yaml = (docs: readonly unknown[]) =>
    docs.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');
  writeFileSync(join(dir, 'valid.yaml'), yaml(valid));
  // Documents that are not mappings make their whole file unreadable: they get a file of their own.
  writeFileSync(join(dir, 'garbage.yaml'), yaml(junk.filter(isObject)));
  writeFileSync(join(dir, 'scalars.yaml'), yaml(junk.filter((doc) => !isObject(doc))));
  return { dir, result: await steadily(() => translate([dir])) };
}

async function checkWorld(valid: readonly Obj[], junk: readonly unknown[]): Promise<void> {
  const { dir, result } = await translateWorld(valid, junk);
  // Only spec conditions, on every object.
  expect(result.objects.flatMap(nonSpecConditions)).toEqual([]);
  // Every well-formed object is processed; every Gateway of ours gets a status; every route a parent entry from
  // us for each of its parentRefs that names one of our Gateways in its namespace.
  const output = new Map(result.objects.map((object) => [idOf(object), object]));
  const gatewayNamespaces = new Map(
    valid
      .filter((o) => o.kind === 'Gateway')
      .map((o) => [
        (o.metadata as { name: string; namespace: string }).name,
        (o.metadata as { namespace: string }).namespace,
      ]),
  );
  for (const object of valid) {
    const out = output.get(idOf(object));
    expect(out, `${idOf(object)} was not processed`).toBeDefined();
    const status = out?.status as Status | undefined;
    if (object.kind === 'Gateway' || object.kind === 'GatewayClass')
      expect(
        status?.conditions?.map((c) => c.type),
        idOf(object),
      ).toContain('Accepted');
    if (String(object.kind).endsWith('Route')) {
      const metadata = object.metadata as { namespace: string };
      const ours = ((object.spec as { parentRefs: { name: string }[] }).parentRefs ?? []).filter(
        (ref) => gatewayNamespaces.get(ref.name) === metadata.namespace,
      );
      for (const ref of ours) {
        const entry = status?.parents?.find(
          (p) => p.controllerName === CONTROLLER && p.parentRef.name === ref.name,
        );
        expect(
          entry?.conditions?.map((c) => c.type),
          `${idOf(object)} → ${ref.name}`,
        ).toContain('Accepted');
      }
    }
  }
  // Problems point at the offending document: file and line of its start (a non-mapping document makes its file
  // unreadable, reported as file:line of that document). Objects of unknown kinds are named in the message.
  const starts = documentStarts(readFileSync(join(dir, 'garbage.yaml'), 'utf8'));
  const nonObjects = documentStarts(readFileSync(join(dir, 'scalars.yaml'), 'utf8'));
  for (const problem of result.problems) {
    const text = `${problem.origin} ${problem.message}`;
    const at = /\/(garbage|scalars)\.yaml:(\d+)/.exec(text);
    expect(at, text).not.toBeNull();
    expect((at?.[1] === 'garbage' ? starts : nonObjects).has(Number(at?.[2])), text).toBe(true);
    const ignoredKind = /^(.*): kind .* is not one Switchyard reads; ignored$/.exec(problem.message);
    if (ignoredKind !== null) expect(ignoredKind[1]).toMatch(/ (\S*\/)?(junk-\S+|<no name>)$/);
  }
}

/** Line numbers (1-based) where each document's content starts. */
function documentStarts(text: string): Set<number> {
  const lineCounter = new LineCounter();
  const starts = new Set<number>();
  for (const document of parseAllDocuments(text, { lineCounter }))
    starts.add(lineCounter.linePos(document.contents?.range?.[0] ?? 0).line);
  return starts;
}

// About 10 s together on a quiet machine; the bound leaves room for a busy CI runner.
const TIME_BOUND_MS = 60_000;

describe('translate on random and mutated Gateway API objects', () => {
  it(
    'processes well-formed worlds with spec conditions only',
    async () => {
      await fc.assert(
        fc.asyncProperty(validWorld, async (valid) => checkWorld(valid, [])),
        { numRuns: 100, seed: 6161 },
      );
    },
    TIME_BOUND_MS,
  );

  it(
    'never throws on garbage next to them, still processes the well-formed objects, and names the bad ones',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          validWorld.chain((valid) => fc.tuple(fc.constant(valid), garbage(valid))),
          async ([valid, junk]) => checkWorld(valid, junk),
        ),
        { numRuns: 150, seed: 7272 },
      );
    },
    TIME_BOUND_MS,
  );
});

// ---- incremental = from scratch ----
// The running pipeline recomputes only what a change affects (the reverse-dependency index). After any sequence
// of changes its statuses and IRs must equal those `translate` computes from scratch for the final objects.

const FIXTURES = readManifests(
  'base.yaml',
  'gatewayclass.yaml',
  'http-routes.yaml',
  'http-route-backends.yaml',
  'http-route-rules.yaml',
  'backend-tls.yaml',
  'l4-and-grpc-routes.yaml',
  'listener-sets.yaml',
  'gateways-invalid-tls.yaml',
  'gateways-conflicts.yaml',
  'gateways-secret-grants.yaml',
  'grant-one-secret-to-infra-gateways.yaml',
  'grant-services-to-infra-routes.yaml',
).map((object) =>
  // Objects sent straight to their owner get no generation from the files source: give every one its own.
  object.metadata.generation === undefined
    ? ({ ...object, metadata: { ...object.metadata, generation: 1 } } as AnyResource)
    : object,
);

/** Values a change may put in a field: names and ports that exist somewhere in the fixtures. */
const NAMES = [
  'web',
  'web-v2',
  'remote',
  'secure',
  'db',
  'dns',
  'http',
  'https',
  'tls',
  'tcp',
  'udp',
  'ca',
  'example-tls',
  'shared',
];
const PORTS = [80, 443, 8080, 5432, 53, 9000, 3000];

type Change =
  | { kind: 'delete'; which: number }
  | { kind: 'restore'; which: number }
  | { kind: 'edit'; which: number; path: number; pick: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), which: fc.nat() }),
  fc.record({ kind: fc.constant('restore' as const), which: fc.nat() }),
  fc.record({ kind: fc.constant('edit' as const), which: fc.nat(), path: fc.nat(), pick: fc.nat() }),
);

/** Replaces one name-like string or port in an object (never its own name or kind). */
function edit(object: AnyResource, path: number, pick: number): AnyResource | undefined {
  const leaves = pathsOf(object).filter((p) => {
    const last = p[p.length - 1];
    return (
      p.length > 1 &&
      p[0] !== 'apiVersion' &&
      p[0] !== 'kind' &&
      p[0] !== 'metadata' &&
      (last === 'name' ||
        last === 'port' ||
        last === 'sectionName' ||
        last === 'ca.crt' ||
        last === 'kubernetes.io/service-name' ||
        last === 'team')
    );
  });
  if (leaves.length === 0) return undefined;
  const at = leaves[path % leaves.length] as Path;
  const last = at[at.length - 1];
  const value =
    last === 'port'
      ? PORTS[pick % PORTS.length]
      : last === 'ca.crt'
        ? 'not a certificate'
        : NAMES[pick % NAMES.length];
  return setAt(object as unknown as Obj, at, value) as unknown as AnyResource;
}

const normalised = (status: unknown) =>
  JSON.parse(
    JSON.stringify(status ?? null).replace(/"lastTransitionTime":"[^"]*"/g, '"lastTransitionTime":""'),
  );

async function incrementalEqualsFromScratch(changes: readonly Change[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-incremental-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'world.yaml'), FIXTURES.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  const clock = new VirtualClock(0);
  const plane = createControlPlane({
    clock,
    logger: createLogger({ level: 'silent' }),
    files: { paths: [dir], watch: false },
  });
  const owners = kindOwners();
  const current = new Map(FIXTURES.map((object) => [formatResourceKey(keyOf(object)), object]));
  try {
    plane.system.start();
    await steadily(() => runUntilQuiescent(plane.system, clock));
    let changed = 0;
    for (const step of changes) {
      const original = FIXTURES[step.which % FIXTURES.length] as AnyResource;
      const id = formatResourceKey(keyOf(original));
      let message: Draft<ResourceEvent>;
      if (step.kind === 'delete') {
        current.delete(id);
        message = { type: 'resource.deleted', key: keyOf(original) };
      } else {
        const object =
          step.kind === 'restore' ? original : edit(current.get(id) ?? original, step.path, step.pick);
        if (object === undefined) continue;
        // An origin of its own: the change's rejection, if any, is listed under it (a later valid version of the
        // object withdraws it, so the list does not only grow).
        changed++;
        const origin = `change ${changed}`;
        message = { type: 'resource.upserted', object: object as unknown as RawObject, origin };
        await clock.advance(1_000);
        await plane.system.send<ResourceEvent>(owners[original.kind], message);
        await steadily(() => runUntilQuiescent(plane.system, clock));
        // A change the schema refuses leaves the object as it was, as an API server would.
        const rejected = plane.problems.some(
          (problem) => problem.origin === origin && problem.category === 'rejected',
        );
        if (!rejected) current.set(id, object);
        continue;
      }
      await clock.advance(1_000);
      await plane.system.send<ResourceEvent>(owners[original.kind], message);
      await steadily(() => runUntilQuiescent(plane.system, clock));
    }

    const fromScratch = await steadily(() => translate([manifestsOf([...current.values()])]));
    const deployer = plane.system.actor(GATEWAY_DEPLOYER)?.context as {
      gateways: Map<string, { ir: GatewayIR | undefined }>;
    };
    const irs = [...deployer.gateways.values()]
      .map((entry) => entry.ir)
      .filter((ir): ir is GatewayIR => ir !== undefined)
      .sort((a, b) => formatResourceKey(a.gateway).localeCompare(formatResourceKey(b.gateway)));
    expect(JSON.parse(JSON.stringify(irs))).toEqual(JSON.parse(JSON.stringify(fromScratch.irs)));
    for (const object of fromScratch.objects) {
      if (object.status === undefined) continue; // statuses written before an object stopped being ours stay
      const key = keyOf(object as RawObject);
      const running = plane.store.get(key.kind as AnyResource['kind'], key.namespace, key.name) as
        | { status?: unknown }
        | undefined;
      expect(normalised(running?.status), formatResourceKey(key)).toEqual(normalised(object.status));
    }
  } finally {
    await plane.system.stop(2_000);
    plane.close();
  }
}

function manifestsOf(objects: readonly AnyResource[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-from-scratch-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'world.yaml'), objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  return dir;
}

describe('the running pipeline after a sequence of changes', () => {
  it(
    'agrees with translate from scratch on every status and IR',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 6 }), incrementalEqualsFromScratch),
        { numRuns: 30, seed: 8383 },
      );
    },
    TIME_BOUND_MS,
  );
});
