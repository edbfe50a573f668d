import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import { type ReferenceValidatorInput, referenceValidatorMachine } from './machine.ts';
import { REFERENCE_VALIDATOR, type ReferenceValidatorMessage } from './messages.ts';

export { REFERENCE_VALIDATOR } from './messages.ts';
export { RESOLVERS, resolverSpecs } from './resolvers.ts';

export function referenceValidatorSpec(
  input: ReferenceValidatorInput,
  effects: {
    'report-rejection': (rejection: {
      key: ResourceKey;
      origin: string;
      problems: readonly string[];
    }) => void;
    /** A stored policy's problems as written (its selectors), logged: with no target, no status says them. */
    'report-policy-problems': (report: { key: ResourceKey; problems: readonly string[] }) => void;
  },
): ActorSpec<ReferenceValidatorMessage> {
  return {
    name: REFERENCE_VALIDATOR,
    machine: referenceValidatorMachine,
    input,
    mailbox: {
      capacity: 16_384,
      coalesceBy: (message) =>
        message.type === 'resource.changed' || message.type === 'object.rejected'
          ? `${message.type}:${formatResourceKey(message.key)}`
          : `${message.type}:${message.meta.id}`,
    },
    effects,
    oneWayEffects: ['report-policy-problems'],
  };
}
