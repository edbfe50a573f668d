// The client certificate a Gateway presents to its TLS backends (`spec.tls.backend.clientCertificateRef`, GEP-3155):
// a core TLS Secret, checked as a listener's certificateRefs are. When invalid, the Gateway's ResolvedRefs is False
// (InvalidClientCertificateRef, or RefNotPermitted without a ReferenceGrant) and its TLS backends get no traffic:
// the Gateway never connects to them without the identity it was told to present.
import type { Gateway } from '../resources/gateway-api.ts';
import { keyOf, type ResourceKey } from '../resources/resource-key.ts';
import { GatewayReason, ListenerReason } from '../shared/conditions.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { resolveCertificateRef } from './tls-certificates.ts';

export type BackendClientCertificate =
  | { readonly ok: true; readonly secret: ResourceKey }
  | {
      readonly ok: false;
      readonly reason:
        | typeof GatewayReason.InvalidClientCertificateRef
        | typeof GatewayReason.RefNotPermitted;
      readonly message: string;
    };

const FIELD = 'spec.tls.backend.clientCertificateRef';

/** The Gateway's backend client certificate, or undefined when it names none. */
export function resolveBackendClientCertificate(
  gateway: Gateway,
  view: ResourceView,
): BackendClientCertificate | undefined {
  const ref = gateway.spec?.tls?.backend?.clientCertificateRef;
  if (ref === undefined || ref === null) return undefined;
  const key = keyOf(gateway);
  const result = resolveCertificateRef(
    ref,
    { group: key.group, kind: key.kind, namespace: key.namespace ?? '' },
    view,
    FIELD,
  );
  if (result.ok) return { ok: true, secret: result.certificate.secret };
  return {
    ok: false,
    reason:
      result.reason === ListenerReason.RefNotPermitted
        ? GatewayReason.RefNotPermitted
        : GatewayReason.InvalidClientCertificateRef,
    message: result.message,
  };
}
