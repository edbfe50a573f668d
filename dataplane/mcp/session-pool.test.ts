import { describe, expect, it } from 'vitest';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import type { ForwardRequest, ReleaseRequest } from './session-actor.ts';
import type { CallSummary } from './session-calls.ts';
import { sessionPool } from './session-pool.ts';

/** A pool whose ports record what the actors asked for; `forward` waits until the test finishes the call. */
function poolWithRecordingPorts(size: number) {
  const clock = new VirtualClock();
  const log: string[] = [];
  const released: ReleaseRequest[] = [];
  const inFlight = new Map<string, () => void>();
  const pool = sessionPool({
    size,
    mailboxCapacity: 4,
    clock,
    ports: {
      open: async ({ sessionId }) => {
        log.push(`open ${sessionId}`);
        return {};
      },
      forward: (request: ForwardRequest) =>
        new Promise<CallSummary>((resolve) => {
          log.push(
            `forward ${request.sessionId} ${request.callId} ${request.method} ${request.target ?? ''}`,
          );
          inFlight.set(request.callId, () =>
            resolve({ method: request.method, backend: 'b', tool: 't', outcome: 'ok', seconds: 0 }),
          );
        }),
      refuse: ({ sessionId, callId }) => {
        log.push(`refuse ${sessionId} ${callId}`);
      },
      close: async ({ sessionId, reason }) => {
        log.push(`close ${sessionId} ${reason}`);
      },
      release: (request) => {
        released.push(request);
      },
    },
  });
  /** Opens the session and lets the open effect finish (a client learns its session id only then). */
  const open = async (sessionId: string) => {
    await pool.send(sessionId, { type: 'mcp.session.open', sessionId, route: 'r', idleTimeoutMs: 1_000 });
    while (
      !log.includes(`open ${sessionId}`) ||
      pool.system.actor(pool.actorOf(sessionId)!)!.stats().state !== 'active'
    )
      await clock.advance(0);
  };
  const call = (sessionId: string, callId: string) =>
    pool.send(sessionId, { type: 'mcp.call', sessionId, callId, method: 'tools/call', target: 'b__t' });
  return { clock, log, released, inFlight, pool, open, call };
}

describe('the MCP session actor pool', () => {
  it('gives each session an actor until none is free, then refuses; a released actor serves the next session', async () => {
    const { pool, clock, open, released } = poolWithRecordingPorts(2);
    expect(pool.acquire('s1')).toBeDefined();
    expect(pool.acquire('s2')).toBeDefined();
    expect(pool.acquire('s3')).toBeUndefined();
    expect(pool.stats()).toEqual({ size: 2, busy: 2, acquired: 2, refused: 1 });
    await open('s1');
    await pool.send('s1', { type: 'mcp.session.close', sessionId: 's1', reason: 'deleted' });
    await runUntilQuiescent(pool.system, clock);
    expect(released).toEqual([{ sessionId: 's1', reason: 'deleted' }]);
    expect(pool.acquire('s3')).toBeDefined();
    expect(pool.stats().busy).toBe(2);
    await pool.stop(1_000);
  });

  it('expires an idle session, but never while a request is in flight', async () => {
    const { pool, clock, open, call, log, released, inFlight } = poolWithRecordingPorts(1);
    pool.acquire('s1');
    await open('s1');
    await call('s1', 'c1');
    while (!inFlight.has('c1')) await clock.advance(0);
    // The call takes longer than the idle timeout: the session stays.
    await clock.advance(5_000);
    expect(released).toEqual([]);
    expect(log).toEqual(['open s1', 'forward s1 c1 tools/call b__t']);
    inFlight.get('c1')!();
    // Idle from the call's end on: not yet expired just before the timeout, expired after it.
    await clock.advance(999);
    expect(released).toEqual([]);
    await clock.advance(1);
    await runUntilQuiescent(pool.system, clock);
    expect(log.at(-1)).toBe('close s1 expired');
    expect(released).toEqual([{ sessionId: 's1', reason: 'expired' }]);
    await pool.stop(1_000);
  });

  it('every request restarts the idle timer', async () => {
    const { pool, clock, open, call, released, inFlight } = poolWithRecordingPorts(1);
    pool.acquire('s1');
    await open('s1');
    for (let i = 0; i < 5; i++) {
      await clock.advance(800);
      await call('s1', `c${i}`);
      await clock.advance(0);
      inFlight.get(`c${i}`)!();
    }
    await clock.advance(800);
    expect(released).toEqual([]);
    await runUntilQuiescent(pool.system, clock);
    expect(released).toEqual([{ sessionId: 's1', reason: 'expired' }]);
    await pool.stop(1_000);
  });

  it('a closing session refuses the requests that arrive meanwhile', async () => {
    const { pool, clock, open, call, log } = poolWithRecordingPorts(1);
    pool.acquire('s1');
    await open('s1');
    await pool.send('s1', { type: 'mcp.session.close', sessionId: 's1', reason: 'route-removed' });
    await call('s1', 'late');
    await runUntilQuiescent(pool.system, clock);
    expect(log).toEqual(['open s1', 'close s1 route-removed', 'refuse s1 late']);
    await pool.stop(1_000);
  });
});
