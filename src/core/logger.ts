import { pino, type Logger, type DestinationStream } from 'pino';
import type { Redactor } from './redact.js';

export type { Logger } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  redactor: Redactor;
  /** Human-readable lines (a TTY); JSON lines otherwise, for cron and log shippers. */
  pretty?: boolean;
  /** Where lines go; stderr by default so stdout stays clean for `--json` output. */
  destination?: DestinationStream;
}

/**
 * A pino logger that masks every registered secret in messages and in logged objects, so a
 * token that reaches an error message still never reaches a log line.
 */
export function createLogger(options: LoggerOptions): Logger {
  const { redactor } = options;
  const destination =
    options.destination ??
    (options.pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } })
      : pino.destination(2));
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are serialised (and redacted) in `formatters.log`; pino's own `err` serializer would
      // run afterwards on the plain object and relabel every error as type "Object".
      serializers: { err: (value: unknown) => value },
      formatters: {
        log: (object) => redactor.redactDeep(serializeErrors(object)),
      },
      hooks: {
        logMethod(args, method) {
          const redacted: unknown[] = args.map((a, i) => {
            if (typeof a === 'string') return redactor.redact(a);
            // Interpolation values (`%s`, `%o`, `%j`) are formatted into the message, past the formatters.
            if (i > 0 && a !== null && typeof a === 'object') return isPlain(a) ? redactor.redactDeep(a) : redactor.redact(String(a));
            return a;
          });
          // Without a message pino takes the error's message itself, after the formatters ran:
          // supply it, redacted.
          if (redacted.length === 1) {
            const message = errorMessageOf(redacted[0]);
            if (message !== undefined) redacted.push(redactor.redact(message));
          }
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  // Child bindings bypass `formatters.log` (and pino resets the bindings formatter for children):
  // redact them on the way in. Children inherit this method, so grandchildren are covered too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings: Record<string, unknown>, childOptions?: unknown) {
    return child.call(this, redactor.redactDeep(serializeErrors(bindings)), childOptions as never);
  } as typeof logger.child;
  return logger;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return Array.isArray(value) || proto === Object.prototype || proto === null;
}

/** The message pino would use for a log call without one: an Error's, or that of the `err` field. */
function errorMessageOf(first: unknown): string | undefined {
  if (first instanceof Error) return first.message;
  if (first === null || typeof first !== 'object') return undefined;
  const object = first as { msg?: unknown; err?: unknown };
  if (object.msg !== undefined) return undefined;
  const message = (object.err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** pino's own error serializer runs after formatters; serialise errors first so they can be redacted. */
function serializeErrors(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) out[k] = serializeValue(v);
  return out;
}

/** An Error as a plain object (type, message and stack including causes, own fields); anything else as is. */
function serializeValue(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { ...pino.stdSerializers.err(value) };
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
