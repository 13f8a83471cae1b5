export type BackendErrorCode = 'backend_unavailable' | 'unknown_backend';

/**
 * A backend that cannot run here. Raised for an explicitly requested backend (never silently
 * replaced by another) and when even the last fallback fails; `hint` says what to do.
 */
export class BackendError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly code: BackendErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackendError';
  }
}
