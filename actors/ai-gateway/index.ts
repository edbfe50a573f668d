// Envoy AI Gateway's kinds in the control plane: a controller owns AIGatewayRoute, AIServiceBackend and
// BackendSecurityPolicy in the shared state (the reference validator evaluates them with model/ai-gateway/),
// and a writer delivers the ext_proc configuration they make through a port (cli/extproc-config-port.ts).

import type { ExtProcConfigDocument } from '../../model/ai-gateway/extproc-config.ts';
import { AI_GATEWAY_KINDS } from '../../model/resources/ai-gateway.ts';
import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { EffectReply } from '../../runtime/outbox.ts';
import { type ConfigWriterInput, configWriterSpec } from '../shared/config-writer.ts';
import { kindOwnerSpec } from '../shared/kind-owner-spec.ts';
import { AI_GATEWAY_CONTROLLER, EXTPROC_CONFIG_WRITER, type ExtProcConfigWriterMessage } from './messages.ts';

export { AI_GATEWAY_CONTROLLER, EXTPROC_CONFIG_WRITER } from './messages.ts';

export const AI_GATEWAY_OWNED_KINDS: readonly KindName[] = AI_GATEWAY_KINDS;

export function aiGatewayControllerSpec(store: ResourceStore) {
  return kindOwnerSpec(AI_GATEWAY_CONTROLLER, AI_GATEWAY_OWNED_KINDS, store);
}

export function extProcConfigWriterSpec(
  write: (request: { config: ExtProcConfigDocument }) => Promise<unknown>,
  input: ConfigWriterInput = {},
): ActorSpec<ExtProcConfigWriterMessage | EffectReply> {
  return configWriterSpec(EXTPROC_CONFIG_WRITER, write, input);
}
