import type { BackendName } from './types.js';

export interface ActivateOptions {
  /** Threads to ask for; backends that cannot use them report what they really use. */
  threads: number;
}

/** One way to get a backend running: import it, register it, make it tf's current backend. */
export interface Activator {
  readonly name: BackendName;
  readonly package: string;
  /** What the user can do when this backend is unavailable. */
  readonly hint: string;
  /** Resolves to the thread count the backend really uses; throws an Error saying why not. */
  activate(options: ActivateOptions): Promise<number>;
}
