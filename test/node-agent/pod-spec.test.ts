// The pure parts of how the node agent builds a container: $(VAR) expansion as the kubelet does it, pod fields,
// and volume mount paths rewritten to their directories on the node.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { expand, podField } from '../harness/node-agent/container-env.ts';
import { rewriteMountPaths } from '../harness/node-agent/container-launch.ts';

describe('container spec on the node agent', () => {
  test('$(VAR) expands defined variables, $$ escapes, unknown references stay', () => {
    const env = { POD_NAME: 'echo-1', EMPTY: '' };
    expect(expand('--service-node $(POD_NAME)', env)).toBe('--service-node echo-1');
    expect(expand('$$(POD_NAME) $(MISSING) [$(EMPTY)]', env)).toBe('$(POD_NAME) $(MISSING) []');
  });

  test('pod fields by path, labels by key', () => {
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'n', labels: { app: 'echo' } },
      spec: { containers: [] },
    };
    const facts = { podIP: '10.200.0.10', hostIP: '10.200.0.1' };
    expect(podField(pod, facts, 'metadata.namespace')).toBe('n');
    expect(podField(pod, facts, "metadata.labels['app']")).toBe('echo');
    expect(podField(pod, facts, 'status.podIP')).toBe('10.200.0.10');
    expect(() => podField(pod, facts, 'spec.hostname')).toThrow(/spec.hostname is not supported/);
  });

  test('mount paths are rewritten once, longest first, only at path boundaries', () => {
    const mounts = [
      { path: '/tmp', dir: '/tmp/node/pod/volumes/tmp' },
      { path: '/etc/switchyard', dir: '/tmp/node/pod/volumes/config' },
    ];
    // The config directory lies under /tmp on the node: it must not be rewritten a second time.
    expect(rewriteMountPaths('/etc/switchyard/envoy.json', mounts)).toBe(
      '/tmp/node/pod/volumes/config/envoy.json',
    );
    expect(rewriteMountPaths('--config=/etc/switchyard/envoy.json', mounts)).toBe(
      '--config=/tmp/node/pod/volumes/config/envoy.json',
    );
    expect(rewriteMountPaths('/tmpfile /etc/switchyardx', mounts)).toBe('/tmpfile /etc/switchyardx');
    expect(rewriteMountPaths('/tmp', mounts)).toBe('/tmp/node/pod/volumes/tmp');
  });
});
