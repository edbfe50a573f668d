// The node agent's network: one Linux bridge per run with a private 10.<slot>.0.0/16 of its own, and per pod a
// network namespace with a veth on that bridge. The slot is claimed with a lock file naming the owning process,
// so two runs on one machine never share names or addresses, and a run that finds the slot of a dead run
// (killed before it could clean up) removes that run's namespaces, processes and links before reusing it.
//
// Layout of 10.<slot>.0.0/16: pods 10.<slot>.0.0/17 (the bridge is .0.1, the pods' gateway and the node's
// address), Service cluster IPs 10.<slot>.128.0/18, load-balancer addresses 10.<slot>.192.0/18. Cluster and
// load-balancer addresses are put on the bridge as /32s: the host owns them, so pods and the host reach them
// without IP forwarding (which stays off; nothing is routed beyond the bridge).
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Slots 200–249: 10.200.0.0/16 … 10.249.0.0/16. */
const FIRST_SLOT = 200;
const SLOT_COUNT = 50;
const LOCK_DIR = '/run/switchyard-node-agent';

export interface PodNetwork {
  readonly netns: string;
  readonly ip: string;
}

export class RunNetwork {
  readonly slot: number;
  readonly bridge: string;
  /** The bridge's address: the node's InternalIP and every pod's default gateway. */
  readonly gateway: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  private readonly lockFile: string;
  private nextPod = 10;
  private readonly freePodHosts: number[] = [];
  private readonly pods = new Map<string, { veth: string; host: number }>();
  private nextLoadBalancer = 1;
  private readonly hostAddresses = new Set<string>();
  private vethCounter = 0;
  private closed = false;

  private constructor(slot: number, lockFile: string) {
    this.slot = slot;
    this.lockFile = lockFile;
    this.bridge = `sy${slot}br`;
    this.gateway = `10.${slot}.0.1`;
    this.podCidr = `10.${slot}.0.0/17`;
    this.serviceCidr = `10.${slot}.128.0/18`;
  }

  /** Claims a free slot (cleaning up after dead runs) and creates the bridge. */
  static async create(): Promise<RunNetwork> {
    mkdirSync(LOCK_DIR, { recursive: true });
    await sweepDeadRuns();
    const used = await hostAddresses();
    const start = Math.floor(Math.random() * SLOT_COUNT);
    for (let i = 0; i < SLOT_COUNT; i++) {
      const slot = FIRST_SLOT + ((start + i) % SLOT_COUNT);
      const lockFile = join(LOCK_DIR, `slot-${slot}`);
      if (!claim(lockFile)) {
        if (ownerAlive(lockFile)) continue;
        await removeSlotLeftovers(slot);
        unlinkIfPresent(lockFile);
        if (!claim(lockFile)) continue;
      }
      // Someone else (not a node agent) uses addresses of this /16: leave it to them.
      if (used.some((address) => address.startsWith(`10.${slot}.`))) {
        await removeSlotLeftovers(slot);
        if (used.some((address) => address.startsWith(`10.${slot}.`))) {
          unlinkIfPresent(lockFile);
          continue;
        }
      }
      const network = new RunNetwork(slot, lockFile);
      try {
        await removeSlotLeftovers(slot);
        await ip('link', 'add', network.bridge, 'type', 'bridge');
        await ip('addr', 'add', `${network.gateway}/17`, 'dev', network.bridge);
        await ip('link', 'set', network.bridge, 'up');
      } catch (error) {
        await network.close();
        throw error;
      }
      process.once('exit', network.closeSync);
      return network;
    }
    throw new Error(`no free network slot among 10.${FIRST_SLOT}-${FIRST_SLOT + SLOT_COUNT - 1}.0.0/16`);
  }

  /** A namespace for one pod, attached to the bridge, with loopback up and a default route via the bridge. */
  async addPod(key: string): Promise<PodNetwork> {
    const host = this.freePodHosts.shift() ?? this.nextPod++;
    if (host > 127 * 256 + 254) throw new Error(`pod subnet ${this.podCidr} is full`);
    const address = `10.${this.slot}.${host >> 8}.${host & 255}`;
    const veth = `sy${this.slot}v${++this.vethCounter}`;
    const netns = `sy${this.slot}-${this.vethCounter}`;
    this.pods.set(key, { veth, host });
    try {
      await ip('netns', 'add', netns);
      await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
      await ip('link', 'set', veth, 'master', this.bridge, 'up');
      await ip('-n', netns, 'addr', 'add', `${address}/17`, 'dev', 'eth0');
      await ip('-n', netns, 'link', 'set', 'lo', 'up');
      await ip('-n', netns, 'link', 'set', 'eth0', 'up');
      await ip('-n', netns, 'route', 'add', 'default', 'via', this.gateway);
    } catch (error) {
      await this.removePod(key, netns);
      throw error;
    }
    return { netns, ip: address };
  }

  async removePod(key: string, netns: string): Promise<void> {
    const pod = this.pods.get(key);
    this.pods.delete(key);
    await killNamespaceProcesses(netns);
    await ip('netns', 'delete', netns).catch(() => undefined);
    if (pod) {
      await ip('link', 'delete', pod.veth).catch(() => undefined);
      this.freePodHosts.push(pod.host);
    }
  }

