// The Envoy API as protobufjs reflection: every Envoy/xDS message type, addressable by its type URL,
// with proto3 JSON conversion. Parsing ~450 proto files takes a few hundred milliseconds, so the
// API is loaded on first use and then shared.
import protobuf from 'protobufjs';
import protojson from 'protobufjs/ext/protojson.js';
import { addMissingEnvoyTypes } from './envoy-api-additions.ts';
import { envoyApiFiles, protoIncludeDirs, resolveImport } from './envoy-api-sources.ts';
import { addRateLimitConfigTypes } from './ratelimit-config-api.ts';

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** A google.protobuf.Any as protobufjs objects carry it: the type URL and the encoded message. */
export interface Any {
  type_url: string;
  value: Uint8Array;
}

/** Accepts a type URL (`type.googleapis.com/envoy.config.listener.v3.Listener`) or a bare type name. */
export function typeUrlOf(typeName: string): string {
  return typeName.includes('/') ? typeName : `${TYPE_URL_PREFIX}${typeName}`;
}

export class EnvoyApi {
  readonly root: protobuf.Root;
  /** How long parsing and resolving the protos took, in milliseconds. */
  readonly loadMillis: number;

  constructor(root: protobuf.Root, loadMillis: number) {
    this.root = root;
    this.loadMillis = loadMillis;
  }

  /** The message type for a type URL or type name; throws naming the type when no shipped proto defines it. */
  messageType(typeUrl: string): protobuf.Type {
    const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    const found = this.root.lookup(name);
    if (!(found instanceof protobuf.Type)) {
      throw new Error(
        `unknown Envoy API message type '${name}' (not defined by the protos shipped in @grpc/grpc-js-xds)`,
      );
    }
    return found;
  }

  /** Parses proto3 JSON (field names in lowerCamelCase or as in the .proto, Any with "@type"). */
  fromJson(typeUrl: string, json: unknown): protobuf.Message {
    return protojson.fromJson(this.messageType(typeUrl), json);
  }

  /** Formats a message (or a plain object with the .proto field names) as proto3 JSON. */
  toJson(typeUrl: string, message: protobuf.Message | Record<string, unknown>): unknown {
    return protojson.toJson(this.messageType(typeUrl), message);
  }

  /** Proto3 JSON to wire bytes. */
  encode(typeUrl: string, json: unknown): Uint8Array {
    const type = this.messageType(typeUrl);
    return type.encode(protojson.fromJson(type, json)).finish();
  }

  /** Wire bytes to a message; `toJson` turns it into proto3 JSON. */
  decode(typeUrl: string, bytes: Uint8Array): protobuf.Message {
    return this.messageType(typeUrl).decode(bytes);
  }

  /** Proto3 JSON of the given type to a google.protobuf.Any. */
  pack(typeUrl: string, json: unknown): Any {
    return { type_url: typeUrlOf(typeUrl), value: this.encode(typeUrl, json) };
  }

  /** A google.protobuf.Any to the proto3 JSON of the message it carries (without "@type"). */
  unpack(any: Any): unknown {
    return this.toJson(any.type_url, this.decode(any.type_url, any.value));
  }
}

let loaded: EnvoyApi | undefined;

/** The Envoy API, loaded once on first call. */
export function envoyApi(): EnvoyApi {
  loaded ??= loadEnvoyApi();
  return loaded;
}

function loadEnvoyApi(): EnvoyApi {
  const started = performance.now();
  const includeDirs = protoIncludeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith('/') ? target : (resolveImport(includeDirs, target) ?? null);
  root.loadSync(envoyApiFiles(includeDirs), { keepCase: true });
  addMissingEnvoyTypes(root);
  addRateLimitConfigTypes(root);
  root.resolveAll();
  return new EnvoyApi(root, performance.now() - started);
}
