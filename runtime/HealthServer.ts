import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  /** A registry, or anything that renders one (a cluster primary sums its workers'). */
  readonly registry: { metrics(): Promise<string>; readonly contentType: string };
  /** Ready means every actor reports ready and the process is not shutting down. */
  readonly ready: () => boolean;
  /** Live means the process should not be restarted (the event loop answers). */
  readonly live?: () => boolean;
  /** Per-actor lines for a failing /readyz, so an operator sees who is not ready. */
  readonly explainNotReady?: () => string[];
}

/** Serves `/metrics`, `/livez` and `/readyz` for Kubernetes probes and Prometheus. */
export class HealthServer {
  private readonly server: Server;
  private readonly options: HealthServerOptions;

  constructor(options: HealthServerOptions) {
    this.options = options;
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/livez') {
        const live = this.options.live?.() ?? true;
        response
          .writeHead(live ? 200 : 503, { 'content-type': 'text/plain' })
          .end(live ? 'ok\n' : 'not live\n');
        return;
      }
      if (path === '/readyz') {
        const ready = this.options.ready();
        const body = ready ? 'ok\n' : `not ready\n${(this.options.explainNotReady?.() ?? []).join('\n')}\n`;
        response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(body);
        return;
      }
      if (path === '/metrics') {
        this.options.registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': this.options.registry.contentType }).end(text),
          (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
        );
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections?.();
      this.server.close(() => resolve());
    });
  }
}
