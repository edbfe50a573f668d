import { stringify } from 'yaml';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import type { DeployedGateway } from '../actors/gateway-deployer/machine.ts';
import type { AgentgatewayResources } from '../backends/agentgateway/translate-gateway.ts';
import type { EnvoyResources } from '../backends/envoy/translate-gateway.ts';
import type { TlsMaterial } from '../model/ir/backend-contract.ts';
import type { GatewayIR } from '../model/ir/gateway-ir.ts';
import { isPolicyKind, policyKindRules, policyProblemsAsWritten } from '../model/policies/index.ts';
import type { EnvoyGatewayPolicy } from '../model/resources/envoy-gateway-policies.ts';
import type { KindName } from '../model/resources/kinds.ts';
import { describeResourceKey, formatResourceKey } from '../model/resources/resource-key.ts';
import { failingConditions } from '../model/shared/conditions.ts';
import type { ResourceView } from '../model/shared/resource-view.ts';
import { REDACTED_KEY, redactShown, SECRET_KINDS, secretValuesOf } from '../model/shared/secret-fields.ts';
import { sequentialIds } from '../runtime/ids.ts';
import { createLogger } from '../runtime/logger.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import type { CrdValidator } from '../sources/files/crd-validation/crd-validator.ts';
import type { SourceProblem } from '../sources/files/machine.ts';
import { FILES_SOURCE } from '../sources/files/messages.ts';
import { filesSummary } from '../sources/files/source-state.ts';
import { ProblemBook } from '../sources/problem-book.ts';
import type { Command } from './command.ts';
import { createControlPlane } from './control-plane.ts';

export interface TranslateResult {
  /** Every input object the pipeline accepted, in input order, with its computed status. */
  readonly objects: readonly Record<string, unknown>[];
  readonly irs: readonly GatewayIR[];
  /** Envoy resources per Gateway of an `envoy` class, keyed by `namespace/name`. */
  readonly xds: Readonly<Record<string, EnvoyResources>>;
  /** agentgateway resources per Gateway of an `agentgateway` class, keyed by `namespace/name`. */
  readonly agentgateway: Readonly<Record<string, AgentgatewayResources>>;
  /** Problems with the input no status carries (unreadable files, ignored kinds, schema failures): bounded. */
  readonly problems: readonly TranslateProblem[];
  /** One line per object whose status says it does not work as written (input order). */
  readonly rejections: readonly TranslateProblem[];
  /** Every input object once: accepted as written, rejected (schema or status), of a kind no one reads. */
  readonly summary: {
    readonly accepted: number;
    readonly rejected: number;
    readonly ignored: number;
    /** Files (or paths) that could not be read at all. */
    readonly refused: number;
  };
}

export type TranslateProblem = SourceProblem;

/**
 * Runs the same actors as the controller, offline, on a virtual clock: no cluster, no network, no real time.
 * Condition times are the clock's start, so the output is diffable.
 */
