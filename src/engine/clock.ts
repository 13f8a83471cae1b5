/** Time is an input: engine logic asks a Clock, tests pass a FakeClock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; for tests and deterministic runs. */
export class FakeClock implements Clock {
  #t: number;
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.#t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#t);
  }
  set(to: Date | string): void {
    this.#t = new Date(to).getTime();
  }
  /** Moves forward by `seconds`. */
  advance(seconds: number): Date {
    this.#t += seconds * 1000;
    return this.now();
  }
}
