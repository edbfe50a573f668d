// Headers the data plane sets for itself to route a request (the model and backend an AI route picked, the
// endpoint an endpoint picker chose) must never come from the client: every HTTP connection manager removes them
// before routing and before any filter runs (Envoy's early header mutation), so a request cannot pick its own
// backend, model rule or upstream host. The service that sets them (ext_proc, the picker) sets them afterwards.
import { BACKEND_HEADER, MODEL_HEADER } from '../../model/ai-gateway/extproc-config.ts';
import { DESTINATION_ENDPOINT_HEADER } from '../../model/inference/pool-members.ts';
import type { Json } from './envoy-types.ts';

export const INTERNAL_REQUEST_HEADERS: readonly string[] = [
  MODEL_HEADER,
  BACKEND_HEADER,
  DESTINATION_ENDPOINT_HEADER,
];

const EARLY_HEADER_MUTATION = 'envoy.http.early_header_mutation.header_mutation';
const TYPE_EARLY_HEADER_MUTATION =
  'type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation';

/** The connection manager's `earlyHeaderMutationExtensions`: the internal headers removed as a request arrives. */
export function stripInternalHeaders(): Json[] {
  return [
    {
      name: EARLY_HEADER_MUTATION,
      typedConfig: {
        '@type': TYPE_EARLY_HEADER_MUTATION,
        mutations: INTERNAL_REQUEST_HEADERS.map((name) => ({ remove: name })),
      },
    },
  ];
}
