import { describe, expect, it, vi } from 'vitest';
import { TraceBus, type TraceEvent } from './TraceBus.ts';

const event = (actor: string): TraceEvent => ({ time: 0, actor, kind: 'lifecycle', status: 'started' });

describe('TraceBus', () => {
  it('delivers each event to every subscriber subscribed at the time, and is active only while one is', () => {
    const bus = new TraceBus();
    expect(bus.active).toBe(false);
    const seen: string[] = [];
    const first = bus.events.subscribe((e) => seen.push(`1:${e.actor}`));
    bus.emit(event('a'));
    const second = bus.events.subscribe((e) => seen.push(`2:${e.actor}`));
    bus.emit(event('b'));
    first.unsubscribe();
    first.unsubscribe();
    bus.emit(event('c'));
    expect(bus.active).toBe(true);
    second.unsubscribe();
    expect(bus.active).toBe(false);
    bus.emit(event('d'));
    expect(seen).toEqual(['1:a', '1:b', '2:b', '2:c']);
  });

  it('the same function subscribed twice is two subscriptions; one ending leaves the other', () => {
    const bus = new TraceBus();
    const seen: string[] = [];
    const record = (e: TraceEvent) => seen.push(e.actor);
    const one = bus.events.subscribe(record);
    bus.events.subscribe(record);
    bus.emit(event('a'));
    one.unsubscribe();
    bus.emit(event('b'));
    expect(seen).toEqual(['a', 'a', 'b']);
  });

  it('an unsubscribe during an emit does not skip the others of that emit', () => {
    const bus = new TraceBus();
    const seen: string[] = [];
    const first = bus.events.subscribe(() => {
      seen.push('first');
      first.unsubscribe();
    });
    bus.events.subscribe(() => seen.push('second'));
    bus.emit(event('a'));
    bus.emit(event('b'));
    expect(seen).toEqual(['first', 'second', 'second']);
  });

  it('a subscriber that throws does not stop the others or the emitter; its error surfaces on its own', () => {
    vi.useFakeTimers();
    try {
      const bus = new TraceBus();
      const seen: string[] = [];
      bus.events.subscribe(() => {
        throw new Error('reader failed');
      });
      bus.events.subscribe((e) => seen.push(e.actor));
      expect(() => bus.emit(event('a'))).not.toThrow();
      expect(seen).toEqual(['a']);
      expect(() => vi.runAllTimers()).toThrow('reader failed');
    } finally {
      vi.useRealTimers();
    }
  });

  it('after complete, subscribers are dropped and a later subscription gets nothing', () => {
    const bus = new TraceBus();
    const seen: string[] = [];
    bus.events.subscribe((e) => seen.push(e.actor));
    bus.complete();
    expect(bus.active).toBe(false);
    bus.events.subscribe((e) => seen.push(e.actor)).unsubscribe();
    bus.events.subscribe((e) => seen.push(e.actor));
    bus.emit(event('a'));
    expect(seen).toEqual([]);
  });
});
