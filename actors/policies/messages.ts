// The policy controller is a kind owner: it takes the sources' resource events like every owner
// (actors/shared/kind-owner.ts) and has no messages of its own; nor has the OIDC discovery actor beside it (a
// fetched reference, actors/shared/fetched-references.ts).

export const POLICY_CONTROLLER = 'controller.policies';

/** The actor that fetches OpenID Connect discovery documents for SecurityPolicies (oidc-discovery.ts). */
export const OIDC_DISCOVERY = 'resolver.oidc-discovery';
