// The gRPC echo backend (service switchyard.test.echo.Echo from echo.proto beside this file) and a
// small client for it that works with any target, including `xds:///name`.
import { fileURLToPath } from 'node:url';
import {
  type ChannelCredentials,
  type ChannelOptions,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceClientConstructor,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type EchoServer, SeenLog } from './seen-request.ts';

export interface EchoResponse {
  backend: string;
  message: string;
  path: string;
  authority: string;
  metadata: Record<string, string>;
}

let echoService: ServiceClientConstructor | undefined;

function echoServiceConstructor(): ServiceClientConstructor {
  if (echoService === undefined) {
    const definition = loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url)), { keepCase: true });
    const root = loadPackageDefinition(definition) as { switchyard: { test: { echo: GrpcObject } } };
    echoService = root.switchyard.test.echo.Echo as ServiceClientConstructor;
  }
  return echoService;
}

export async function startGrpcEcho(backend: string): Promise<EchoServer> {
  const log = new SeenLog();
  const server = new Server();
  server.addService(echoServiceConstructor().service, {
    Echo: (
      call: ServerUnaryCall<{ message: string }, EchoResponse>,
      callback: sendUnaryData<EchoResponse>,
    ) => {
      const metadata: Record<string, string> = {};
      for (const [key, value] of Object.entries(call.metadata.getMap())) metadata[key] = String(value);
      const seen = log.add({
        backend,
        protocol: 'grpc',
        method: 'POST',
        path: call.getPath(),
        host: call.getHost(),
        headers: metadata,
        body: call.request.message,
      });
      callback(null, { backend, message: seen.body, path: seen.path, authority: seen.host, metadata });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    backend,
    protocol: 'grpc',
    port,
    address: `127.0.0.1:${port}`,
    seen: log.seen,
    waitForSeen: (count, timeoutMs) => log.waitForSeen(count, timeoutMs),
    close: async () => server.forceShutdown(),
  };
}

export interface EchoClient {
  echo(
    message: string,
    options?: { metadata?: Record<string, string>; deadlineMs?: number },
  ): Promise<EchoResponse>;
  close(): void;
}

/** A client of the echo service at `target` (host:port, or xds:///name with xdsChannelOptions). */
export function echoGrpcClient(
  target: string,
  options: Partial<ChannelOptions> = {},
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
): EchoClient {
  const Client = echoServiceConstructor();
  const client = new Client(target, channelCredentials, options);
  const unaryEcho = client.Echo!.bind(client) as (
    request: { message: string },
    metadata: Metadata,
    options: { deadline: number },
    callback: (error: Error | null, response: EchoResponse) => void,
  ) => void;
  return {
    echo: (message, { metadata = {}, deadlineMs = 20_000 } = {}) =>
      new Promise((resolve, reject) => {
        const outgoing = new Metadata();
        for (const [key, value] of Object.entries(metadata)) outgoing.set(key, value);
        const deadline = Date.now() + deadlineMs;
        unaryEcho({ message }, outgoing, { deadline }, (error, response) =>
          error ? reject(error) : resolve(response),
        );
      }),
    close: () => client.close(),
  };
}
