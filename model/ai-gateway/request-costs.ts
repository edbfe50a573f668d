// AIGatewayRoute `llmRequestCosts`: the token counts (or CEL expression over them) the ext_proc service writes to
// dynamic metadata for rate limiting. Checked here, passed on to the service as they are.

import { createRequire } from 'node:module';
import { LLM_REQUEST_COST_TYPES, type LLMRequestCost } from '../resources/ai-gateway.ts';
import type { Problem } from './statuses.ts';

const COST_TYPES: readonly string[] = LLM_REQUEST_COST_TYPES;

let parseCel: typeof import('@bufbuild/cel').parse | undefined;
/** The CEL parser, loaded on the first CEL cost: the library costs ~25 MiB RSS that most planes never need. */
function celParser(): typeof import('@bufbuild/cel').parse {
  parseCel ??= (createRequire(import.meta.url)('@bufbuild/cel') as typeof import('@bufbuild/cel')).parse;
  return parseCel;
}

/** The first cost that cannot be honoured (no metadataKey, unknown type, CEL that does not parse). */
export function requestCostsProblem(
  costs: readonly LLMRequestCost[],
  field = 'spec.llmRequestCosts',
): Problem | undefined {
  for (const [i, cost] of costs.entries()) {
    const at = `${field}[${i}]`;
    if (typeof cost?.metadataKey !== 'string' || cost.metadataKey === '')
      return { reason: 'UnsupportedValue', message: `${at}.metadataKey: required` };
    if (!COST_TYPES.includes(String(cost.type))) {
      return {
        reason: 'UnsupportedValue',
        message: `${at}.type: must be one of ${COST_TYPES.join(', ')}, not '${String(cost.type)}'`,
      };
    }
    if (cost.type === 'CEL') {
      try {
        celParser()(String(cost.cel ?? ''));
      } catch (error) {
        return {
          reason: 'UnsupportedValue',
          message: `${at}.cel: the CEL expression does not parse: ${(error as Error).message}`,
        };
      }
    }
  }
  return undefined;
}

/** A cost as the ext_proc configuration carries it (the CEL expression only for CEL costs). */
export function costDocument(cost: LLMRequestCost): LLMRequestCost {
  return {
    metadataKey: cost.metadataKey,
    type: cost.type,
    ...(cost.type === 'CEL' && typeof cost.cel === 'string' ? { cel: cost.cel } : {}),
  };
}
