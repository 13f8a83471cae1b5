/** Typed tracking errors: a stable `code`, a `hint` for what to do next, and the original `cause`. */
export class TrackingError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server could not be reached at all (refused, DNS, timeout): a retry may help, the URI may be wrong. */
export class MlflowUnreachableError extends TrackingError {
  constructor(
    readonly uri: string,
    detail: string,
    cause?: unknown,
  ) {
    super(
      `MLflow tracking server ${uri} is unreachable (${detail})`,
      'mlflow_unreachable',
      'check MLFLOW_TRACKING_URI and that the server is running (mlflow server --host 0.0.0.0 --port 5000); unset it to log to the local file store',
      { cause },
    );
  }
}

const API_HINTS: Record<string, string> = {
  RESOURCE_DOES_NOT_EXIST: 'the experiment, run or model does not exist on this server (was it deleted, or is this the right MLFLOW_TRACKING_URI?)',
  RESOURCE_ALREADY_EXISTS: 'an object with that name already exists',
  INVALID_PARAMETER_VALUE: 'the server refused a value: params cannot change once logged, and keys allow only letters, digits, _ - . / and spaces',
  PERMISSION_DENIED: 'set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD',
  UNAUTHENTICATED: 'set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD',
  ENDPOINT_NOT_FOUND: 'the server does not have this endpoint: use MLflow 2.x or newer (artifact upload needs `mlflow server --serve-artifacts`)',
};

/** The server answered with an error: `errorCode` is MLflow's (RESOURCE_DOES_NOT_EXIST...) or HTTP_<status>. */
export class MlflowApiError extends TrackingError {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly endpoint: string,
    serverMessage: string,
  ) {
    super(
      `MLflow ${endpoint} failed: ${status} ${errorCode}${serverMessage ? `: ${serverMessage}` : ''}`,
      'mlflow_api_error',
      API_HINTS[errorCode] ?? (status >= 500 ? 'the MLflow server failed; check its log and retry' : undefined),
    );
  }

  /** MLflow's code, as the REST API spells it (`error_code` in the response body). */
  get error_code(): string {
    return this.errorCode;
  }
}
