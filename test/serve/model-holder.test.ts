import { describe, expect, it } from 'vitest';
import { QueueFullError } from '../../src/serve/errors.js';
import { ModelHolder } from '../../src/serve/model-holder.js';
import { InferenceQueue } from '../../src/serve/queue.js';

class FakeModel {
  disposed = false;
  constructor(readonly name: string) {}
  dispose(): void {
    if (this.disposed) throw new Error(`${this.name} disposed twice`);
    this.disposed = true;
  }
}

describe('ModelHolder', () => {
  it('lets a request in flight finish on the old model, and disposes it after the last lease', () => {
    const holder = new ModelHolder<FakeModel>();
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    holder.swap(a);
    const lease1 = holder.acquire()!;
    const lease2 = holder.acquire()!;
    holder.swap(b);
    expect(holder.current).toBe(b);
    expect(lease1.model).toBe(a);
    expect(a.disposed).toBe(false);
    lease1.release();
    lease1.release(); // a second release is ignored
    expect(a.disposed).toBe(false);
    lease2.release();
    expect(a.disposed).toBe(true);
    expect(holder.acquire()!.model).toBe(b);
  });

  it('disposes an idle model at once when swapped, and gives no lease when empty', () => {
    const holder = new ModelHolder<FakeModel>();
    expect(holder.acquire()).toBeNull();
    const a = new FakeModel('a');
    holder.swap(a);
    holder.swap(new FakeModel('b'));
    expect(a.disposed).toBe(true);
  });
});

describe('InferenceQueue', () => {
  it('runs jobs one at a time in admission order and refuses past capacity', async () => {
    const q = new InferenceQueue(2);
    const t1 = q.admit();
    const t2 = q.admit();
    expect(() => q.admit()).toThrow(QueueFullError);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = t1.run(async () => {
      order.push('1 start');
      await gate;
      order.push('1 end');
    });
    const second = t2.run(async () => {
      order.push('2 start');
    });
    await Promise.resolve();
    expect(order).toEqual(['1 start']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['1 start', '1 end', '2 start']);
    t1.leave();
    expect(q.depth).toBe(1);
    expect(() => q.admit()).not.toThrow();
  });

  it('keeps going after a job fails', async () => {
    const q = new InferenceQueue(4);
    await expect(q.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(q.run(async () => 42)).resolves.toBe(42);
    expect(q.depth).toBe(0);
  });
});
