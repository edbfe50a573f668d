// The inspector's public surface (docs/inspector.md).
export type { FlowFilter, FlowStep } from './flow.ts';
export type { Inspector, InspectorOptions } from './InspectorServer.ts';
export {
  DEFAULT_INSPECTOR_ADDRESS,
  InspectorAddressError,
  isLoopback,
  parseInspectorAddress,
  startInspector,
} from './InspectorServer.ts';
export type { ReplayControls, ReplayRecordSummary, ReplayState } from './ReplayControls.ts';
export type { NumberedTraceEvent } from './TraceBuffer.ts';
export { TraceBuffer } from './TraceBuffer.ts';
