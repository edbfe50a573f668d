// Container probes as the kubelet runs them, from the node against the pod's address: httpGet (2xx/3xx is
// success) and tcpSocket. Named ports resolve through the container's ports. Exec and gRPC probes are not
// supported: the pod start fails naming the probe instead of the probe silently passing.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

export interface ProbeTiming {
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export function probeTiming(probe: V1Probe): ProbeTiming {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** Throws for a probe the node agent cannot run, so the pod reports it instead of passing it. */
export function checkProbeSupported(container: V1Container, probe: V1Probe | undefined, kind: string): void {
  if (!probe) return;
  if (probe.exec || probe.grpc)
    throw new Error(
      `container ${container.name}: ${kind} probe: only httpGet and tcpSocket probes are supported`,
    );
  if (!probe.httpGet && !probe.tcpSocket)
    throw new Error(`container ${container.name}: ${kind} probe has no handler`);
  if (probe.httpGet) resolvePort(container, probe.httpGet.port);
  if (probe.tcpSocket) resolvePort(container, probe.tcpSocket.port);
}

/** One probe attempt: true on success, false on failure or time-out. */
export function runProbe(
  probe: V1Probe,
  container: V1Container,
  podIP: string,
  timeoutMs: number,
): Promise<boolean> {
  if (probe.tcpSocket) {
    const port = resolvePort(container, probe.tcpSocket.port);
    return new Promise((resolve) => {
      const socket = connect({ host: probe.tcpSocket?.host ?? podIP, port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
  }
  const http = probe.httpGet!;
  const port = resolvePort(container, http.port);
  const request = http.scheme === 'HTTPS' ? httpsRequest : httpRequest;
  const headers = Object.fromEntries((http.httpHeaders ?? []).map((header) => [header.name, header.value]));
  return new Promise((resolve) => {
    const req = request(
      {
        host: http.host ?? podIP,
        port,
        path: http.path ?? '/',
        headers: { 'user-agent': 'kube-probe/1.37', ...headers },
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
      },
    );
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

function resolvePort(container: V1Container, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((candidate) => candidate.name === port);
  if (!named)
    throw new Error(`container ${container.name}: probe port ${port} is not a named container port`);
  return named.containerPort;
}
