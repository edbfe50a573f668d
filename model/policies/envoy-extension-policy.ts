// EnvoyExtensionPolicy (gateway.envoyproxy.io/v1alpha1) → the IR's ExtensionIR: external processors (ext_proc)
// to a gRPC Service, in the policy's order, with their processing mode, message timeout, fail open/closed, shadow
// mode and metadata namespaces. Wasm, Lua and dynamic modules are refused with a condition naming the field
// (Switchyard does not load code into Envoy), and so the targeted routes are denied rather than served without
// the extension the user asked for.
import type { BodyMode, ExtensionIR, ExtProcIR } from '../ir/policies.ts';
import type { EnvoyExtensionPolicy, ExtProc } from '../resources/envoy-gateway-policies.ts';
import { keyOf } from '../resources/resource-key.ts';
import { parseGatewayDuration } from '../shared/durations.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  CLUSTER_POLICY_CONTEXT,
  invalid,
  type PolicyContext,
  type PolicyKindRules,
  type PolicyVerdict,
} from './attachment.ts';
import { failure, type Resolved, resolvePolicyBackend } from './policy-backends.ts';

const DEFAULT_MESSAGE_TIMEOUT_MS = 200;
/** The body modes the shipped Envoy API (and so our encoder) knows; FullDuplexStreamed is newer. */
const BODY_MODES: readonly BodyMode[] = ['Streamed', 'Buffered', 'BufferedPartial'];

export const envoyExtensionPolicyRules: PolicyKindRules<ExtensionIR> = {
  kind: 'EnvoyExtensionPolicy',
  targetKinds: ['Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'TCPRoute', 'UDPRoute', 'TLSRoute'],
  scope: 'rule',
  evaluate: (policy, view, context) =>
    evaluateEnvoyExtensionPolicy(policy as EnvoyExtensionPolicy, view, context),
};

export function evaluateEnvoyExtensionPolicy(
  policy: EnvoyExtensionPolicy,
  view: ResourceView,
  context: PolicyContext = CLUSTER_POLICY_CONTEXT,
): PolicyVerdict<ExtensionIR> {
  const spec = policy.spec ?? {};
  const refuse = (message: string) => invalid<ExtensionIR>(message);
  for (const field of ['wasm', 'lua', 'dynamicModule'] as const) {
    if ((spec[field]?.length ?? 0) > 0)
      return refuse(`spec.${field}: not supported by Switchyard (it loads no code into Envoy); remove it`);
  }
  if (spec.mergeType !== undefined) return refuse('spec.mergeType: not supported by Switchyard; remove it');
  const extProc: ExtProcIR[] = [];
  for (const [i, processor] of (spec.extProc ?? []).entries()) {
    const result = extProcOf(policy, processor, view, `spec.extProc[${i}]`, context);
    if (!result.ok) return refuse(result.message);
    extProc.push(result.value);
  }
  return { ok: true, ir: { policy: keyOf(policy), extProc } };
}

function extProcOf(
  policy: EnvoyExtensionPolicy,
  processor: ExtProc,
  view: ResourceView,
  field: string,
  context: PolicyContext,
): Resolved<ExtProcIR> {
  if (processor.statusOnError !== undefined)
    return failure(`${field}.statusOnError: not supported by Switchyard; remove it (a failure answers 500)`);
  const destination = resolvePolicyBackend(policy, processor, view, field, context);
  if (!destination.ok) return destination;
  const messageTimeoutMs =
    processor.messageTimeout === undefined
      ? DEFAULT_MESSAGE_TIMEOUT_MS
      : parseGatewayDuration(processor.messageTimeout);
  if (messageTimeoutMs === undefined)
    return failure(`${field}.messageTimeout: "${processor.messageTimeout}" is not a duration`);
  const direction = (name: 'request' | 'response') => {
    const options = processor.processingMode?.[name];
    if (options === undefined || options === null) return { ok: true as const, value: undefined };
    const body = options.body as BodyMode | undefined;
    if (body !== undefined && !BODY_MODES.includes(body))
      return failure<undefined>(
        `${field}.processingMode.${name}.body: ${body} is not supported by Switchyard; use ${BODY_MODES.join(', ')}`,
      );
    return {
      ok: true as const,
      value: { ...(body === undefined ? {} : { body }), attributes: [...(options.attributes ?? [])] },
    };
  };
  const request = direction('request');
  if (!request.ok) return request;
  const response = direction('response');
  if (!response.ok) return response;
  return {
    ok: true,
    value: {
      destination: destination.value,
      messageTimeoutMs,
      failOpen: processor.failOpen === true,
      ...(request.value === undefined ? {} : { request: request.value }),
      ...(response.value === undefined ? {} : { response: response.value }),
      allowModeOverride: processor.processingMode?.allowModeOverride === true,
      observabilityMode: processor.shadowMode === true,
      accessibleNamespaces: [...(processor.metadata?.accessibleNamespaces ?? [])],
      writableNamespaces: [...(processor.metadata?.writableNamespaces ?? [])],
    },
  };
}
