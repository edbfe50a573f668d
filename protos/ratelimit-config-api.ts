// The configuration resource of Envoy's rate limit service (github.com/envoyproxy/ratelimit), which it fetches
// over a state-of-the-world ADS stream (its CONFIG_TYPE=GRPC_XDS_SOTW): `ratelimit.config.ratelimit.v3
// .RateLimitConfig`, defined here by hand (package, names, field numbers and types as the service's
// api/ratelimit/config/ratelimit/v3/rls_conf.proto defines them) and added to the Envoy API root, so the ADS
// server encodes it like any other resource.
import protobuf from 'protobufjs';

export const RATELIMIT_CONFIG_TYPE_URL = 'type.googleapis.com/ratelimit.config.ratelimit.v3.RateLimitConfig';

const PACKAGE = 'ratelimit.config.ratelimit.v3';

function message(name: string, fields: readonly [string, number, string, boolean?][]): protobuf.Type {
  const type = new protobuf.Type(name);
  for (const [field, id, kind, repeated] of fields)
    type.add(new protobuf.Field(field, id, kind, repeated === true ? 'repeated' : undefined));
  return type;
}

/** Adds the service's configuration messages to a root (call before `resolveAll`). */
export function addRateLimitConfigTypes(root: protobuf.Root): void {
  const namespace = root.define(PACKAGE);
  if (namespace.get('RateLimitConfig') !== null) return;
  namespace.add(
    message('RateLimitConfig', [
      ['name', 1, 'string'],
      ['domain', 2, 'string'],
      ['descriptors', 3, 'RateLimitDescriptor', true],
    ]),
  );
  namespace.add(
    message('RateLimitDescriptor', [
      ['key', 1, 'string'],
      ['value', 2, 'string'],
      ['rate_limit', 3, 'RateLimitPolicy'],
      ['descriptors', 4, 'RateLimitDescriptor', true],
      ['shadow_mode', 5, 'bool'],
      ['detailed_metric', 6, 'bool'],
    ]),
  );
  namespace.add(
    message('RateLimitPolicy', [
      ['unit', 1, 'RateLimitUnit'],
      ['requests_per_unit', 2, 'uint32'],
      ['unlimited', 3, 'bool'],
      ['name', 4, 'string'],
      ['replaces', 5, 'RateLimitReplace', true],
    ]),
  );
  namespace.add(message('RateLimitReplace', [['name', 1, 'string']]));
  namespace.add(
    new protobuf.Enum('RateLimitUnit', {
      UNKNOWN: 0,
      SECOND: 1,
      MINUTE: 2,
      HOUR: 3,
      DAY: 4,
      MONTH: 5,
      YEAR: 6,
      WEEK: 7,
    }),
  );
}
