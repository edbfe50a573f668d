// The AI data plane: an Envoy ext_proc service whose actor pool translates LLM requests between provider APIs.
export type { Backend, BackendSchema, ExtProcConfig, ModelInfo, RoutingRule } from './config.ts';
export { ConfigError, loadExtProcConfig, parseExtProcConfig } from './config.ts';
export { externalProcessorService, externalProcessorTypes } from './external-processor-service.ts';
export type { ExtProcServer, ExtProcServerOptions, ExtProcServerStats } from './extproc-server.ts';
export { startExtProcServer } from './extproc-server.ts';
export type { RunExtProcOptions } from './run-ext-proc.ts';
export { runExtProc } from './run-ext-proc.ts';
export type { LlmRequestCost } from './token-costs.ts';
export type { ExtProcWorkersOptions } from './worker-processes.ts';
export { superviseExtProcWorkers } from './worker-processes.ts';
