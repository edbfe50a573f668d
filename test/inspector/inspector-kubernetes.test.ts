import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { type Inspector, startInspector } from '../../inspector/InspectorServer.ts';
import { inspectPlane } from '../../replay/driver.ts';
import {
  condition,
  parentStatus,
  type RunningControlPlane,
  startKubernetesControlPlane,
  waitForObject,
  yamlObjects,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import { ARTIFACTS, inspectorBrowser, view } from './inspector-browser.ts';

const artifacts = ARTIFACTS;

const { openPage, cleanups } = inspectorBrowser();

/** Other tests share the API server (and so the resources view): rows are picked by namespace too. */
function resourceRow(kind: string, namespace: string, name: string): string {
  return `#resources tr[data-kind="${kind}"][data-namespace="${namespace}"][data-name="${name}"]`;
}

function conditionBadges(page: Page, kind: string, namespace: string, name: string) {
  return page.locator(`${resourceRow(kind, namespace, name)} .cond`).allTextContents();
}

function world(ns: string, controllerName: string) {
  return yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ${ns}}
spec: {controllerName: ${controllerName}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ${ns}}
spec:
  gatewayClassName: ${ns}
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec: {ports: [{name: http, port: 8080}]}
`);
}

function route(ns: string) {
  return yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ${ns}}
spec:
  parentRefs: [{name: edge}]
  hostnames: [web.example.com]
  rules: [{backendRefs: [{name: web, port: 8080}]}]
`);
}

kubeTest(
  'inspector on a Kubernetes-mode controller: an HTTPRoute created through the API server, its flow and status',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/${ns}`;
    await serverSideApply(kube.kubeConfig, world(ns, controllerName));
    const running: RunningControlPlane = await startKubernetesControlPlane(controllerName);
    let inspector: Inspector | undefined;
    cleanups.push(async () => {
      await inspector?.close();
      await running.stop();
    });
    // As `switchyard controller --inspector` serves it.
    inspector = await startInspector({
      system: running.plane.system,
      ...inspectPlane(() => running.plane),
      address: '127.0.0.1:0',
      tickMs: 200,
    });
    await running.plane.system.whenReady();
    await waitForObject(
      running,
      'Gateway',
      ns,
      'edge',
      (gateway) =>
        condition((gateway.status as { conditions?: unknown } | undefined)?.conditions, 'Accepted') !==
        undefined,
      'an Accepted condition',
    );

    const { page, errors } = await openPage(inspector.url);
    await page.locator('#actors tr[data-actor="reference-validator"]').waitFor();
    await page.screenshot({ path: join(artifacts, 'kube-actors.png'), fullPage: true });

    // The route goes into the API server; the controller sees it through its watch.
    await serverSideApply(kube.kubeConfig, route(ns));
    const written = await waitForObject(
      running,
      'HTTPRoute',
      ns,
      'web',
      (object) => condition(parentStatus(object, controllerName)?.conditions, 'Accepted')?.status === 'True',
      'Accepted=True from our controller',
    );
    expect(condition(parentStatus(written, controllerName)?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'True',
    });

    // Resources: the route with the status the controller wrote.
    await view(page, 'resources');
    await page.waitForSelector(`${resourceRow('HTTPRoute', ns, 'web')} .cond`, {
      timeout: 30_000,
    });
    expect(await conditionBadges(page, 'HTTPRoute', ns, 'web')).toEqual(
      expect.arrayContaining(['Accepted=True', 'ResolvedRefs=True']),
    );
    await page.click(resourceRow('HTTPRoute', ns, 'web'));
    await expect.poll(() => page.locator('#resource-detail').textContent()).toContain(controllerName);
    await page.screenshot({ path: join(artifacts, 'kube-resources.png'), fullPage: true });

    // Message flow, from the resource: the route's watch event, its announcement, its status and the write.
    await page.click('#resource-flow');
    await page.waitForSelector('#view-flow:not([hidden])');
    expect(await page.inputValue('#flow-resource')).toBe(`HTTPRoute ${ns}/web`);
    for (const type of ['watch.event', 'resource.upserted', 'status.desired', 'write-status'])
      await page.locator(`#flow-diagram g.step[data-type="${type}"]`).first().waitFor();
    await page.screenshot({ path: join(artifacts, 'kube-flow-of-route.png'), fullPage: true });

    // Selecting the watch event follows its cause ids down to the status write.
    const event = page.locator('#flow-diagram g.step[data-type="watch.event"]').first();
    await event.click();
    await expect.poll(() => page.inputValue('#flow-cause')).not.toBe('');
    await page.fill('#flow-resource', '');
    for (const type of ['watch.event', 'resource.upserted', 'write-status'])
      await page.locator(`#flow-diagram g.step[data-type="${type}"]`).first().waitFor();
    const cause = await page.inputValue('#flow-cause');
    const caused = (await (
      await fetch(`${inspector.url}/api/flow?cause=${encodeURIComponent(cause)}`)
    ).json()) as {
      steps: { type: string; subject?: string }[];
    };
    const routeKey = `HTTPRoute ${ns}/web`;
    expect(caused.steps[0]).toMatchObject({ type: 'watch.event' });
    expect(caused.steps.some((s) => s.type === 'write-status' && s.subject?.includes(routeKey))).toBe(true);
    await page.screenshot({ path: join(artifacts, 'kube-flow-caused.png'), fullPage: true });

    expect(errors).toEqual([]);
  },
  120_000,
);