export async function translate(
  paths: readonly string[],
  controllerName?: string,
  crds?: CrdValidator,
): Promise<TranslateResult> {
  const clock = new VirtualClock(0);
  const plane = createControlPlane({
    clock,
    ids: sequentialIds('t'),
    logger: createLogger({ level: 'silent' }),
    files: { paths, watch: false, ...(crds === undefined ? {} : { crds }) },
    ...(controllerName === undefined ? {} : { controllerName }),
  });
  plane.system.start();
  await runUntilQuiescent(plane.system, clock);
  await plane.system.stop(5_000);
  plane.close();

  // Input order: files sorted, documents in file order; each object once, as it ended up.
  const read = filesSummary(plane.system.actor(FILES_SOURCE)?.context);
  const summary = { accepted: 0, rejected: 0, ignored: 0, refused: read.unlisted.length };
  const rejections: TranslateProblem[] = [];
  const seen = new Set<string>();
  const objects: Record<string, unknown>[] = [];
  for (const file of read.files) {
    summary.ignored += file.ignored;
    if (file.refused !== undefined) summary.refused++;
    for (const { key, origin } of file.objects) {
      const id = formatResourceKey(key);
      if (seen.has(id)) continue;
      seen.add(id);
      const stored = plane.store.get(key.kind as KindName, key.namespace, key.name);
      // Not stored: its schema check refused it (the problems say why).
      if (stored === undefined) {
        summary.rejected++;
        continue;
      }
      objects.push(stored as unknown as Record<string, unknown>);
      const failing = failingConditions((stored as { status?: unknown }).status);
      // A policy that selects nothing has no ancestor to carry what is wrong with it: said here instead.
      if (failing.length === 0) failing.push(...unanchoredPolicyProblems(stored));
      if (failing.length === 0) {
        summary.accepted++;
        continue;
      }
      summary.rejected++;
      rejections.push({
        origin,
        message: `${describeResourceKey(key)}: ${failing.join('; ')}`,
        category: 'rejected',
      });
    }
  }
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)?.context as
    | { gateways: Map<string, DeployedGateway> }
    | undefined;
  const irs = [...(deployer?.gateways.values() ?? [])]
    .map((entry) => entry.ir)
    .filter((ir): ir is GatewayIR => ir !== undefined)
    .sort((a, b) => formatResourceKey(a.gateway).localeCompare(formatResourceKey(b.gateway)));
  const xds: Record<string, EnvoyResources> = {};
  const agentgateway: Record<string, AgentgatewayResources> = {};
  // A backend's translator (the translator alone, not the backend's index: that brings the xDS servers, gRPC,
  // protobufjs and metrics) loads only when a Gateway uses that backend (bench/translate.startup).
  const backends = new Set(irs.map((ir) => ir.parameters.backend));
  const envoy = backends.has('envoy') ? await import('../backends/envoy/translate-gateway.ts') : undefined;
  const agentgatewayTranslator = backends.has('agentgateway')
    ? await import('../backends/agentgateway/translate-gateway.ts')
    : undefined;
  for (const ir of irs) {
    const id = `${ir.gateway.namespace}/${ir.gateway.name}`;
    if (ir.parameters.backend === 'envoy' && envoy !== undefined)
      xds[id] = envoy.translateGateway(ir, redactedTls(plane.store, ir));
    if (ir.parameters.backend === 'agentgateway' && agentgatewayTranslator !== undefined)
      agentgateway[id] = agentgatewayTranslator.translateGateway(ir, redactedTls(plane.store, ir));
  }
  // Everything printed is shown without secret values (docs/operations.md, "Secrets in output").
  const secrets = secretValuesOf(SECRET_KINDS.flatMap((kind) => plane.store.list(kind as KindName)));
  const shown = <T>(value: T) => redactShown(value, secrets) as T;
  return {
    objects: objects.map(shown),
    irs: irs.map(shown),
    xds: shown(xds),
    agentgateway: shown(agentgateway),
    problems: plane.problems,
    rejections,
    summary,
  };
}

/** The certificates an IR references, with their private keys replaced (translate prints what it computes). */
/** What is wrong with a policy as written, when no ancestor of its status says it (a selector selecting nothing). */
function unanchoredPolicyProblems(object: { kind: string }): string[] {
  if (!isPolicyKind(object.kind)) return [];
  const rules = policyKindRules(object.kind);
  if (rules === undefined) return [];
  return policyProblemsAsWritten(object as EnvoyGatewayPolicy, rules).map(
    (problem) => `no target to report on; ${problem}`,
  );
}

function redactedTls(view: ResourceView, ir: GatewayIR): Record<string, TlsMaterial> {
  const material: Record<string, TlsMaterial> = {};
  for (const listener of ir.ports.flatMap((port) => port.listeners)) {
    for (const key of listener.tls?.certificates ?? []) {
      const secret = view.get('Secret', key.namespace, key.name);
      const chain = secret?.data?.['tls.crt'];
      if (chain === undefined) continue;
      material[formatResourceKey(key)] = {
        certificateChain: Buffer.from(chain, 'base64').toString('utf8'),
        privateKey: REDACTED_KEY,
      };
    }
  }
  return material;
}

