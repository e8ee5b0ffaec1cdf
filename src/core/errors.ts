/**
 * Stable, snake_case error codes that a failed collector outcome carries. They are part of the
 * evidence an auditor reads, so they never change meaning once shipped.
 */
export const collectErrorCodes = [
  'auth_failed',
  'permission_denied',
  'not_found',
  'rate_limited',
  'invalid_payload',
  'network',
  'timeout',
  'server_error',
  'config',
  'aborted',
  // A connector's own evaluation disagreed with the API's (GitHub rulesets vs rules/branches).
  'cross_check_failed',
  'unexpected',
] as const;

/** One of {@link collectErrorCodes}. */
export type CollectErrorCode = (typeof collectErrorCodes)[number];

/** An error that already knows its stable code; everything else is classified by {@link classifyError}. */
export class CollectError extends Error {
  override readonly name = 'CollectError';
  constructor(
    readonly code: CollectErrorCode,
    message: string,
    options?: { cause?: unknown; endpoint?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.endpoint = options?.endpoint;
  }
  readonly endpoint: string | undefined;
}

/** A configuration problem: names the file, the key path and what was expected. Exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly file?: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * The evidence store could not be written (a full disk, a read-only or missing location): the run
 * stops, is left unsealed for the next start to seal as `incomplete`, and the message names the
 * store and the system's error code. Never a collector's failure: no API was at fault.
 */
export class StoreWriteError extends Error {
  override readonly name = 'StoreWriteError';
  constructor(location: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(`cannot write to the evidence store ${location}: ${cause instanceof Error ? cause.message : String(cause)}${typeof code === 'string' ? ` (${code})` : ''}`, { cause });
  }
}

/** Whether an error is the system's or SQLite's refusal to write (ENOSPC, EROFS, EACCES, SQLITE_FULL, ...). */
export function isStoreIoError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z]+|SQLITE_[A-Z_]+)$/.test(code);
}

/** A command-line usage problem (bad flag value, unknown id). Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A classified failure: the code and a human message (not yet redacted). */
export interface ClassifiedError {
  code: CollectErrorCode;
  message: string;
}

/** Walks `cause` chains so errors wrapped by SDKs (Octokit wraps fetch errors) keep their code. */
export function findCause<T>(err: unknown, predicate: (e: unknown) => e is T): T | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== undefined && current !== null && !seen.has(current)) {
    if (predicate(current)) return current;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isCollectError(e: unknown): e is CollectError {
  return e instanceof CollectError;
}

/** The CollectError in `err`'s cause chain (the shared HTTP layer's timeout, reset, ...), if any. */
export function collectErrorIn(err: unknown): CollectError | undefined {
  return findCause(err, isCollectError);
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Maps an HTTP status that survived the retry policy to a stable code. */
export function codeForHttpStatus(status: number): CollectErrorCode | undefined {
  if (status === 401) return 'auth_failed';
  if (status === 403) return 'permission_denied';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  return undefined;
}

/**
 * Turns any thrown value into a stable code. Order matters: an explicit {@link CollectError}
 * anywhere in the cause chain wins, then schema failures, then HTTP statuses.
 */
export function classifyError(err: unknown): ClassifiedError {
  const known = collectErrorIn(err);
  if (known) return { code: known.code, message: known.message };
  if (err instanceof ConfigError) return { code: 'config', message: err.message };
  const zod = findCause(err, (e): e is { name: string; message: string } =>
    (e as { name?: unknown } | null)?.name === 'ZodError',
  );
  if (zod) return { code: 'invalid_payload', message: messageOf(err) };
  const status = statusOf(err);
  if (status !== undefined) {
    const code = codeForHttpStatus(status);
    if (code) return { code, message: `HTTP ${status}: ${messageOf(err)}` };
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError') return { code: 'aborted', message: messageOf(err) };
  if (name === 'TimeoutError') return { code: 'timeout', message: messageOf(err) };
  return { code: 'unexpected', message: messageOf(err) };
}
