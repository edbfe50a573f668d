import { describe, expect, it } from 'vitest';
import type { ExtProcConfigDocument } from '../../model/ai-gateway/extproc-config.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { extProcConfigWriterSpec } from './index.ts';
import { EXTPROC_CONFIG_WRITER, type ExtProcConfigDesired } from './messages.ts';

function documentFor(model: string): ExtProcConfigDocument {
  return {
    models: [{ name: model, ownedBy: 'test', created: 0 }],
    rules: [{ models: [model], backends: [{ name: 'b', weight: 1 }] }],
    backends: [{ name: 'b', schema: { name: 'OpenAI' } }],
  };
}

describe('ext_proc config writer', () => {
  it('writes the latest document once, skips an unchanged one and retries a failed write', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const written: string[] = [];
    let failuresLeft = 0;
    let release: (() => void) | undefined;
    system.spawn(
      extProcConfigWriterSpec(
        async ({ config }) => {
          if (release === undefined)
            await new Promise<void>((resolve) => {
              release = resolve;
            });
          if (failuresLeft > 0) {
            failuresLeft--;
            throw new Error('disk full');
          }
          written.push(config.models[0]!.name);
          return { written: true };
        },
        { retry: { initialDelayMs: 100, maxDelayMs: 1_000 } },
      ),
    );
    system.start();
    const send = (model: string) =>
      system.send<ExtProcConfigDesired>(EXTPROC_CONFIG_WRITER, {
        type: 'config.desired',
        config: documentFor(model),
      });

    // Two documents while the first write is in flight: after it, only the latest is written.
    await send('a');
    for (let i = 0; i < 100 && release === undefined; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await send('b');
    await send('c');
    release?.();
    await runUntilQuiescent(system, clock);
    expect(written).toEqual(['a', 'c']);

    await send('c');
    await runUntilQuiescent(system, clock);
    expect(written).toEqual(['a', 'c']);

    failuresLeft = 2;
    await send('d');
    await runUntilQuiescent(system, clock);
    expect(written).toEqual(['a', 'c', 'd']);
    const context = system.actor(EXTPROC_CONFIG_WRITER)!.context as { failures: number; writes: number };
    expect([context.failures, context.writes]).toEqual([2, 3]);
    await system.stop(1_000);
  });
});
