// The policy controller is a kind owner: it takes the sources' resource events like every owner
// (actors/shared/kind-owner.ts) and has no messages of its own.
export const POLICY_CONTROLLER = 'controller.policies';
