// External processing (EnvoyExtensionPolicy `extProc`): one ext_proc filter per processor of a policy, in the
// policy's order, disabled by default on the chain and enabled on the policy's rules. What is sent follows the
// policy's processing mode: a direction's headers when it is named, its body in the named mode. A processor
// that fails or times out answers 500 (or `statusOnError`) unless the policy says `failOpen`.
import type { BodyMode, ExtensionIR, ExtProcIR } from '../../../model/ir/policies.ts';
import { protoDuration } from '../duration.ts';
import type { Json } from '../envoy-types.ts';
import { destinationCluster } from './destinations.ts';
import {
  distinctBy,
  enabledWith,
  type FilterContext,
  type HttpFilter,
  policyFilterName,
  type ServedRule,
  typed,
} from './registry.ts';

const EXT_PROC_FILTER = 'envoy.filters.http.ext_proc';
const EXT_PROC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
const PER_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute';

const BODY_MODES: Readonly<Record<BodyMode, string>> = {
  Streamed: 'STREAMED',
  Buffered: 'BUFFERED',
  BufferedPartial: 'BUFFERED_PARTIAL',
  FullDuplexStreamed: 'FULL_DUPLEX_STREAMED',
};

function extensionOf(served: ServedRule): ExtensionIR | undefined {
  const extension = served.rule.policies?.extension;
  return extension === undefined || extension.extProc.length === 0 ? undefined : extension;
}

function instanceName(extension: ExtensionIR, index: number): string {
  return `${policyFilterName(EXT_PROC_FILTER, extension.policy)}/${index}`;
}

export const extProcFilter: HttpFilter = {
  name: 'ext-proc',
  chainFilters(rules, context) {
    const policies = distinctBy(
      rules.flatMap((served) => extensionOf(served) ?? []),
      (extension) => instanceName(extension, 0),
    ).sort((a, b) => (instanceName(a, 0) < instanceName(b, 0) ? -1 : 1));
    return policies.flatMap((extension) =>
      extension.extProc.map((processor, i) => ({
        name: instanceName(extension, i),
        disabled: true,
        typedConfig: typed(EXT_PROC_TYPE, extProcConfig(processor, context)),
      })),
    );
  },
  routeConfig(served) {
    const extension = extensionOf(served);
    if (extension === undefined) return {};
    const out: Json = {};
    extension.extProc.forEach((_, i) => {
      out[instanceName(extension, i)] = enabledWith(typed(PER_ROUTE_TYPE, { overrides: {} }));
    });
    return out;
  },
};

function extProcConfig(processor: ExtProcIR, context: FilterContext): Json {
  const clusterName = destinationCluster(processor.destination, true, context);
  const attributes = (list: readonly string[] | undefined) =>
    list === undefined || list.length === 0 ? undefined : [...list];
  const requestAttributes = attributes(processor.request?.attributes);
  const responseAttributes = attributes(processor.response?.attributes);
  return {
    grpcService: { envoyGrpc: { clusterName, authority: 'ext-proc' } },
    failureModeAllow: processor.failOpen,
    messageTimeout: protoDuration(processor.messageTimeoutMs),
    processingMode: {
      requestHeaderMode: processor.request === undefined ? 'SKIP' : 'SEND',
      responseHeaderMode: processor.response === undefined ? 'SKIP' : 'SEND',
      requestBodyMode: processor.request?.body === undefined ? 'NONE' : BODY_MODES[processor.request.body],
      responseBodyMode: processor.response?.body === undefined ? 'NONE' : BODY_MODES[processor.response.body],
      requestTrailerMode: processor.request?.body === 'FullDuplexStreamed' ? 'SEND' : 'SKIP',
      responseTrailerMode: processor.response?.body === 'FullDuplexStreamed' ? 'SEND' : 'SKIP',
    },
    ...(processor.allowModeOverride ? { allowModeOverride: true } : {}),
    ...(processor.observabilityMode ? { observabilityMode: true } : {}),
    ...(requestAttributes === undefined ? {} : { requestAttributes }),
    ...(responseAttributes === undefined ? {} : { responseAttributes }),
    ...(processor.accessibleNamespaces.length > 0 || processor.writableNamespaces.length > 0
      ? {
          metadataOptions: {
            ...(processor.accessibleNamespaces.length > 0
              ? { forwardingNamespaces: { untyped: [...processor.accessibleNamespaces] } }
              : {}),
            ...(processor.writableNamespaces.length > 0
              ? { receivingNamespaces: { untyped: [...processor.writableNamespaces] } }
              : {}),
          },
        }
      : {}),
  };
}
