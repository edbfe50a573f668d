// The test MCP server in a process of its own (the mcp.calls benchmark: a load generator, the proxy and the
// server must not share an event loop). Run as a script it prints `{"port": N}` once listening and serves until
// SIGTERM; `spawnMcpTestServer` starts it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startMcpTestServer } from './mcp-test-server.ts';

export interface McpTestServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

export async function spawnMcpTestServer(
  name: string,
  options: { json?: boolean; execArgv?: readonly string[] } = {},
): Promise<McpTestServerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.execArgv ?? []),
      new URL(import.meta.url).pathname,
      name,
      options.json === true ? 'json' : 'sse',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      process.off('exit', orphaned);
      resolve();
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve((JSON.parse(line) as { port: number }).port),
    );
    void exited.then(() => reject(new Error(`the MCP test server ${name} exited before listening`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}/mcp`,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

if (import.meta.main) {
  const [name = 'server', mode = 'sse'] = process.argv.slice(2);
  const server = await startMcpTestServer({ name, json: mode === 'json' });
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
  process.once('SIGTERM', () => {
    void server.stop().then(() => process.exit(0));
  });
}
