// What `switchyard replay` prints: the statuses, the Gateway IR and the xDS snapshots in translate's formats, and
// why a replay has nothing to show (never an empty success).

import { stringify } from 'yaml';
import type { EventLog } from '../runtime/EventLog.ts';
import type { RecordedComposition } from './composition.ts';
import type { ReplayResult } from './session.ts';

/**
 * The replay output in translate's formats: the statuses, the Gateway IR as `GatewayIR` documents, and the xDS
 * snapshots as `EnvoyResources` / `AgentgatewayResources` documents.
 */
export function renderReplay(
  result: ReplayResult,
  show: 'status' | 'ir' | 'xds' | 'all',
  output: 'yaml' | 'json',
): string {
  const documents: unknown[] = [];
  if (show === 'status' || show === 'all') documents.push(...result.objects);
  if (show === 'ir' || show === 'all')
    documents.push(
      ...result.irs.map((ir) => ({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'GatewayIR', ir })),
    );
  if (show === 'xds' || show === 'all') {
    for (const [gateway, resources] of Object.entries(result.xds.envoy))
      documents.push({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'EnvoyResources', gateway, resources });
    for (const [gateway, resources] of Object.entries(result.xds.agentgateway))
      documents.push({
        apiVersion: 'switchyard.dev/v1alpha1',
        kind: 'AgentgatewayResources',
        gateway,
        resources,
      });
  }
  if (output === 'json') return `${JSON.stringify(documents, null, 2)}\n`;
  return documents
    .map((document) => stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n');
}

export type Show = 'status' | 'ir' | 'xds' | 'all';

/**
 * Why a replay has nothing to show for `show` (undefined when it has something): a replay that prints nothing
 * must not look like success.
 */
export function nothingToShow(log: EventLog, result: ReplayResult, show: Show): string | undefined {
  const documents = {
    status: result.objects.length,
    ir: result.irs.length,
    xds: Object.keys(result.xds.envoy).length + Object.keys(result.xds.agentgateway).length,
  };
  const count = show === 'all' ? documents.status + documents.ir + documents.xds : documents[show];
  if (count > 0) return undefined;
  const first = log.records[0]?.seq;
  if (first === undefined) return 'the log holds no records, only its header';
  if (result.position === 0) return `--until stops before the first record (seq ${first})`;
  const at = `after seq ${result.position} of ${log.records.at(-1)?.seq}`;
  const composition = log.header.composition as Partial<RecordedComposition>;
  if (show === 'xds' && composition.backends === undefined)
    return `the recorded plane had no data-plane backend, so no xDS was published; try --show status or ir`;
  const what = {
    status: 'no object with a status',
    ir: 'no Gateway IR',
    xds: 'no xDS snapshot',
    all: 'nothing',
  };
  return `${at} the plane holds ${what[show]}`;
}
