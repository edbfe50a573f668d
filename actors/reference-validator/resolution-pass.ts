// A recomputation pass of the reference validator: what it has still to do, phase by phase (routes, then the
// Gateways, policies and pools they and the dirty set named, then the AI Gateway kinds, then MCPRoutes), and the
// messages not yet handed out.
import type { ParentLookup } from '../../model/gateway-api/attachment.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { DeliverRequest } from '../../runtime/outbox.ts';

export /** A recomputation under way: what it has still to do, and the messages not yet handed out. */
interface Pass {
  readonly now: string;
  readonly lookup: ParentLookup;
  out: DeliverRequest[];
  readonly routes: ResourceKey[];
  readonly gateways: Map<string, ResourceKey>;
  readonly policies: Map<string, ResourceKey>;
  readonly pools: Map<string, ResourceKey>;
  /**
   * The Envoy Gateway policies changed: the Gateways each applies to now and applied to before join `gateways`
   * when the routes phase ends, so a policy on a route changed in the same pass reads the route's one new
   * evaluation instead of evaluating the route a second time.
   */
  readonly retargeted: ResourceKey[];
  readonly aiChanged: boolean;
  readonly mcpChanged: boolean;
  /** Routes, then the Gateways, policies and pools they (and the dirty set) named, then the AI Gateway kinds, then MCPRoutes. */
  phase: 'routes' | 'gateways' | 'policies' | 'pools' | 'ai' | 'mcp' | 'done';
  /** The current phase's items, and the next one to do. */
  queue: readonly ResourceKey[];
  next: number;
}

/** Moves a pass to its next phase, with that phase's work queue (in the order the earlier phases built it). */
export function nextPhase(pass: Pass): void {
  pass.next = 0;
  if (pass.phase === 'routes') {
    pass.phase = 'gateways';
    pass.queue = [...pass.gateways.values()];
  } else if (pass.phase === 'gateways') {
    pass.phase = 'policies';
    pass.queue = [...pass.policies.values()];
  } else if (pass.phase === 'policies') {
    pass.phase = 'pools';
    pass.queue = [...pass.pools.values()];
  } else {
    pass.phase = pass.aiChanged ? 'ai' : pass.mcpChanged ? 'mcp' : 'done';
    pass.queue = [];
  }
}
