// A plain gRPC client of our ExternalProcessor service, playing Envoy's part (tests and benchmarks).
import { type ClientDuplexStream, credentials, makeClientConstructor } from '@grpc/grpc-js';
import { externalProcessorService } from '../external-processor-service.ts';
import type { ProcessingRequest, ProcessingResponse } from '../processing-messages.ts';

export interface ExtProcClient {
  open(): ExtProcStream;
  close(): void;
}

/** One Process stream with a queue of replies, so a caller can `send` then `next` in lock-step like Envoy. */
export class ExtProcStream {
  readonly call: ClientDuplexStream<ProcessingRequest, ProcessingResponse>;
  readonly #replies: ProcessingResponse[] = [];
  readonly #waiting: ((reply: ProcessingResponse | undefined) => void)[] = [];
  #ended = false;

  constructor(call: ClientDuplexStream<ProcessingRequest, ProcessingResponse>) {
    this.call = call;
    call.on('data', (reply: ProcessingResponse) => {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#replies.push(reply);
      else waiter(reply);
    });
    const ended = () => {
      this.#ended = true;
      for (const waiter of this.#waiting.splice(0)) waiter(undefined);
    };
    call.on('end', ended);
    call.on('error', ended);
  }

  send(request: ProcessingRequest): void {
    this.call.write(request);
  }

  /** The next reply, or undefined when the server ended the stream. */
  next(): Promise<ProcessingResponse | undefined> {
    const ready = this.#replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async exchange(request: ProcessingRequest): Promise<ProcessingResponse | undefined> {
    this.send(request);
    return this.next();
  }

  end(): void {
    this.call.end();
  }
}

export function extProcClient(address: string): ExtProcClient {
  const Client = makeClientConstructor(externalProcessorService(), 'ExternalProcessor');
  const client = new Client(address, credentials.createInsecure());
  return {
    open: () =>
      new ExtProcStream(
        (
          client as unknown as { Process(): ClientDuplexStream<ProcessingRequest, ProcessingResponse> }
        ).Process(),
      ),
    close: () => client.close(),
  };
}

export function requestHeaders(values: Record<string, string>, endOfStream = false): ProcessingRequest {
  return {
    request_headers: {
      headers: {
        headers: Object.entries(values).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
      },
      end_of_stream: endOfStream,
    },
  };
}

/** The model ids `GET /v1/models` answers with, over a fresh connection (a stream of its own). */
export async function listModels(address: string): Promise<string[]> {
  const client = extProcClient(address);
  const stream = client.open();
  try {
    const reply = await stream.exchange(requestHeaders({ ':path': '/v1/models', ':method': 'GET' }, true));
    const body = JSON.parse(Buffer.from(reply!.immediate_response!.body!).toString()) as {
      data?: { id: string }[];
      error?: { message: string };
    };
    if (body.data === undefined) throw new Error(`no model list: ${JSON.stringify(body)}`);
    return body.data.map((model) => model.id);
  } finally {
    // As Envoy does after an immediate response: the stream ends, and its actor goes back to the pool. (Closing
    // only the client leaves the call open, and with it a pool slot: enough probes and the pool was full.)
    stream.end();
    client.close();
  }
}
