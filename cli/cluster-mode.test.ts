import { afterEach, expect, test } from 'vitest';
import { extProcConfigSecretOption } from './cluster-mode.ts';
import { UsageError } from './options.ts';

const saved = process.env.POD_NAMESPACE;
afterEach(() => {
  if (saved === undefined) delete process.env.POD_NAMESPACE;
  else process.env.POD_NAMESPACE = saved;
});

test('--extproc-config-secret defaults to the pod’s namespace and switchyard-extproc-config', () => {
  process.env.POD_NAMESPACE = 'gateways';
  expect(extProcConfigSecretOption({})).toEqual({ namespace: 'gateways', name: 'switchyard-extproc-config' });
  expect(extProcConfigSecretOption({ 'extproc-config-secret': 'ai/config' })).toEqual({
    namespace: 'ai',
    name: 'config',
  });
  expect(extProcConfigSecretOption({ 'extproc-config-secret': 'off' })).toBeUndefined();
});

test('--extproc-config-secret refuses anything but <namespace>/<name> or off, saying so', () => {
  const bad = () => extProcConfigSecretOption({ 'extproc-config-secret': 'just-a-name' });
  expect(bad).toThrow(UsageError);
  expect(bad).toThrow("--extproc-config-secret: 'just-a-name' is not <namespace>/<name> of a Secret");
  expect(bad).toThrow(/, or off$/);
});