export const translateCommand: Command = {
  name: 'translate',
  summary:
    'compute statuses and the Gateway IR offline from YAML files (no cluster; checked against the CRDs)',
  usage:
    'switchyard translate -f <file-or-dir>... [--crds <file-or-dir>]... [-o yaml|json] [--show status|ir|xds|all] [--allow-ignored-kinds]',
  options: {
    filename: {
      kind: 'list',
      short: 'f',
      valueLabel: '<file-or-dir>',
      description: 'manifests to read (repeatable; directories are read recursively)',
    },
    output: {
      kind: 'enum',
      short: 'o',
      values: ['yaml', 'json'],
      default: 'yaml',
      description: 'output format',
    },
    show: {
      kind: 'enum',
      values: ['status', 'ir', 'xds', 'all'],
      default: 'status',
      description:
        'what to print: the input resources with their status, the Gateway IR, the xDS resources, or all',
    },
    'controller-name': {
      kind: 'string',
      default: 'switchyard.dev/gateway-controller',
      description: 'GatewayClass spec.controllerName to act as',
    },
    crds: {
      kind: 'list',
      valueLabel: '<file-or-dir>',
      description:
        "CustomResourceDefinitions whose schemas and validation rules objects must pass, as the API server would check them (repeatable), in place of the same CRDs of the defaults: Switchyard's own (deploy/crds/) and Gateway API's and InferencePool's releases, fetched into the user's cache on first use (switchyard fetch-crds)",
    },
    'allow-ignored-kinds': {
      kind: 'boolean',
      default: false,
      description:
        'exit 0 although some objects are of kinds Switchyard does not read (they are still counted as ignored)',
    },
  },
  endsOnStop: () => true,
  async run(parsed, io) {
    const files = (parsed.values.filename as readonly string[] | undefined) ?? [];
    const paths = [...files, ...parsed.positionals];
    if (paths.length === 0) {
      io.stderr.write('switchyard translate: no input; give manifests with -f <file-or-dir>\n');
      return 2;
    }
    const crdPaths = (parsed.values.crds as readonly string[] | undefined) ?? [];
    let crds: CrdValidator;
    let saveVerdicts: () => void;
    try {
      const loaded = await (await crdValidation()).loadFilesModeCrds(crdPaths, io.env, {
        keepVerdicts: true,
      });
      crds = loaded.validator;
      saveVerdicts = loaded.saveVerdicts;
      if (loaded.notice !== undefined) io.stderr.write(`switchyard translate: ${loaded.notice}\n`);
    } catch (error) {
      io.stderr.write(`switchyard translate: --crds: ${(error as Error).message}\n`);
      return 2;
    }
    const result = await translate(paths, parsed.values['controller-name'] as string, crds);
    saveVerdicts();
    // Problems first, then one line per object whose status says it does not work: as many per file as the
    // controller would list (the summary counts them all).
    const rejections = new ProblemBook();
    for (const rejection of result.rejections) rejections.add(rejection);
    for (const problem of [...result.problems, ...rejections.list()]) {
      const where = problem.message.startsWith(problem.origin) ? '' : `${problem.origin}: `;
      io.stderr.write(`${where}${problem.message}\n`);
    }
    const show = parsed.values.show as string;
    const documents: unknown[] = [];
    // One document at a time: a spread of 100,000 objects would pass them all as call arguments.
    if (show === 'status' || show === 'all') for (const object of result.objects) documents.push(object);
    if (show === 'ir' || show === 'all') {
      documents.push(
        ...result.irs.map((ir) => ({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'GatewayIR', ir })),
      );
    }
    if (show === 'xds' || show === 'all') {
      for (const [gateway, resources] of Object.entries(result.xds)) {
        documents.push({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'EnvoyResources', gateway, resources });
      }
      for (const [gateway, resources] of Object.entries(result.agentgateway)) {
        documents.push({
          apiVersion: 'switchyard.dev/v1alpha1',
          kind: 'AgentgatewayResources',
          gateway,
          resources,
        });
      }
    }
    if (parsed.values.output === 'json') {
      io.stdout.write(`${JSON.stringify(documents, null, 2)}\n`);
    } else {
      io.stdout.write(
        documents
          .map((document) => stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }))
          .join('---\n'),
      );
    }
    const { accepted, rejected, ignored, refused } = result.summary;
    const allowIgnored = parsed.values['allow-ignored-kinds'] === true;
    io.stderr.write(
      `translate: ${accepted} accepted, ${rejected} rejected, ${ignored} ignored${allowIgnored && ignored > 0 ? ' (allowed)' : ''}${refused > 0 ? `, ${refused} ${refused === 1 ? 'file' : 'files'} refused` : ''}\n`,
    );
    return rejected > 0 || refused > 0 || (ignored > 0 && !allowIgnored) ? 1 : 0;
  },
};

/** Loaded once the flags are read: the CEL evaluator and the CRD reader are large, and `--help` does without them. */
function crdValidation(): Promise<typeof import('../sources/files/crd-validation/load-crds.ts')> {
  return import('../sources/files/crd-validation/load-crds.ts');
}
