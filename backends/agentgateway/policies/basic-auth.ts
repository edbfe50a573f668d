// SecurityPolicy `basicAuth` → agentgateway's `basicAuth` traffic policy: the htpasswd lines, STRICT (a request
// without valid credentials is answered 401), read from the Authorization header; `forwardUsernameHeader` becomes a
// request header set from the verified user name.
import type { BasicAuthIR } from '../../../model/ir/policies.ts';
import type { FamilyOutput } from './context.ts';

export function basicAuthPolicy(basic: BasicAuthIR): FamilyOutput {
  return {
    traffic: [{ basicAuth: { htpasswdContent: basic.credentials, mode: 'STRICT' } }],
    requestHeaders:
      basic.forwardUsernameHeader === undefined
        ? []
        : [{ name: basic.forwardUsernameHeader, expression: 'basicAuth.username' }],
  };
}
