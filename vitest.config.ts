import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure, beside the code) and `integration` (real parts under test/, which share
// one kube-apiserver + etcd started by the global setup).
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    globalSetup: ['test/harness/run-temporary-folder.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            '{cli,runtime,model,sources,actors,backends,dataplane,protos,inspector,replay}/**/*.test.ts',
            '*.test.ts',
          ],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/harness/kube/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
