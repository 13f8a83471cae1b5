/**
 * Turns SIGINT/SIGTERM into an AbortSignal for the duration of a long command (scheduler, --wait),
 * so the engine can stop its loop, let workers finish or be killed, and close the database cleanly.
 * A second signal falls back to the default behaviour (exit at once), as people expect of Ctrl-C twice.
 */
export function stopOnSignals(): { signal: AbortSignal; dispose: () => void; received: () => NodeJS.Signals | undefined } {
  const controller = new AbortController();
  let got: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    got = sig;
    dispose();
    controller.abort(new Error(`received ${sig}`));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.once(s, handler);
  function dispose(): void {
    for (const s of signals) process.removeListener(s, handler);
  }
  return { signal: controller.signal, dispose, received: () => got };
}
