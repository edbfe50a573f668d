// ClientTrafficPolicy fields as Envoy Gateway's API defines them: HTTP/1 header case and the safe maximum connection
// duration (on by default), HTTP/2 settings the policy leaves out taking the API's defaults.
import { describe, expect, it } from 'vitest';
import type { ClientTrafficPolicy } from '../resources/client-traffic-policy.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import {
  clientTrafficPolicyRules,
  evaluateClientTrafficPolicy,
  http10DefaultHost,
} from './client-traffic-policy.ts';

function evaluate(spec: Record<string, unknown>) {
  const policy = {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'ClientTrafficPolicy',
    metadata: { name: 'clients', namespace: 'apps' },
    spec,
  } as unknown as ClientTrafficPolicy;
  const verdict = evaluateClientTrafficPolicy(policy, new ResourceStore());
  if (!verdict.ok) throw new Error(verdict.message);
  return verdict.ir;
}

describe('ClientTrafficPolicy', () => {
  it('keeps header case when asked', () => {
    expect(evaluate({ http1: { preserveHeaderCase: true } }).http1).toEqual({
      enableTrailers: false,
      acceptHttp10: false,
      preserveHeaderCase: true,
    });
  });

  it('closes HTTP/1 connections past maxConnectionDuration after their next answer, unless disabled', () => {
    const duration = { connection: { connectionLimit: { maxConnectionDuration: '10s' } } };
    expect(evaluate(duration).connection).toMatchObject({
      maxConnectionDurationMs: 10_000,
      http1SafeMaxConnectionDuration: true,
    });
    expect(
      evaluate({ ...duration, http1: { disableSafeMaxConnectionDuration: true } }).connection,
    ).toMatchObject({ http1SafeMaxConnectionDuration: false });
  });

  it("gives the HTTP/2 settings the policy leaves out the API's defaults", () => {
    expect(evaluate({ http2: { maxConcurrentStreams: 9 } }).http2).toEqual({
      maxConcurrentStreams: 9,
      initialStreamWindowSize: 64 * 1024,
      initialConnectionWindowSize: 1024 * 1024,
      terminateStreamOnInvalidMessage: false,
    });
  });

  describe('http1.http10.useDefaultHost', () => {
    const ir = evaluate({ http1: { http10: { useDefaultHost: true } } });
    const on = (hostname: string | undefined, routeHostnames: string[]) =>
      clientTrafficPolicyRules.forListener!(ir, {
        name: 'web',
        ...(hostname === undefined ? {} : { hostname }),
        routeHostnames,
      });

    it("defaults to the listener's hostname first, then to the one non-wildcard route hostname", () => {
      expect(ir.http1).toMatchObject({ acceptHttp10: true, useDefaultHost: true });
      expect(on('a.example.com', ['b.example.com'])).toMatchObject({
        ok: true,
        ir: { http1: { acceptHttp10: true, defaultHost: 'a.example.com' } },
      });
      expect(
        http10DefaultHost('web', '*.example.com', ['b.example.com', '*.c.example.com', 'b.example.com']),
      ).toEqual({ ok: true, host: 'b.example.com' });
    });

    it('cannot apply without a host to default to: only wildcards, or several route hostnames', () => {
      expect(on(undefined, ['*.example.com'])).toMatchObject({
        ok: false,
        reason: 'Invalid',
        failClosed: false,
        message: expect.stringContaining('listener web and its routes have only wildcard hostnames'),
      });
      expect(on('*.example.com', ['a.example.com', 'b.example.com'])).toMatchObject({
        ok: false,
        message: expect.stringContaining('several non-wildcard ones (a.example.com, b.example.com)'),
      });
    });

    it('leaves a policy without it alone', () => {
      const plain = evaluate({ http1: { http10: {} } });
      expect(clientTrafficPolicyRules.forListener!(plain, { name: 'web', routeHostnames: [] })).toEqual({
        ok: true,
        ir: plain,
      });
    });
  });
});
