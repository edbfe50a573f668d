// SecurityPolicy `cors` → agentgateway's `cors` traffic policy: origins (exact, `*`, or with a `*` wildcard in the
// host, as Envoy Gateway writes them), methods, headers, exposed headers, max age and credentials. agentgateway
// answers a preflight itself, before authentication, as Envoy's CORS filter does.
import type { CorsIR } from '../../../model/ir/policies.ts';
import type { FamilyOutput } from './context.ts';

export function corsPolicy(cors: CorsIR): FamilyOutput {
  return {
    traffic: [
      {
        cors: {
          ...(cors.allowCredentials ? { allowCredentials: true } : {}),
          ...(cors.allowHeaders.length > 0 ? { allowHeaders: [...cors.allowHeaders] } : {}),
          ...(cors.allowMethods.length > 0 ? { allowMethods: [...cors.allowMethods] } : {}),
          ...(cors.allowOrigins.length > 0 ? { allowOrigins: [...cors.allowOrigins] } : {}),
          ...(cors.exposeHeaders.length > 0 ? { exposeHeaders: [...cors.exposeHeaders] } : {}),
          ...(cors.maxAgeSeconds === undefined ? {} : { maxAge: `${cors.maxAgeSeconds}s` }),
        },
      },
    ],
  };
}
