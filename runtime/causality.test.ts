import { describe, expect, it } from 'vitest';
import { assign, emit, setup } from 'xstate';
import { ActorSystem } from './ActorSystem.ts';
import type { Message, MessageMeta } from './message.ts';
import { deliverTo, type Outgoing } from './outbox.ts';
import { VirtualClock } from './VirtualClock.ts';

type Poke = Message<'poke'>;
type Flushed = Message<'flushed'>;

describe('causality through timers', () => {
  it('what a delayed transition sends is caused by the message that scheduled it', async () => {
    const debouncer = setup({ types: { events: {} as Poke, emitted: {} as Outgoing } }).createMachine({
      initial: 'idle',
      states: {
        idle: { tags: ['ready'], on: { poke: 'waiting' } },
        waiting: {
          tags: ['ready'],
          after: { 50: { target: 'idle', actions: emit(() => deliverTo('sink', { type: 'flushed' })) } },
        },
      },
    });
    const sink = setup({
      types: { context: {} as { got: MessageMeta[] }, events: {} as Flushed },
    }).createMachine({
      context: { got: [] },
      initial: 'on',
      states: {
        on: {
          tags: ['ready'],
          on: { flushed: { actions: assign({ got: ({ context, event }) => [...context.got, event.meta] }) } },
        },
      },
    });
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    system.spawn({ name: 'debouncer', machine: debouncer, mailbox: { capacity: 4 } });
    system.spawn({ name: 'sink', machine: sink, mailbox: { capacity: 4 } });
    const sends: { id: string; causeId?: string | undefined; type: string }[] = [];
    system.trace.events.subscribe((event) => {
      if (event.kind === 'send')
        sends.push({ id: event.meta.id, causeId: event.meta.causeId, type: event.messageType });
    });
    system.start();
    await system.send<Poke>('debouncer', { type: 'poke' });
    await clock.advance(100);
    await clock.advance(0);
    const poke = sends.find((s) => s.type === 'poke')!;
    const flushed = sends.find((s) => s.type === 'flushed');
    expect(flushed?.causeId).toBe(poke.id);
    expect((system.actor('sink')!.context as { got: MessageMeta[] }).got[0]?.causeId).toBe(poke.id);
    await system.stop();
  });
});
