// Listener TLS certificate references: a core Secret of type kubernetes.io/tls whose tls.crt parses as PEM
// and whose tls.key is the private key of that certificate. Cross-namespace references need a ReferenceGrant.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { SecretObjectReference } from '../resources/gateway-api.ts';
import type { Secret } from '../resources/kubernetes.ts';
import { type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { ListenerReason } from '../shared/conditions.ts';
import { isReferenceAllowed, normalizeGroup, type ReferenceFrom } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export interface TLSCertificate {
  readonly secret: ResourceKey;
  /** DNS names of the leaf certificate (subjectAltName), for SNI selection and overlap checks. */
  readonly dnsNames: readonly string[];
  readonly notAfter: string;
}

export type CertificateRefResult =
  | { readonly ok: true; readonly certificate: TLSCertificate }
  | {
      readonly ok: false;
      readonly reason: typeof ListenerReason.InvalidCertificateRef | typeof ListenerReason.RefNotPermitted;
      readonly message: string;
    };

type KeyPairResult = { ok: true; dnsNames: string[]; notAfter: string } | { ok: false; message: string };

// Secrets are replaced, never mutated, in a store: parsing once per Secret object is enough.
const keyPairCache = new WeakMap<Secret, KeyPairResult>();

export function resolveCertificateRef(
  ref: SecretObjectReference,
  from: ReferenceFrom,
  view: ResourceView,
  field: string,
): CertificateRefResult {
  const group = normalizeGroup(ref?.group);
  const kind = ref?.kind ?? 'Secret';
  const name = typeof ref?.name === 'string' ? ref.name : '';
  const namespace =
    typeof ref?.namespace === 'string' && ref.namespace !== '' ? ref.namespace : from.namespace;
  if (group !== '' || kind !== 'Secret') {
    return invalid(`${field}: ${group || 'core'}/${kind} is not supported; reference a core Secret`);
  }
  if (!isReferenceAllowed(view, from, { group: '', kind: 'Secret', namespace, name })) {
    return {
      ok: false,
      reason: ListenerReason.RefNotPermitted,
      message: `${field}: Secret ${namespace}/${name} is in another namespace and no ReferenceGrant allows it`,
    };
  }
  const secret = view.get('Secret', namespace, name);
  if (secret === undefined) return invalid(`${field}: Secret ${namespace}/${name} not found`);
  if (secret.type !== TLS_SECRET_TYPE) {
    return invalid(
      `${field}: Secret ${namespace}/${name} has type ${String(secret.type)}, want ${TLS_SECRET_TYPE}`,
    );
  }
  let pair = keyPairCache.get(secret);
  if (pair === undefined) {
    pair = validateKeyPair(secretValue(secret, 'tls.crt'), secretValue(secret, 'tls.key'));
    keyPairCache.set(secret, pair);
  }
  if (!pair.ok) return invalid(`${field}: Secret ${namespace}/${name}: ${pair.message}`);
  return {
    ok: true,
    certificate: {
      secret: resourceKey('', 'Secret', namespace, name),
      dnsNames: pair.dnsNames,
      notAfter: pair.notAfter,
    },
  };
}

/** Checks that `certPem` holds a certificate (chain) and `keyPem` the private key of its first certificate. */
export function validateKeyPair(certPem: string | undefined, keyPem: string | undefined): KeyPairResult {
  if (certPem === undefined || certPem.trim() === '') return { ok: false, message: 'tls.crt is missing' };
  if (keyPem === undefined || keyPem.trim() === '') return { ok: false, message: 'tls.key is missing' };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(firstPemBlock(certPem, 'CERTIFICATE') ?? '');
  } catch {
    return { ok: false, message: 'tls.crt is not a PEM-encoded X.509 certificate' };
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) {
      return { ok: false, message: 'tls.key does not match the certificate in tls.crt' };
    }
  } catch {
    return { ok: false, message: 'tls.key is not a PEM-encoded private key' };
  }
  return {
    ok: true,
    dnsNames: dnsNamesOf(certificate),
    notAfter: new Date(certificate.validTo).toISOString(),
  };
}

function invalid(message: string): CertificateRefResult {
  return { ok: false, reason: ListenerReason.InvalidCertificateRef, message };
}

function secretValue(secret: Secret, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (typeof plain === 'string') return plain;
  const encoded = secret.data?.[key];
  return typeof encoded === 'string' ? Buffer.from(encoded, 'base64').toString('utf8') : undefined;
}

function firstPemBlock(pem: string, label: string): string | undefined {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const start = pem.indexOf(begin);
  const stop = pem.indexOf(end, start);
  return start < 0 || stop < 0 ? undefined : pem.slice(start, stop + end.length);
}

function dnsNamesOf(certificate: X509Certificate): string[] {
  const names = (certificate.subjectAltName ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  return [...new Set(names)].sort();
}
