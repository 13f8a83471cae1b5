import { QueueFullError } from './errors.js';

/** Requests admitted at once (decoding + waiting + running); one more gets 503. */
export const DEFAULT_QUEUE_CAPACITY = 32;

/** A place in the queue: run the inference step through it, then leave. */
export interface Ticket {
  /** Runs `job` after every job admitted earlier has finished its run. */
  run<T>(job: () => Promise<T>): Promise<T>;
  /** Frees the place; call exactly once, when the request is done with the queue. */
  leave(): void;
}

/**
 * Admission control plus serial execution. A request is admitted (or refused with 503) before it
 * spends anything, so a flood costs no decoding; admitted requests may decode in parallel (sharp
 * works off the main thread) but their forward passes run one at a time: TF.js executes on the
 * main thread here, and interleaving inferences would only make every one of them slower.
 */
export class InferenceQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private admitted = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer (got ${capacity})`);
  }

  /** Requests admitted and not yet done (decoding, waiting or running). */
  get depth(): number {
    return this.admitted;
  }

  /** Throws QueueFullError when `capacity` requests are already admitted. */
  admit(): Ticket {
    if (this.admitted >= this.capacity) throw new QueueFullError(this.capacity);
    this.admitted += 1;
    let left = false;
    return {
      run: <T>(job: () => Promise<T>): Promise<T> => this.exclusive(job),
      leave: () => {
        if (left) return;
        left = true;
        this.admitted -= 1;
      },
    };
  }

  /**
   * Runs `job` in the serial order without taking a place: for the server's own work (a model's
   * warm-up inference), which must not interleave with requests nor be refused by a full queue.
   */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    // The chain goes on whether this job failed or not; its caller sees the failure in `result`.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** admit + run + leave, for callers with nothing to do outside the serial section. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    const ticket = this.admit();
    try {
      return await ticket.run(job);
    } finally {
      ticket.leave();
    }
  }
}
