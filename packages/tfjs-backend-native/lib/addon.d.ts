// Types for lib/addon.js (the tests use it; the package's public API is index.d.ts).
export const loaded: { addon: Record<string, (...args: unknown[]) => unknown> | null; error: string | null };
