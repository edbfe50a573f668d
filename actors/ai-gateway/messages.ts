// The AI Gateway actors' inboxes: the controller that owns Envoy AI Gateway's kinds, and the writer that delivers
// the ext_proc configuration to the ext_proc service (a file in standalone mode; see docs/extproc.md).
import type { ExtProcConfigDocument } from '../../model/ai-gateway/extproc-config.ts';
import type { ConfigDesired } from '../shared/config-writer.ts';

export const AI_GATEWAY_CONTROLLER = 'controller.ai-gateway';
export const EXTPROC_CONFIG_WRITER = 'ai-gateway.extproc-config';

/** The whole ext_proc configuration as it should be now (the writer coalesces to the latest). */
export type ExtProcConfigDesired = ConfigDesired<ExtProcConfigDocument>;

export type ExtProcConfigWriterMessage = ExtProcConfigDesired;
