// Public surface of the model: Gateway API v1.6.1 rules as pure functions, shared by actors, translate and replay.

export {
  type AttachmentResult,
  attachRouteToListeners,
  createParentLookup,
  type ListenerAttachment,
  type ParentLookup,
  type ResolvedParent,
} from './attachment.ts';
export {
  type BackendRefResult,
  type Endpoint,
  type ResolvedBackend,
  readyEndpoints,
  resolveBackendRef,
} from './backend-refs.ts';
export {
  type BackendTLS,
  backendTLSFor,
  backendTLSPolicyAncestors,
  computeBackendTLSPolicyStatus,
} from './backend-tls-policies.ts';
export {
  type ConditionFamily,
  type ConditionSpec,
  ConditionType,
  condition,
  findCondition,
  GatewayClassReason,
  GatewayReason,
  isSpecCondition,
  ListenerReason,
  ListenerSetReason,
  mergeConditions,
  PolicyReason,
  RouteReason,
  SPEC_CONDITIONS,
  type Stamp,
} from './conditions.ts';
export { ANY_NAME, changedKeysOf, dependenciesOf } from './dependencies.ts';
export { evaluateAll, type FullEvaluation, type FullEvaluationOptions } from './full-evaluation.ts';
export {
  computeGatewayClassStatus,
  DEFAULT_CONTROLLER_NAME,
  DEFAULT_GATEWAY_CLASS_PARAMETERS,
  isOurGatewayClass,
  type ResolvedGatewayClassParameters,
  resolveGatewayClassParameters,
  SUPPORTED_FEATURES,
} from './gateway-class.ts';
export {
  type BackendIR,
  buildGatewayIR,
  type GatewayIR,
  type ListenerIR,
  type PortIR,
  type RouteIR,
  type RuleIR,
} from './gateway-ir.ts';
export {
  evaluateGatewayListeners,
  type GatewayListeners,
  gatewayKeyOf,
  type ListenerSetVerdict,
} from './gateway-listeners.ts';
export {
  computeGatewayStatus,
  computeListenerSetStatus,
  type GatewayStatusOptions,
  PROGRAMMED_PENDING,
  type ProgrammedState,
} from './gateway-status.ts';
export { hostnameCovers, hostnameSpecificity, hostnamesOverlap, intersectHostnames } from './hostnames.ts';
export type { ValidatedListener } from './listeners.ts';
export { isReferenceAllowed } from './reference-grants.ts';
export {
  compareResourceKeys,
  formatResourceKey,
  GATEWAY_GROUP,
  keyOf,
  parseResourceKey,
  type ResourceKey,
  resourceKey,
  sameResourceKey,
} from './resource-key.ts';
export { ResourceStore, type ResourceView } from './resource-view.ts';
export * from './resources.ts';
export { ROUTE_KIND_RULES, SUPPORTED_PROTOCOLS } from './route-kinds.ts';
export {
  countAttachedRoutes,
  type EvaluatedRule,
  evaluateRoute,
  listenerId,
  mergeRouteParentStatuses,
  type RouteEvaluation,
  type RouteParentResult,
  type RouteStatusOptions,
  routeStatusOf,
} from './route-status.ts';
