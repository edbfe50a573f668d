import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { ActorSystem } from './ActorSystem.ts';
import type { Message } from './message.ts';
import { registerActorMetrics } from './metrics.ts';
import { VirtualClock } from './VirtualClock.ts';

describe('registerActorMetrics', () => {
  it('exports depth, high-water mark, capacity, handled messages and handling time per actor', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const machine = setup({ types: { events: {} as Message<'tick'> } }).createMachine({
      initial: 'on',
      states: { on: { tags: ['ready'], on: { tick: {} } } },
    });
    system.spawn({ name: 'ticker', machine, mailbox: { capacity: 16 } });
    const registry = registerActorMetrics(system);
    system.start();
    for (let i = 0; i < 5; i++) await system.send('ticker', { type: 'tick' });
    await clock.advance(1);
    const text = await registry.metrics();
    expect(text).toContain('switchyard_actor_mailbox_capacity{actor="ticker"} 16');
    expect(text).toContain('switchyard_actor_messages_handled_total{actor="ticker"} 5');
    expect(text).toContain('switchyard_actor_message_handling_seconds_count{actor="ticker"} 5');
    expect(text).toMatch(/switchyard_actor_mailbox_high_water_mark\{actor="ticker"\} [1-5]/);
    expect(text).toContain('switchyard_actor_ready{actor="ticker"} 1');
    expect(text).toContain('switchyard_actor_restarts_total{actor="ticker"} 0');
    await system.stop();
  });
});
