import { stringify } from 'yaml';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import type { DeployedGateway } from '../actors/gateway-deployer/machine.ts';
import {
  type AgentgatewayResources,
  translateGateway as translateAgentgateway,
} from '../backends/agentgateway/index.ts';
import { type EnvoyResources, translateGateway } from '../backends/envoy/index.ts';
import type { TlsMaterial } from '../model/ir/backend-contract.ts';
import type { GatewayIR } from '../model/ir/gateway-ir.ts';
import type { KindName } from '../model/resources/kinds.ts';
import { formatResourceKey, keyOf } from '../model/resources/resource-key.ts';
import type { ResourceView } from '../model/shared/resource-view.ts';
import { sequentialIds } from '../runtime/ids.ts';
import { createLogger } from '../runtime/logger.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import { findManifestFiles, readManifestFile } from '../sources/files/manifests.ts';
import type { Command } from './command.ts';
import { createControlPlane } from './control-plane.ts';

/** Private keys never leave translate: the SDS secrets it shows carry this instead. */
export const REDACTED_KEY = '[REDACTED: private key]';

export interface TranslateResult {
  /** Every input object the pipeline accepted, in input order, with its computed status. */
  readonly objects: readonly Record<string, unknown>[];
  readonly irs: readonly GatewayIR[];
  /** Envoy resources per Gateway of an `envoy` class, keyed by `namespace/name`. */
  readonly xds: Readonly<Record<string, EnvoyResources>>;
  /** agentgateway resources per Gateway of an `agentgateway` class, keyed by `namespace/name`. */
  readonly agentgateway: Readonly<Record<string, AgentgatewayResources>>;
  readonly problems: readonly { origin: string; message: string; unreadable?: boolean }[];
}

/**
 * Runs the same actors as the controller, offline, on a virtual clock: no cluster, no network, no real time.
 * Condition times are the clock's start, so the output is diffable.
 */
export async function translate(paths: readonly string[], controllerName?: string): Promise<TranslateResult> {
  const clock = new VirtualClock(0);
  const plane = createControlPlane({
    clock,
    ids: sequentialIds('t'),
    logger: createLogger({ level: 'silent' }),
    files: { paths, watch: false },
    ...(controllerName === undefined ? {} : { controllerName }),
  });
  plane.system.start();
  await runUntilQuiescent(plane.system, clock);
  await plane.system.stop(5_000);
  plane.close();

  // Input order: files sorted, documents in file order; each object once, as it ended up.
  const { files } = await findManifestFiles(paths);
  const seen = new Set<string>();
  const objects: Record<string, unknown>[] = [];
  for (const file of files) {
    for (const { object } of (await readManifestFile(file)).documents) {
      const key = keyOf(object);
      const id = formatResourceKey(key);
      if (seen.has(id)) continue;
      const stored = plane.store.get(key.kind as KindName, key.namespace, key.name);
      if (stored === undefined) continue;
      seen.add(id);
      objects.push(stored as unknown as Record<string, unknown>);
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
  for (const ir of irs) {
    const id = `${ir.gateway.namespace}/${ir.gateway.name}`;
    if (ir.parameters.backend === 'envoy') xds[id] = translateGateway(ir, redactedTls(plane.store, ir));
    if (ir.parameters.backend === 'agentgateway') {
      agentgateway[id] = translateAgentgateway(ir, redactedTls(plane.store, ir));
    }
  }
  return { objects, irs, xds, agentgateway, problems: plane.problems };
}

/** The certificates an IR references, with their private keys replaced (translate prints what it computes). */
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
  summary: 'compute statuses and the Gateway IR offline from YAML files (no cluster, no network)',
  usage: 'switchyard translate -f <file-or-dir>... [-o yaml|json] [--show status|ir|xds|all]',
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
  },
  async run(parsed, io) {
    const files = (parsed.values.filename as readonly string[] | undefined) ?? [];
    const paths = [...files, ...parsed.positionals];
    if (paths.length === 0) {
      io.stderr.write('switchyard translate: no input; give manifests with -f <file-or-dir>\n');
      return 2;
    }
    const result = await translate(paths, parsed.values['controller-name'] as string);
    for (const problem of result.problems) {
      const where = problem.message.startsWith(problem.origin) ? '' : `${problem.origin}: `;
      io.stderr.write(`${where}${problem.message}\n`);
    }
    if (result.problems.some((problem) => problem.unreadable)) return 1;
    const show = parsed.values.show as string;
    const documents: unknown[] = [];
    if (show === 'status' || show === 'all') documents.push(...result.objects);
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
    return 0;
  },
};
