// The agenda pops events by time, ties in scheduling order, whichever lane (ring or heap) holds them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/sim/event-queue.js';

/** A reference agenda: a list sorted on every pop. */
class SortedAgenda {
  private events: { time: number; sequence: number; index: number }[] = [];
  private sequence = 0;
  schedule(time: number, index: number): void {
    this.events.push({ time, sequence: this.sequence++, index });
  }
  pop(): { time: number; index: number } | undefined {
    this.events.sort((a, b) => a.time - b.time || a.sequence - b.sequence);
    return this.events.shift();
  }
}

describe('EventQueue', () => {
  it('pops in (time, scheduling order) as a sorted list does, through interleaved schedules and pops and growth', () => {
    // Operations: a time offset from the last popped time (ties likely), or a pop (-1).
    const operation = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100_000 }));
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 2000 }), (operations) => {
        const queue = new EventQueue();
        const reference = new SortedAgenda();
        let now = 0;
        let index = 0;
        const check = (): void => {
          const expected = reference.pop();
          expect(queue.nextTime).toBe(expected === undefined ? Number.POSITIVE_INFINITY : expected.time);
          expect(queue.pop()).toBe(expected !== undefined);
          if (expected === undefined) return;
          expect([queue.time, queue.index]).toEqual([expected.time, expected.index]);
          now = expected.time;
        };
        for (const op of operations) {
          if (op === -1) check();
          else {
            queue.schedule(now + op, 7, index, { index });
            reference.schedule(now + op, index);
            index++;
          }
        }
        while (queue.size > 0) check();
        expect(queue.pop()).toBe(false);
        expect(queue.nextTime).toBe(Number.POSITIVE_INFINITY);
      }),
      { numRuns: 200 },
    );
  });

  it('pops as a sorted list does when each popped actor re-schedules itself a little ahead (as the engine parks CPUs)', () => {
    // Each popped actor comes back 0-6000 ns later (ties, fractions now and then); a far event keeps
    // the ring's tail ahead, so the actors go through the heap, mostly replacing its taken root.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 20_000, maxLength: 20_000 }), fc.integer({ min: 1, max: 60 }), (delays, actors) => {
        const queue = new EventQueue();
        const reference = new SortedAgenda();
        queue.schedule(1e12, 1, 999);
        reference.schedule(1e12, 999);
        for (let actor = 0; actor < actors; actor++) {
          queue.schedule(actor * 7, 2, actor);
          reference.schedule(actor * 7, actor);
        }
        for (const [step, delay] of delays.entries()) {
          const expected = reference.pop();
          expect(queue.nextTime).toBe(expected?.time);
          expect(queue.pop()).toBe(true);
          expect([queue.time, queue.index]).toEqual([expected?.time, expected?.index]);
          const time = queue.time + (step % 97 === 0 ? delay + 0.5 : delay);
          queue.schedule(time, 2, queue.index);
          reference.schedule(time, queue.index);
        }
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });

  it('hands back kind, index and subject, and nextTime is the earliest pending time', () => {
    const queue = new EventQueue();
    const subject = { request: 1 };
    queue.schedule(50, 1, 3, subject);
    queue.schedule(10, 2, 4);
    queue.schedule(10, 5, 6);
    expect(queue.nextTime).toBe(10);
    expect(queue.pop()).toBe(true);
    expect([queue.time, queue.kind, queue.index, queue.subject]).toEqual([10, 2, 4, null]);
    expect(queue.pop()).toBe(true);
    expect([queue.time, queue.kind, queue.index]).toEqual([10, 5, 6]);
    expect(queue.nextTime).toBe(50);
    expect(queue.pop()).toBe(true);
    expect([queue.time, queue.kind, queue.index, queue.subject]).toEqual([50, 1, 3, subject]);
    expect(queue.size).toBe(0);
  });

  it('hands back kind and index exactly whether they pack into the payload column or need a slot', () => {
    // Packed: kinds 0-15 and indexes below 2^27 without a subject; other int32s take a slot.
    const payloads = [
      [0, 0],
      [15, 2 ** 27 - 1],
      [16, 1],
      [3, 2 ** 27],
      [-1, 5],
      [2, -7],
      [4, 2 ** 31 - 1],
    ];
    const queue = new EventQueue();
    payloads.forEach(([kind, index], i) => queue.schedule(100 - i, kind, index));
    for (let i = payloads.length - 1; i >= 0; i--) {
      expect(queue.pop()).toBe(true);
      expect([queue.time, queue.kind, queue.index, queue.subject]).toEqual([100 - i, ...payloads[i], null]);
    }
    expect(queue.pop()).toBe(false);
  });
});
