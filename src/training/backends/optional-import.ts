/**
 * Imports a package that may legitimately be absent (optional dependencies, a native addon that
 * did not build). The specifier is a variable so TypeScript does not require the package's types.
 * Throws an Error whose message is the reason to log: "not installed" or the loader's own error.
 */
export async function importOptional(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(specifier)) {
      throw new Error('not installed', { cause: err });
    }
    throw new Error(`failed to load: ${firstLine(message)}`, { cause: err });
  }
}

export function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
