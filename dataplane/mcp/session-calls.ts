// A client request as the session's actor and metrics see it (what it was, where it went, how it ended), and the
// one rewrite every result bound for the client gets: resource URIs carry their backend.
import { ErrorCode, type Result } from '@modelcontextprotocol/sdk/types.js';
import { BackendError, RpcError } from './backend-errors.ts';
import { prefixUri } from './names.ts';

/** How a client request ended, for metrics and the actor. */
export type CallOutcome = 'ok' | 'tool_error' | 'error' | 'unavailable' | 'refused';

export interface CallSummary {
  readonly method: string;
  /** The backend it went to (undefined for fan-outs and refusals without a backend). */
  readonly backend: string | undefined;
  /** For tools/call: the backend's own tool name. */
  readonly tool: string | undefined;
  readonly outcome: CallOutcome;
  readonly seconds: number;
}

/** A client request handed to the session's actor (pure data: the work stays here, under `callId`). */
export interface QueuedCall {
  readonly callId: string;
  readonly method: string;
  /** What it is about: a prefixed tool/prompt name or resource URI; undefined for fan-outs. */
  readonly target: string | undefined;
}

/** Thrown by `runCall` for a request that failed, so the actor's trace shows the failure and its reason. */
export class CallFailure extends Error {
  readonly summary: CallSummary;

  constructor(summary: CallSummary, message: string) {
    super(message);
    this.name = 'CallFailure';
    this.summary = summary;
  }
}

export function classify(error: unknown): CallOutcome {
  if (error instanceof BackendError) return 'unavailable';
  if (
    error instanceof RpcError &&
    error.code === ErrorCode.InvalidParams &&
    error.message.startsWith('Unknown tool')
  )
    return 'refused';
  return 'error';
}

export /** Resource URIs in a tool result or a read result carry the backend, so the client can read them back. */
function prefixContentUris(backend: string, result: Result): Result {
  const rewrite = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object') return item;
    const entry = item as Record<string, unknown>;
    if (entry.type === 'resource_link' && typeof entry.uri === 'string')
      return { ...entry, uri: prefixUri(backend, entry.uri) };
    if (
      entry.type === 'resource' &&
      typeof (entry.resource as { uri?: unknown } | undefined)?.uri === 'string'
    ) {
      const resource = entry.resource as { uri: string };
      return { ...entry, resource: { ...resource, uri: prefixUri(backend, resource.uri) } };
    }
    return item;
  };
  const out = { ...result } as Record<string, unknown>;
  if (Array.isArray(out.content)) out.content = out.content.map(rewrite);
  if (Array.isArray(out.contents))
    out.contents = out.contents.map((item: { uri?: unknown }) =>
      typeof item?.uri === 'string' ? { ...item, uri: prefixUri(backend, item.uri) } : item,
    );
  return out as Result;
}
