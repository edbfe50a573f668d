// SDS Secrets: the certificate and key of each certificateRef a TLS-terminating listener uses.
import type { TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Json } from './envoy-types.ts';
import { secretName } from './names.ts';

export function translateSecret(secret: ResourceKey, material: TlsMaterial): Json {
  return {
    name: secretName(secret),
    tlsCertificate: {
      certificateChain: { inlineString: material.certificateChain },
      privateKey: { inlineString: material.privateKey },
    },
  };
}
