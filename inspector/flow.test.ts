import { describe, expect, it } from 'vitest';
import { filterFlow, flowSteps } from './flow.ts';
import type { NumberedTraceEvent } from './TraceBuffer.ts';

const events = [
  {
    seq: 1,
    kind: 'send',
    time: 0,
    actor: 'outside',
    to: 'source',
    messageType: 'files.changed',
    meta: { id: 'm-1', time: 0 },
  },
  {
    seq: 2,
    kind: 'effect',
    time: 0,
    actor: 'source',
    effect: 'read-files',
    phase: 'start',
    meta: { id: 'm-1', time: 0 },
  },
  {
    seq: 3,
    kind: 'send',
    time: 0,
    actor: 'outside',
    to: 'source',
    messageType: 'unrelated',
    meta: { id: 'm-2', time: 0 },
  },
  {
    seq: 4,
    kind: 'effect',
    time: 1,
    actor: 'source',
    effect: 'read-files',
    phase: 'done',
    meta: { id: 'm-1', time: 0 },
    reply: { id: 'm-3', causeId: 'm-1', time: 1 },
  },
  {
    seq: 5,
    kind: 'send',
    time: 1,
    actor: 'source',
    to: 'owner',
    messageType: 'resource.upserted',
    meta: { id: 'm-4', causeId: 'm-3', time: 1 },
    subject: 'HTTPRoute apps/web',
  },
  {
    seq: 6,
    kind: 'effect',
    time: 1,
    actor: 'owner',
    effect: 'write-status',
    phase: 'start',
    meta: { id: 'm-4', causeId: 'm-3', time: 1 },
  },
  {
    seq: 7,
    kind: 'effect',
    time: 2,
    actor: 'owner',
    effect: 'write-status',
    phase: 'failed',
    meta: { id: 'm-4', causeId: 'm-3', time: 1 },
    detail: 'conflict',
    reply: { id: 'm-5', causeId: 'm-4', time: 2 },
  },
] as NumberedTraceEvent[];

describe('message flow', () => {
  it('follows cause ids through effects and their replies down to the status write', () => {
    const steps = flowSteps(events);
    expect(steps.map((s) => `${s.from}>${s.to}`)).toEqual([
      'outside>source',
      'source>effect:read-files',
      'outside>source',
      'source>owner',
      'owner>effect:write-status',
    ]);
    const caused = filterFlow(steps, { cause: 'm-1' });
    expect(caused.map((s) => s.type)).toEqual([
      'files.changed',
      'read-files',
      'resource.upserted',
      'write-status',
    ]);
    expect(caused.at(-1)).toMatchObject({ kind: 'effect', outcome: 'failed' });
  });

  it('filters by actor and by message type, newest last within the limit', () => {
    const steps = flowSteps(events);
    expect(filterFlow(steps, { actor: 'owner' }).map((s) => s.type)).toEqual([
      'resource.upserted',
      'write-status',
    ]);
    expect(filterFlow(steps, { type: 'files' }).map((s) => s.type)).toEqual(['files.changed', 'read-files']);
    expect(filterFlow(steps, { limit: 2 }).map((s) => s.seq)).toEqual([5, 6]);
    expect(filterFlow(steps, { resource: 'apps/web' }).map((s) => s.type)).toEqual([
      'resource.upserted',
      'write-status',
    ]);
    expect(filterFlow(steps, { resource: 'apps/other' })).toEqual([]);
  });

  it("names an effect caused by an effect's reply after what the first was about (a batch's next write)", () => {
    const write = (seq: number, phase: 'start' | 'done', id: string, reply?: string) => ({
      seq,
      kind: 'effect',
      time: seq,
      actor: 'patcher.HTTPRoute',
      effect: 'write-status',
      phase,
      meta: { id, time: 0 },
      ...(reply === undefined ? {} : { reply: { id: reply, causeId: id, time: seq } }),
    });
    const batch = [
      {
        seq: 1,
        kind: 'send',
        time: 0,
        actor: 'reference-validator',
        to: 'patcher.HTTPRoute',
        messageType: 'statuses.desired',
        meta: { id: 'b-1', time: 0 },
        subject: 'HTTPRoute apps/web, HTTPRoute apps/api',
      },
      write(2, 'start', 'b-1'),
      write(3, 'done', 'b-1', 'r-1'),
      write(4, 'start', 'r-1'),
      write(5, 'done', 'r-1', 'r-2'),
    ] as NumberedTraceEvent[];
    const writes = filterFlow(flowSteps(batch), { resource: 'apps/api' }).filter((s) => s.kind === 'effect');
    expect(writes.map((s) => s.seq)).toEqual([2, 4]);
  });
});
