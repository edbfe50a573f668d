// A gRPC external authorization service (Envoy's envoy.service.auth.v3.Authorization, from the protos shipped in
// @grpc/grpc-js-xds): it allows a request whose `x-allow` header is `yes`, adding `x-auth-user: bob` for the
// backend and removing `x-remove-me`; anything else is denied with 401, an `x-denied-by` header and a body the
// client sees. Every check it answered is recorded (path, the headers Envoy sent, the context extensions).
import {
  type GrpcObject,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceClientConstructor,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoIncludeDirs } from '../../../protos/envoy-api-sources.ts';

export interface GrpcAuthzCheck {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly contextExtensions: Readonly<Record<string, string>>;
}

export interface GrpcExtAuthzServer {
  readonly port: number;
  readonly checks: readonly GrpcAuthzCheck[];
  close(): Promise<void>;
}

interface CheckRequest {
  attributes?: {
    request?: { http?: { path?: string; headers?: Record<string, string> } };
    context_extensions?: Record<string, string>;
  };
}

const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;

let service: ServiceClientConstructor | undefined;

function authorizationService(): ServiceClientConstructor {
  if (service === undefined) {
    const definition = loadSync('envoy/service/auth/v3/external_auth.proto', {
      keepCase: true,
      includeDirs: protoIncludeDirs(),
    });
    const root = loadPackageDefinition(definition) as {
      envoy: { service: { auth: { v3: GrpcObject } } };
    };
    service = root.envoy.service.auth.v3.Authorization as ServiceClientConstructor;
  }
  return service;
}

const header = (key: string, value: string) => ({ header: { key, value } });

export async function startGrpcExtAuthz(): Promise<GrpcExtAuthzServer> {
  const checks: GrpcAuthzCheck[] = [];
  const server = new Server();
  server.addService(authorizationService().service, {
    Check: (call: ServerUnaryCall<CheckRequest, unknown>, callback: sendUnaryData<unknown>) => {
      const http = call.request.attributes?.request?.http ?? {};
      const headers = { ...(http.headers ?? {}) };
      checks.push({
        path: http.path ?? '',
        headers,
        contextExtensions: { ...(call.request.attributes?.context_extensions ?? {}) },
      });
      if (headers['x-allow'] === 'yes') {
        callback(null, {
          status: { code: GRPC_OK },
          ok_response: { headers: [header('x-auth-user', 'bob')], headers_to_remove: ['x-remove-me'] },
        });
        return;
      }
      callback(null, {
        status: { code: GRPC_PERMISSION_DENIED },
        denied_response: {
          status: { code: 401 },
          headers: [header('x-denied-by', 'grpc-authz')],
          body: 'denied by grpc authz\n',
        },
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, checks, close: async () => server.forceShutdown() };
}
