// The ext_proc gRPC server (TCP or Unix socket): each Process stream is handed to an actor of the pool;
// when the pool is exhausted the stream is answered at once with a 503 in the client's error schema.
import type { Logger } from 'pino';
import pino from 'pino';
import type { Registry } from 'prom-client';
import type { Clock, Draft, TraceBus } from '../../runtime/index.ts';
import { apiForPath } from './client-apis.ts';
import type { ExtProcConfig } from './config.ts';
import { externalProcessorTypes, PROCESS_METHOD_PATH } from './external-processor-service.ts';
import { GRPC_STATUS, type GrpcStream, startGrpcStreamServer } from './grpc-stream-server.ts';
import { clientErrorResponse } from './immediate-replies.ts';
import { type ExtProcMetrics, registerExtProcMetrics } from './metrics.ts';
import { headerRecord, type ProcessingRequest, type ProcessingResponse } from './processing-messages.ts';
import { encodeProcessingResponse } from './processing-response-encoder.ts';
import type { StreamActorMessage } from './stream-actor.ts';
import { type PoolStats, StreamActorPool } from './stream-actor-pool.ts';

export interface ExtProcServerOptions {
  /** `host:port` (port 0 picks one) or `unix:/path/to.sock`. */
  readonly listen: string;
  /** The current configuration; read when a stream opens, so reloads apply to new streams. */
  readonly config: () => ExtProcConfig;
  readonly poolSize?: number;
  readonly mailboxCapacity?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly trace?: TraceBus;
  /** Where the service's metrics go (docs/extproc.md, Metrics); none are kept without one. */
  readonly metrics?: Registry;
}

/** A stream's processing time so far: when each unanswered message arrived, and the time spent on answered ones. */
interface StreamTiming {
  readonly arrived: number[];
  spentMs: number;
}

export interface ExtProcServerStats extends PoolStats {
  /** Streams that are open on the gRPC side. */
  readonly openStreams: number;
}

export interface ExtProcServer {
  /** Where it listens: `host:port` with the real port, or the `unix:` address. */
  readonly address: string;
  stats(): ExtProcServerStats;
  stop(): Promise<void>;
}

export const DEFAULT_POOL_SIZE = 1024;
export const DEFAULT_MAILBOX_CAPACITY = 8;

export async function startExtProcServer(options: ExtProcServerOptions): Promise<ExtProcServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const calls = new Map<string, GrpcStream<ProcessingRequest, ProcessingResponse>>();
  let nextStream = 0;
  let stopping = false;
  let openStreams = () => 0;
  const metrics: ExtProcMetrics | undefined =
    options.metrics === undefined ? undefined : registerExtProcMetrics(options.metrics, () => openStreams());
  const timings = new Map<string, StreamTiming>();
  const pool = new StreamActorPool({
    size: options.poolSize ?? DEFAULT_POOL_SIZE,
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    logger,
    clock: options.clock,
    trace: options.trace,
    respond: ({ streamId, response }) => {
      calls.get(streamId)?.write(response);
      const timing = timings.get(streamId);
      if (timing !== undefined)
        timing.spentMs += performance.now() - (timing.arrived.shift() ?? performance.now());
    },
    released: ({ streamId, reason, outcome }) => {
      calls.delete(streamId);
      const timing = timings.get(streamId);
      if (timing !== undefined) {
        timings.delete(streamId);
        metrics?.observeRequest(timing.spentMs / 1000);
      }
      // Built only when debug logging is on: this runs once per request.
      if (logger.isLevelEnabled('debug'))
        logger.debug({ streamId, reason, ...outcome }, 'ext_proc stream done');
    },
  });
  const system = pool.system;

  const serve = (call: GrpcStream<ProcessingRequest, ProcessingResponse>) => {
    const streamId = `s${++nextStream}`;
    let actor: string | undefined;
    let refused = false;
    const send = (message: Draft<StreamActorMessage>) => {
      if (stopping) return; // the pool is draining; its actors take no new messages
      if (system.trySend(actor!, message)) return;
      // The actor's mailbox is full: stop reading this stream until it has room (HTTP/2 pushes back on Envoy).
      call.pause();
      system.send(actor!, message).then(
        () => call.resume(),
        () => call.end(GRPC_STATUS.INTERNAL, 'ext_proc is stopping'),
      );
    };
    call.onMessage((request) => {
      if (refused) return;
      if (metrics !== undefined) {
        let timing = timings.get(streamId);
        if (timing === undefined) {
          timing = { arrived: [], spentMs: 0 };
          timings.set(streamId, timing);
        }
        timing.arrived.push(performance.now());
      }
      if (actor === undefined) {
        actor = pool.acquire(streamId);
        if (actor === undefined) {
          refused = true;
          timings.delete(streamId);
          metrics?.refused();
          const api = apiForPath(headerRecord(request.request_headers)[':path']);
          call.write(
            clientErrorResponse(api, 503, 'the AI gateway is at capacity; retry shortly', 'overloaded', {
              'retry-after': '1',
            }),
          );
          call.end();
          return;
        }
        calls.set(streamId, call);
        send({ type: 'stream.open', streamId, config: options.config(), request });
        return;
      }
      send({ type: 'stream.process', streamId, request });
    });
    call.onClose((reason) => {
      if (actor !== undefined) send({ type: 'stream.close', streamId, reason });
    });
  };

  const types = externalProcessorTypes();
  const server = await startGrpcStreamServer<ProcessingRequest, ProcessingResponse>(
    options.listen,
    {
      path: PROCESS_METHOD_PATH,
      decode: (bytes) => types.request.decode(bytes) as unknown as ProcessingRequest,
      encode: (message) => types.response.encode(message as never).finish(),
      encodeAfterPrefix: encodeProcessingResponse,
    },
    serve,
  );
  const address = server.address;
  openStreams = () => server.openStreams;
  logger.info({ address, poolSize: pool.stats().size }, 'ext_proc server listening');

  return {
    address,
    stats: () => ({ ...pool.stats(), openStreams: server.openStreams }),
    stop: async () => {
      // Streams Envoy keeps open would hold shutdown forever; after a grace period they are cut.
      await server.close(2_000);
      stopping = true;
      await pool.stop();
    },
  };
}
