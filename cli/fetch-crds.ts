import {
  cachedCrds,
  cacheFile,
  fetchCrds,
  UPSTREAM_CRD_RELEASES,
} from '../sources/files/crd-validation/upstream-crds.ts';
import type { Command } from './command.ts';

/**
 * `switchyard fetch-crds`: puts the upstream CRDs files mode checks objects against into the user's cache ahead of
 * use (`npm install` and the image build run it), so `translate` and the controller never wait for the network.
 */
export const fetchCrdsCommand: Command = {
  name: 'fetch-crds',
  summary:
    "fetch the Gateway API and InferencePool CRDs files mode checks objects against into the user's cache",
  usage: 'switchyard fetch-crds',
  options: {},
  endsOnStop: () => true,
  async run(_parsed, io) {
    let failed = 0;
    for (const release of UPSTREAM_CRD_RELEASES) {
      const file = cacheFile(release, io.env);
      if (cachedCrds(release, io.env) !== undefined) {
        io.stdout.write(`${release.title}: CRDs already in ${file}\n`);
        continue;
      }
      try {
        const crds = await fetchCrds(release, io.env);
        io.stdout.write(`${release.title}: ${crds.length} CRDs fetched into ${file}\n`);
      } catch (error) {
        failed++;
        io.stderr.write(
          `switchyard fetch-crds: ${release.title} (${release.module}@${release.version}) could not be fetched: ${(error as Error).message}\n`,
        );
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
