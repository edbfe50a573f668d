// How a call to a backend MCP server fails: the backend's own JSON-RPC error, relayed to the client with its code
// (RpcError), or a failure of the backend itself (BackendError), each handled by what it is (BackendFailure).
/** Why a backend could not answer: each has its own handling (re-initialise, report down, relay the status). */
export type BackendFailure = 'unreachable' | 'session-expired' | 'http' | 'protocol' | 'timeout' | 'closed';

export class BackendError extends Error {
  readonly backend: string;
  readonly failure: BackendFailure;
  readonly status: number | undefined;

  constructor(backend: string, failure: BackendFailure, message: string, status?: number) {
    super(message);
    this.name = 'BackendError';
    this.backend = backend;
    this.failure = failure;
    this.status = status;
  }
}

/** A JSON-RPC error the backend answered with: relayed to the client with its code, message and data. */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}
