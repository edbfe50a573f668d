// The policy controller is a kind owner: it takes the sources' resource events like every owner
// (actors/shared/kind-owner.ts) and has no messages of its own. The OIDC discovery actor beside it has a timer.
import type { Message } from '../../runtime/message.ts';

export const POLICY_CONTROLLER = 'controller.policies';

/** The actor that fetches OpenID Connect discovery documents for SecurityPolicies (oidc-discovery.ts). */
export const OIDC_DISCOVERY = 'resolver.oidc-discovery';

/** Raised on the clock every refresh interval: fetch every wanted discovery document again. */
export interface OidcDiscoveryRefresh extends Message<'oidc-discovery.refresh'> {}
