// What the CRD validation tests share: CRDs of our own written for them, and the start of a script run in a new process.

/** A CRD of ours, written for these tests: `kind` in example.dev, one version per `spec` schema given. */
export const crdOf = (kind: string, versions: Record<string, object>) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.example.dev` },
  spec: {
    group: 'example.dev',
    names: { kind, plural: `${kind.toLowerCase()}s` },
    scope: 'Namespaced',
    versions: Object.entries(versions).map(([name, spec]) => ({
      name,
      served: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
    })),
  },
});

/**
 * For a check run in a new process, as a run starts: the start of an ES module script that notes in `celLoaded`
 * whether the CEL library was loaded (every module resolved, by `import` or `require`, is seen by the hook).
 */
export const CEL_LOADED_HOOK = `
  import { registerHooks } from 'node:module';
  let celLoaded = false;
  registerHooks({
    resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      if (resolved.url.includes('/@bufbuild/cel/')) celLoaded = true;
      return resolved;
    },
  });`;
