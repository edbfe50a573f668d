// Envoy's admin API on loopback: the config dump, cluster and endpoint state, readiness and stats.

export interface ConfigDump {
  /** One entry per config kind, e.g. "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump". */
  configs: Array<{ '@type': string; [field: string]: unknown }>;
}

export interface ClusterStatus {
  name: string;
  added_via_api?: boolean;
  host_statuses?: Array<{
    address: { socket_address: { address: string; port_value: number } };
    health_status: Record<string, unknown>;
  }>;
}

export class EnvoyAdmin {
  /** http://127.0.0.1:port */
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  /** GET /config_dump, optionally one resource kind (e.g. 'dynamic_listeners', 'dynamic_active_clusters'). */
  async configDump(resource?: string): Promise<ConfigDump> {
    const query = resource === undefined ? '' : `?resource=${encodeURIComponent(resource)}`;
    return JSON.parse(await this.get(`/config_dump${query}`)) as ConfigDump;
  }

  /** GET /clusters in JSON: every cluster with its hosts. */
  async clusters(): Promise<ClusterStatus[]> {
    const body = JSON.parse(await this.get('/clusters?format=json')) as {
      cluster_statuses?: ClusterStatus[];
    };
    return body.cluster_statuses ?? [];
  }

  /** GET /ready: Envoy's server state, 'LIVE' once initialised (else PRE_INITIALIZING, INITIALIZING, DRAINING). */
  async ready(): Promise<string> {
    const response = await fetch(`${this.url}/ready`);
    return (await response.text()).trim();
  }

  /** Counters and gauges (GET /stats), optionally only names matching a regular expression. */
  async stats(filter?: string): Promise<Record<string, number>> {
    const query = filter === undefined ? '' : `&filter=${encodeURIComponent(filter)}`;
    const body = JSON.parse(await this.get(`/stats?format=json${query}`)) as {
      stats: Array<{ name?: string; value?: number }>;
    };
    const stats: Record<string, number> = {};
    for (const stat of body.stats) {
      if (stat.name !== undefined && typeof stat.value === 'number') stats[stat.name] = stat.value;
    }
    return stats;
  }

  /** Any admin path; throws on a non-2xx answer. */
  async get(path: string): Promise<string> {
    const response = await fetch(`${this.url}${path}`);
    const body = await response.text();
    if (!response.ok) throw new Error(`Envoy admin GET ${path}: ${response.status} ${body.slice(0, 500)}`);
    return body;
  }
}