  /** An address in the load-balancer range, put on the bridge. */
  async allocateLoadBalancerAddress(): Promise<string> {
    const n = this.nextLoadBalancer++;
    if (n > 63 * 256 + 254) throw new Error('load-balancer range is full');
    const address = `10.${this.slot}.${192 + (n >> 8)}.${n & 255}`;
    await this.addHostAddress(address);
    return address;
  }

  /** Makes `address` (a cluster or load-balancer address of this run) local to the host, on the bridge. */
  async addHostAddress(address: string): Promise<void> {
    if (this.hostAddresses.has(address)) return;
    if (!address.startsWith(`10.${this.slot}.`))
      throw new Error(`${address} is outside 10.${this.slot}.0.0/16`);
    await ip('addr', 'add', `${address}/32`, 'dev', this.bridge);
    this.hostAddresses.add(address);
  }

  async removeHostAddress(address: string): Promise<void> {
    if (!this.hostAddresses.delete(address)) return;
    await ip('addr', 'del', `${address}/32`, 'dev', this.bridge).catch(() => undefined);
  }

  /** Removes every namespace, process and link of this run and releases the slot. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('exit', this.closeSync);
    await removeSlotLeftovers(this.slot);
    unlinkIfPresent(this.lockFile);
  }

  /** The same as close(), synchronously, for process exit. */
  private readonly closeSync = (): void => {
    if (this.closed) return;
    this.closed = true;
    removeSlotLeftoversSync(this.slot);
    unlinkIfPresent(this.lockFile);
  };
}

function ip(...args: string[]): Promise<void> {
  return run('ip', args).then(
    () => undefined,
    (error: Error & { stderr?: string }) => {
      throw new Error(`ip ${args.join(' ')}: ${error.stderr?.trim() || error.message}`);
    },
  );
}

async function hostAddresses(): Promise<string[]> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  return [...stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)/g)].map((match) => match[1]!);
}

function claim(lockFile: string): boolean {
  try {
    const fd = openSync(lockFile, 'wx');
    writeSync(fd, `${process.pid} ${processStartTime(process.pid)}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

// A pid alone can be reused: the owner is alive only if that pid still has the start time it had.
function ownerAlive(lockFile: string): boolean {
  try {
    const [pid, started] = readFileSync(lockFile, 'utf8').trim().split(' ');
    return processStartTime(Number(pid)) === started;
  } catch {
    return false;
  }
}

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name, which may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch {}
}

function slotNamespaces(slot: number): string[] {
  try {
    return readdirSync('/run/netns').filter((name) => name.startsWith(`sy${slot}-`));
  } catch {
    return [];
  }
}

async function killNamespaceProcesses(netns: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', netns]).then(
    ({ stdout }) => stdout.split(/\s+/).filter(Boolean).map(Number),
    () => [] as number[],
  );
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

/** Removes what runs that died without cleaning up left behind: any slot with leftovers and no live owner. */
async function sweepDeadRuns(): Promise<void> {
  const slots = new Set<number>();
  for (const file of readdirSync(LOCK_DIR)) {
    const match = /^slot-(\d+)$/.exec(file);
    if (match) slots.add(Number(match[1]));
  }
  let netns: string[] = [];
  try {
    netns = readdirSync('/run/netns');
  } catch {}
  const { stdout } = await run('ip', ['-o', 'link', 'show']);
  const links = [...stdout.matchAll(/^\d+: ([^:@\s]+)/gm)].map((match) => match[1]!);
  for (const name of [...netns, ...links]) {
    const match = /^sy(\d{3})(?:-|v|br)/.exec(name);
    if (match) slots.add(Number(match[1]));
  }
  for (const slot of slots) {
    if (slot < FIRST_SLOT || slot >= FIRST_SLOT + SLOT_COUNT) continue;
    const lockFile = join(LOCK_DIR, `slot-${slot}`);
    if (ownerAlive(lockFile)) continue;
    await removeSlotLeftovers(slot);
    unlinkIfPresent(lockFile);
  }
}

async function removeSlotLeftovers(slot: number): Promise<void> {
  for (const netns of slotNamespaces(slot)) {
    await killNamespaceProcesses(netns);
    await ip('netns', 'delete', netns).catch(() => undefined);
  }
  const { stdout } = await run('ip', ['-o', 'link', 'show']);
  for (const link of slotLinks(stdout, slot)) await ip('link', 'delete', link).catch(() => undefined);
}

function removeSlotLeftoversSync(slot: number): void {
  // Synchronous variant for 'exit' handlers, where no promise settles.
  for (const netns of slotNamespaces(slot)) {
    try {
      const pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {}
      }
      execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' });
    } catch {}
  }
  try {
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    for (const link of slotLinks(links, slot)) {
      try {
        execFileSync('ip', ['link', 'delete', link], { stdio: 'ignore' });
      } catch {}
    }
  } catch {}
}

function slotLinks(ipLinkOutput: string, slot: number): string[] {
  // Lines look like "12: sy201v3@if2: <…>"; the bridge goes last so that its ports are gone first.
  const names = [...ipLinkOutput.matchAll(/^\d+: ([^:@\s]+)/gm)].map((match) => match[1]!);
  const veths = names.filter((name) => name.startsWith(`sy${slot}v`));
  const bridge = names.filter((name) => name === `sy${slot}br`);
  return [...veths, ...bridge];
}
