// EnvoyExtensionPolicy `extProc` → agentgateway's `extProc` traffic policy (it speaks Envoy's ext_proc protocol):
// the processor's first reachable endpoint, fail open or closed, and per phase the headers sent or skipped and the
// body mode (Buffered, BufferedPartial, FullDuplexStreamed with its trailers; none when unset), as the Envoy
// backend configures it. agentgateway has no Streamed body mode, no per-message timeout, no observability
// (shadow) mode, no attributes by Envoy's names and no metadata namespaces, and runs one processor per route:
// those are named and the rule fails closed. The message timeout Envoy Gateway defaults to (200 ms) is not
// expressed: agentgateway waits for the processor.
import type { BodyMode, ExtensionIR } from '../../../model/ir/policies.ts';
import type { Json } from '../types.ts';
import { destinationRef, type FamilyOutput, type PolicyContext, type Unsupported } from './context.ts';

const DEFAULT_MESSAGE_TIMEOUT_MS = 200;

const BODY_MODES: Readonly<Record<BodyMode, string | undefined>> = {
  Streamed: undefined,
  Buffered: 'BUFFERED',
  BufferedPartial: 'BUFFERED_PARTIAL',
  FullDuplexStreamed: 'FULL_DUPLEX_STREAMED',
};

export function extProcPolicy(extension: ExtensionIR, context: PolicyContext): FamilyOutput {
  const unsupported: Unsupported[] = [];
  const refuse = (field: string, why: string) =>
    unsupported.push({ policy: extension.policy, kind: 'EnvoyExtensionPolicy', field, why });
  if (extension.extProc.length > 1)
    refuse('spec.extProc', `${extension.extProc.length} processors; agentgateway runs one per route`);
  const processor = extension.extProc[0];
  if (processor === undefined) return {};
  const field = 'spec.extProc[0]';
  if (processor.messageTimeoutMs !== DEFAULT_MESSAGE_TIMEOUT_MS)
    refuse(`${field}.messageTimeout`, 'agentgateway has no per-message timeout for a processor');
  if (processor.observabilityMode) refuse(`${field}.observabilityMode`, 'agentgateway has no shadow mode');
  if (processor.accessibleNamespaces.length > 0 || processor.writableNamespaces.length > 0)
    refuse(`${field}.metadata`, "agentgateway's processors see no Envoy metadata namespaces");
  const options: Json = { allowModeOverride: processor.allowModeOverride };
  for (const phase of ['request', 'response'] as const) {
    const mode = processor[phase];
    if (mode === undefined) {
      options[`${phase}HeaderMode`] = 'SKIP';
      options[`${phase}TrailerMode`] = 'SKIP';
      continue;
    }
    if (mode.attributes.length > 0)
      refuse(
        `${field}.processingMode.${phase}.attributes`,
        "agentgateway's attributes are CEL, not Envoy's names",
      );
    options[`${phase}HeaderMode`] = 'SEND';
    if (mode.body !== undefined) {
      const body = BODY_MODES[mode.body];
      if (body === undefined)
        refuse(`${field}.processingMode.${phase}.body`, `${mode.body}: agentgateway has no such body mode`);
      else options[`${phase}BodyMode`] = body;
    }
    options[`${phase}TrailerMode`] = mode.body === 'FullDuplexStreamed' ? 'SEND' : 'SKIP';
  }
  const target = destinationRef(processor.destination, context, 'ext-proc');
  if (target === undefined) refuse(`${field}.backendRefs`, 'no reachable endpoint of the processor');
  if (unsupported.length > 0 || target === undefined) return { unsupported };
  return {
    traffic: [
      {
        extProc: {
          target,
          failureMode: processor.failOpen ? 'FAIL_OPEN' : 'FAIL_CLOSED',
          processingOptions: options,
        },
      },
    ],
  };
}
