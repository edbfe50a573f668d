// What the controller reads from its flags before anything starts: each problem is a usage error naming the flag.
import { existsSync, readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { TranslateOptions } from '../backends/envoy/index.ts';
import type { ActorSystem } from '../runtime/ActorSystem.ts';
import { parseAddress, readPemFlag, UsageError } from './options.ts';
import { startTracing, type Tracing } from './tracing.ts';

/** The Envoy translation's options: where the ext_proc and rate limit services are. */
export function envoyTranslateOptions(values: Readonly<Record<string, unknown>>): TranslateOptions {
  const rateLimit = values['ratelimit-address'] as string | undefined;
  if (rateLimit !== undefined) parseAddress(rateLimit, '--ratelimit-address');
  return {
    extProcAddress: values['extproc-address'] as string,
    mcpProxyAddress: values['mcp-address'] as string,
    ...(rateLimit === undefined
      ? {}
      : { rateLimitService: { address: rateLimit, failClosed: values['ratelimit-fail-closed'] === true } }),
  };
}

/** A path a flag names must exist before anything starts. */
export function mustExist(flag: string, path: string): void {
  if (!existsSync(path)) throw new UsageError(`${flag}: ${path}: no such file or directory`);
}

/** The `--otlp-endpoint` URL, checked before anything starts; undefined when tracing is off. */
export function otlpEndpoint(values: Readonly<Record<string, unknown>>): string | undefined {
  const endpoint = values['otlp-endpoint'] as string | undefined;
  if (endpoint === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--otlp-endpoint: ${endpoint} is not a URL (e.g. http://collector:4318/v1/traces)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--otlp-endpoint: ${endpoint} must be an http:// or https:// URL`);
  }
  return endpoint;
}

export function startTracingFromFlags(
  system: ActorSystem,
  values: Readonly<Record<string, unknown>>,
  logger: Logger,
): Tracing | undefined {
  const endpoint = otlpEndpoint(values);
  if (endpoint === undefined) return undefined;
  const sampleRatio = (values['trace-sample-percent'] as number) / 100;
  logger.info({ endpoint, sampleRatio }, 'exporting traces over OTLP/HTTP');
  return startTracing(system.trace, { endpoint, sampleRatio, serviceVersion: packageVersion() });
}

function packageVersion(): string {
  return (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
}

/** TLS for the xDS server from --xds-tls-cert/--xds-tls-key (and --xds-tls-client-ca for mutual TLS). */
export function xdsServerCredentials(
  values: Readonly<Record<string, unknown>>,
): ServerCredentials | undefined {
  const cert = values['xds-tls-cert'] as string | undefined;
  const key = values['xds-tls-key'] as string | undefined;
  const clientCa = values['xds-tls-client-ca'] as string | undefined;
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined)
      throw new UsageError('--xds-tls-client-ca: needs --xds-tls-cert and --xds-tls-key');
    return undefined;
  }
  if (cert === undefined || key === undefined) {
    throw new UsageError(
      cert === undefined ? '--xds-tls-key: needs --xds-tls-cert' : '--xds-tls-cert: needs --xds-tls-key',
    );
  }
  const pem = (flag: string, file: string, marker: string) => Buffer.from(readPemFlag(flag, file, marker));
  const certChain = pem('xds-tls-cert', cert, 'CERTIFICATE');
  const privateKey = pem('xds-tls-key', key, 'PRIVATE KEY');
  const ca = clientCa === undefined ? null : pem('xds-tls-client-ca', clientCa, 'CERTIFICATE');
  try {
    return ServerCredentials.createSsl(ca, [{ cert_chain: certChain, private_key: privateKey }], ca !== null);
  } catch (error) {
    throw new UsageError(`--xds-tls-cert/--xds-tls-key: ${(error as Error).message}`);
  }
}
