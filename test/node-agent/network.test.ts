// The node agent's network: pods in namespaces reach each other and the host, nothing beyond the bridge, and a
// run that died without cleaning up leaves nothing behind once the next run starts.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { RunNetwork } from '../harness/node-agent/network.ts';

const run = promisify(execFile);

function fetchFrom(netns: string | undefined, url: string): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(3000) }).then((r) => r.text()).then(console.log, (e) => console.log('ERR', e.cause?.code ?? e.name))`;
  const argv = netns ? ['nsenter', `--net=/run/netns/${netns}`, '--', process.execPath] : [process.execPath];
  return run(argv[0]!, [...argv.slice(1), '-e', script]).then(({ stdout }) => stdout.trim());
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function links(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\d+: ([^:@\s]+)/.exec(line)?.[1] ?? '');
}

describe('node agent network', () => {
  test('pods reach each other and the host reaches them; nothing is routed beyond the bridge', async () => {
    const network = await RunNetwork.create();
    try {
      const a = await network.addPod('test/a');
      const b = await network.addPod('test/b');
      expect(a.ip).not.toBe(b.ip);
      const server = spawn(
        'nsenter',
        [
          `--net=/run/netns/${b.netns}`,
          '--',
          process.execPath,
          '-e',
          "require('node:http').createServer((q, s) => s.end('b')).listen(3000)",
        ],
        { stdio: 'ignore' },
      );
      try {
        let answer = '';
        for (let i = 0; i < 50 && answer !== 'b'; i++)
          answer = await fetchFrom(a.netns, `http://${b.ip}:3000/`);
        expect(answer).toBe('b');
        expect(await fetchFrom(undefined, `http://${b.ip}:3000/`)).toBe('b');
        // The host's own default gateway is outside the run's /16: a pod cannot reach it.
        const gateway = /default via (\S+)/.exec(execFileSync('ip', ['route'], { encoding: 'utf8' }))?.[1];
        if (gateway) expect(await fetchFrom(a.netns, `http://${gateway}:80/`)).toMatch(/^ERR/);
      } finally {
        server.kill('SIGKILL');
      }
    } finally {
      await network.close();
    }
    expect(links().filter((name) => name.startsWith(`sy${network.slot}`))).toEqual([]);
    expect(existsSync(`/run/netns/sy${network.slot}-1`)).toBe(false);
  });

  test('two runs get different slots', async () => {
    const [first, second] = await Promise.all([RunNetwork.create(), RunNetwork.create()]);
    try {
      expect(first.slot).not.toBe(second.slot);
      expect(first.bridge).not.toBe(second.bridge);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("a run that was killed is swept by the next run's start: namespaces, processes, links", async () => {
    const fixture = fileURLToPath(new URL('./fixtures/run-then-die.ts', import.meta.url));
    const { stdout } = await run(process.execPath, [fixture]).catch((error: { stdout: string }) => error);
    const dead = JSON.parse(stdout.trim()) as { slot: number; netns: string; pid: number };
    expect(existsSync(`/run/netns/${dead.netns}`)).toBe(true);
    expect(links()).toContain(`sy${dead.slot}br`);

    const next = await RunNetwork.create();
    await next.close();
    expect(existsSync(`/run/netns/${dead.netns}`)).toBe(false);
    expect(links().filter((name) => name.startsWith(`sy${dead.slot}`))).toEqual([]);
    // SIGKILLed: gone, or a zombie until its new parent reaps it.
    for (let i = 0; i < 100 && running(dead.pid); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(running(dead.pid)).toBe(false);
  });
});
