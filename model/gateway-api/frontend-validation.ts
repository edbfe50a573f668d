// Client-certificate validation on a Gateway's HTTPS listeners (`spec.tls.frontend`, GEP-91): the per-port
// configuration for the listener's port, else the default. Its CA certificates come from ConfigMaps (`ca.crt`),
// in another namespace only with a ReferenceGrant. A listener whose every CA reference is unusable is not accepted
// (NoValidCACertificate) and gets no traffic: never served without the client check it was asked for.

import type { ClientValidationIR } from '../ir/gateway-ir.ts';
import type { FrontendTLSConfig, Gateway } from '../resources/gateway-api.ts';
import { type ConditionSpec, ConditionType, condition, ListenerReason } from '../shared/conditions.ts';
import { isReferenceAllowed, normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { hasValidCA } from './backend-tls.ts';
import type { ValidatedListener } from './listeners.ts';

export const ALLOW_INSECURE_FALLBACK = 'AllowInsecureFallback';

/** The frontend TLS configuration for a port: its `perPort` entry, else `default`. */
function configFor(gateway: Gateway, port: number): { config: FrontendTLSConfig; field: string } | undefined {
  const frontend = gateway.spec?.tls?.frontend;
  if (frontend === undefined || frontend === null) return undefined;
  const perPort = Array.isArray(frontend.perPort) ? frontend.perPort : [];
  const i = perPort.findIndex((entry) => entry?.port === port);
  if (i >= 0 && perPort[i]?.tls !== undefined)
    return { config: perPort[i]?.tls as FrontendTLSConfig, field: `spec.tls.frontend.perPort[${i}].tls` };
  return frontend.default === undefined
    ? undefined
    : { config: frontend.default, field: 'spec.tls.frontend.default' };
}

/**
 * The listener with the Gateway's client-certificate validation applied: `clientValidation` set (HTTPS listeners
 * only, as the spec says), or the listener refused with the spec's reasons when no CA reference can be used.
 */
export function withFrontendValidation(
  listener: ValidatedListener,
  gateway: Gateway,
  view: ResourceView,
): ValidatedListener {
  if (listener.protocol !== 'HTTPS' || listener.accepted.status !== 'True') return listener;
  const found = configFor(gateway, listener.port);
  const validation = found?.config?.validation;
  if (found === undefined || validation === undefined || validation === null) return listener;
  const field = `${found.field}.validation`;
  const mode = validation.mode ?? 'AllowValidOnly';
  if (mode !== 'AllowValidOnly' && mode !== ALLOW_INSECURE_FALLBACK) {
    return refused(
      listener,
      condition(
        ConditionType.Accepted,
        'False',
        ListenerReason.UnsupportedValue,
        `${field}.mode: ${String(mode)} is not AllowValidOnly or AllowInsecureFallback`,
      ),
    );
  }
  const gatewayNamespace = gateway.metadata?.namespace ?? '';
  const from = { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: gatewayNamespace };
  const bundle: string[] = [];
  let problem: ConditionSpec | undefined;
  const refs = Array.isArray(validation.caCertificateRefs) ? validation.caCertificateRefs : [];
  for (const [i, ref] of refs.entries()) {
    const refField = `${field}.caCertificateRefs[${i}]`;
    const namespace =
      typeof ref?.namespace === 'string' && ref.namespace !== '' ? ref.namespace : gatewayNamespace;
    const name = String(ref?.name ?? '');
    if (normalizeGroup(ref?.group) !== '' || ref?.kind !== 'ConfigMap') {
      problem ??= condition(
        ConditionType.ResolvedRefs,
        'False',
        ListenerReason.InvalidCACertificateKind,
        `${refField}: ${normalizeGroup(ref?.group) || 'core'}/${String(ref?.kind)} is not supported; use a ConfigMap with ca.crt`,
      );
      continue;
    }
    if (!isReferenceAllowed(view, from, { group: '', kind: 'ConfigMap', namespace, name })) {
      problem ??= condition(
        ConditionType.ResolvedRefs,
        'False',
        ListenerReason.RefNotPermitted,
        `${refField}: ConfigMap ${namespace}/${name} is in another namespace and no ReferenceGrant allows it`,
      );
      continue;
    }
    const configMap = view.get('ConfigMap', namespace, name);
    if (configMap === undefined || !hasValidCA(configMap)) {
      problem ??= condition(
        ConditionType.ResolvedRefs,
        'False',
        ListenerReason.InvalidCACertificateRef,
        `${refField}: ConfigMap ${namespace}/${name} ${configMap === undefined ? 'not found' : 'has no PEM certificate in ca.crt'}`,
      );
      continue;
    }
    bundle.push((configMap.data?.['ca.crt'] ?? '').trim());
  }
  if (bundle.length === 0) {
    const why = problem?.message ?? `${field}.caCertificateRefs: at least one CA certificate is required`;
    return refused(
      listener,
      condition(ConditionType.Accepted, 'False', ListenerReason.NoValidCACertificate, why),
      problem ?? condition(ConditionType.ResolvedRefs, 'False', ListenerReason.InvalidCACertificateRef, why),
    );
  }
  const clientValidation: ClientValidationIR = {
    mode: mode === ALLOW_INSECURE_FALLBACK ? 'AllowInsecureFallback' : 'AllowValidOnly',
    caBundle: `${bundle.join('\n')}\n`,
  };
  return {
    ...listener,
    clientValidation,
    ...(problem !== undefined && listener.resolvedRefs.status === 'True' ? { resolvedRefs: problem } : {}),
  };
}

function refused(
  listener: ValidatedListener,
  accepted: ConditionSpec,
  resolvedRefs?: ConditionSpec,
): ValidatedListener {
  return {
    ...listener,
    accepted,
    ...(resolvedRefs === undefined || listener.resolvedRefs.status !== 'True' ? {} : { resolvedRefs }),
    ready: false,
  };
}

/** The Gateway's InsecureFrontendValidationMode condition when any of its frontend validations allows fallback. */
export function insecureFrontendValidationMode(gateway: Gateway): ConditionSpec | undefined {
  const frontend = gateway.spec?.tls?.frontend;
  const modes = [
    frontend?.default?.validation?.mode,
    ...(Array.isArray(frontend?.perPort) ? frontend.perPort : []).map((p) => p?.tls?.validation?.mode),
  ];
  if (!modes.includes(ALLOW_INSECURE_FALLBACK)) return undefined;
  return condition(
    ConditionType.InsecureFrontendValidationMode,
    'True',
    'ConfigurationChanged',
    'spec.tls.frontend: AllowInsecureFallback accepts clients without a valid certificate; their authorization is left to the backends',
  );
}
