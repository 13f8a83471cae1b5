/**
 * Holds the model being served and swaps it atomically. Requests take a lease on the current
 * model for their whole life, so a swap never pulls a model out from under an in-flight request;
 * the old model is disposed once its last lease is released.
 */
export interface Disposable {
  dispose(): void;
}

export interface Lease<M> {
  readonly model: M;
  release(): void;
}

interface Entry<M> {
  model: M;
  leases: number;
  retired: boolean;
}

export class ModelHolder<M extends Disposable> {
  private entry: Entry<M> | null = null;

  get current(): M | null {
    return this.entry?.model ?? null;
  }

  /** A lease on the current model, or null when none is loaded. Release it exactly once. */
  acquire(): Lease<M> | null {
    const entry = this.entry;
    if (!entry) return null;
    entry.leases += 1;
    let released = false;
    return {
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.leases -= 1;
        if (entry.retired && entry.leases === 0) entry.model.dispose();
      },
    };
  }

  /** Installs `next`; the previous model is disposed now if idle, else when its last lease ends. */
  swap(next: M): M | null {
    const previous = this.entry;
    this.entry = { model: next, leases: 0, retired: false };
    if (previous) {
      previous.retired = true;
      if (previous.leases === 0) previous.model.dispose();
    }
    return previous?.model ?? null;
  }

  /** Disposes the current model (server shutdown). */
  clear(): void {
    const previous = this.entry;
    this.entry = null;
    if (previous) {
      previous.retired = true;
      if (previous.leases === 0) previous.model.dispose();
    }
  }
}
