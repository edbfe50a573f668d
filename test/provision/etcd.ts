// etcd built from its server module (go.etcd.io/etcd/server/v3 carries the `etcd` main package).
import { provisionGoBinary } from './go-binary.ts';

export const ETCD_VERSION = 'v3.6.16';

export function provisionEtcd(): Promise<string> {
  return provisionGoBinary({
    part: 'etcd',
    version: ETCD_VERSION,
    mainPackage: 'go.etcd.io/etcd/server/v3',
    require: { 'go.etcd.io/etcd/server/v3': ETCD_VERSION },
  });
}
