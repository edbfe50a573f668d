// agentgateway refuses single resources and runs the rest of a push: a per-resource NACK (error_detail a JSON list
// of {key, error|warn}) becomes conditions on the routes concerned, and the Gateway is Programmed with what applied.
// The proxy is our delta-xDS client answering as agentgateway's xDS client does.
import { afterEach, describe, expect, it } from 'vitest';
import { AgentgatewayXdsServer } from '../backends/agentgateway/index.ts';
import { subscribeAsAgentgateway } from '../backends/agentgateway/testdata/agentgateway-proxy.ts';
import { AdsTestClient } from '../backends/envoy/testdata/ads-test-client.ts';
import type { Condition } from '../model/resources/kubernetes.ts';
import { AGENTGATEWAY_TYPE_URL } from '../protos/agentgateway-api.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import type { ControlPlane } from './control-plane.ts';
import { startFilesPlane } from './testdata/files-plane.ts';
import { ENVOY_AND_AGENTGATEWAY_CLASSES, httpGateway, WEB_SERVICE } from './testdata/manifests.ts';

const route = (name: string, paths: readonly string[]) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: apps}
spec:
  parentRefs: [{name: agw}]
  rules:
${paths.map((p) => `  - {matches: [{path: {type: PathPrefix, value: ${p}}}], backendRefs: [{name: web, port: 80}]}`).join('\n')}
`;

const MANIFESTS = `${ENVOY_AND_AGENTGATEWAY_CLASSES}---
${httpGateway('agw', 'agentgateway', 8080)}---
${WEB_SERVICE}---
${route('good', ['/good'])}---
${route('refused', ['/refused'])}---
${route('half', ['/kept', '/dropped'])}---
${route('warned', ['/warned'])}`;

const LISTENER = 'listener/8080/apps/agw/Gateway/apps/agw/http';
const routeName = (name: string, rule: number) =>
  `route/8080/apps/agw/Gateway/apps/agw/http/HTTPRoute/apps/${name}/${rule}`;

function parentConditions(plane: ControlPlane, name: string): Condition[] {
  const status = plane.store.get('HTTPRoute', 'apps', name)?.status as
    | { parents?: { conditions?: Condition[] }[] }
    | undefined;
  return status?.parents?.[0]?.conditions ?? [];
}

const byType = (conditions: readonly Condition[], type: string) => conditions.find((c) => c.type === type);

describe('agentgateway NACKs per resource', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('drops only the refused routes and rules, shows warnings on their routes, and programs the Gateway with the rest', async () => {
    const xds = await AgentgatewayXdsServer.start({ address: '127.0.0.1:0' });
    cleanups.push(() => xds.stop());
    const { plane, clock } = await startFilesPlane(MANIFESTS, { agentgateway: xds }, cleanups);

    const client = new AdsTestClient(xds.address);
    cleanups.push(() => client.close());
    const proxy = client.delta();
    subscribeAsAgentgateway(
      proxy,
      { namespace: 'apps', name: 'agw' },
      'agentgateway~1.1.1.1~.~.svc.cluster.local',
    );
    const push = await proxy.next();
    const names = push.resources.map((r) => r.name);
    for (const name of [routeName('refused', 0), routeName('half', 1), routeName('warned', 0), LISTENER])
      expect(names).toContain(name);
    // As agentgateway's client answers: it applied everything but the `error` entries.
    const nack = [
      {
        key: routeName('refused', 0),
        error: 'invalid regex: look-around, including look-behind, is not supported',
      },
      { key: routeName('half', 1), error: 'unknown backend policy' },
      { key: routeName('warned', 0), warn: 'header modifier x-bad: invalid header name; ignoring' },
      { key: LISTENER, warn: 'unknown/unsupported TLS cipher suite 0x1301' },
    ];
    proxy.send({
      type_url: AGENTGATEWAY_TYPE_URL.resource,
      response_nonce: push.nonce,
      error_detail: { code: 3, message: JSON.stringify(nack), details: [] },
    });

    const gateway = () => plane.store.get('Gateway', 'apps', 'agw')?.status;
    for (
      let i = 0;
      i < 300 && byType(parentConditions(plane, 'half'), 'PartiallyInvalid') === undefined;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await runUntilQuiescent(plane.system, clock);
    }

    // The Gateway runs what applied.
    const programmed = byType(gateway()?.conditions ?? [], 'Programmed');
    expect(programmed).toMatchObject({ status: 'True', reason: 'Programmed' });
    expect(programmed?.message).toMatch(/^Revision 1 accepted by 1 agentgateway proxy; the rest is served/);
    const listener = gateway()?.listeners?.[0];
    // good, half and warned are served; refused is not.
    expect(listener?.attachedRoutes).toBe(3);
    expect(byType(listener?.conditions ?? [], 'Programmed')).toMatchObject({
      status: 'True',
      message: expect.stringContaining('unknown/unsupported TLS cipher suite 0x1301'),
    });

    expect(byType(parentConditions(plane, 'good'), 'Accepted')).toMatchObject({ status: 'True' });
    expect(byType(parentConditions(plane, 'good'), 'PartiallyInvalid')).toBeUndefined();
    expect(byType(parentConditions(plane, 'refused'), 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedValue',
      message: expect.stringContaining('look-around, including look-behind, is not supported'),
    });
    expect(byType(parentConditions(plane, 'half'), 'Accepted')).toMatchObject({ status: 'True' });
    expect(byType(parentConditions(plane, 'half'), 'PartiallyInvalid')).toMatchObject({
      status: 'True',
      reason: 'UnsupportedValue',
      message: expect.stringMatching(/^Dropped Rule 1: the data plane refused it: .*unknown backend policy/),
    });
    expect(byType(parentConditions(plane, 'warned'), 'Accepted')).toMatchObject({ status: 'True' });
    expect(byType(parentConditions(plane, 'warned'), 'PartiallyInvalid')).toMatchObject({
      status: 'True',
      message: expect.stringMatching(/^Dropped Rule 0 in part: .*x-bad: invalid header name; ignoring/),
    });
    proxy.close();
  });
});
