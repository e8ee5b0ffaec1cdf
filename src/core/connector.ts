import type { z } from 'zod';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { ClassifiedError, CollectErrorCode } from './errors.js';
import type { HttpPolicy } from '../http/http-fetch.js';

/**
 * One API call an evidence record came from. Kept with every observation so an auditor can trace
 * a record to the call that produced it. Never holds credentials: the URL is sanitised.
 */
export interface RequestRef {
  method: string;
  /** Absolute URL without user-info, secret-looking query parameters masked. */
  url: string;
  status: number;
  /** The API's own request id (GitHub's `x-github-request-id`), when it sends one. */
  requestId?: string;
  /** When the response arrived (ISO-8601 UTC). */
  at: string;
}

/** What a collector emits: one record about one subject. Collectors describe, never judge. */
export interface EvidenceRecord<Payload> {
  /** What the record is about, stable across runs (`acme/api@main`, `octocat`). */
  subject: string;
  payload: Payload;
  /** The calls this record came from (at least one for API-backed collectors). */
  requests: readonly RequestRef[];
}

/** Everything a collector may use. All I/O is injected: there are no module-level clients. */
export interface CollectorContext<Client, Config> {
  /** The API client the connector built for this instance (wired to the shared HTTP layer). */
  client: Client;
  /** The connector instance's validated config (secrets as {@link Secret} values). */
  config: Config;
  /** The connector instance id from config (`github-acme`). */
  instanceId: string;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  /**
   * Records that one part of the collector's scope failed (an account whose role cannot be
   * assumed, a disabled region) while the other parts are still collected. The pipeline
   * classifies the error to a stable code, keeps the records of the other parts, records the
   * failed parts with the outcome and seals the run `partial`. Absent outside the pipeline:
   * collectors then rethrow.
   */
  scopeFailed?(scope: string, error: unknown): void;
  /**
   * The newest successful collection of this collector's kind from this instance that had no
   * failed scope, for incremental collection of event populations (fetch only what is newer and
   * carry the rest forward). Undefined when there is none or outside the pipeline.
   */
  previous?(): Promise<PreviousCollection | undefined>;
}

/** An earlier collection handed to a collector for incremental collection. */
export interface PreviousCollection {
  /** When that collection started (ISO-8601 UTC): everything created before it was visible to it. */
  startedAt: string;
  /** Its records, with the requests each came from. */
  records: readonly EvidenceRecord<unknown>[];
}

/** One part of a collector's scope that failed while the rest was collected. */
export interface ScopeFailure {
  /** What failed, for humans and for the report (`account 111122223333`, `account 111122223333 region eu-west-1`). */
  scope: string;
  code: CollectErrorCode;
  /** Redacted. */
  message: string;
}

/**
 * A collector: one versioned evidence kind and how to fetch it. The payload schema describes every
 * field (`.describe()`), which makes it the auditor's data dictionary.
 */
export interface CollectorDefinition<Client, Config, Payload extends z.ZodType = z.ZodType> {
  /** Short id, unique within the connector (`members`). */
  id: string;
  /** Versioned evidence kind (`github.member.v1`); bump the version when the payload changes meaning. */
  kind: string;
  title: string;
  description: string;
  /** What a record's subject names, for humans (`member login`). */
  subject: string;
  /** How long a collection stays current; older evidence is `stale` for checks. */
  ttlHours: number;
  payload: Payload;
  /**
   * Whether this collector runs for an instance with these (validated) settings; default yes. A
   * `type: file` instance imports one kind, so the collectors of other kinds do not apply: they
   * are left out of the plan instead of recording an empty collection of a kind never imported.
   */
  appliesTo?(config: Config): boolean;
  collect(ctx: CollectorContext<Client, Config>): AsyncIterable<EvidenceRecord<z.output<Payload>>>;
}

/** A least-privilege, read-only permission the connector needs, shown by `annexa connectors`. */
export interface Permission {
  /** The grant as the provider names it (`Organization permissions › Members: Read-only`). */
  grant: string;
  /** Which collectors need it and why. */
  reason: string;
}

/** I/O the pipeline hands a connector when it builds its client. */
export interface ConnectorIO {
  /** The shared HTTP layer for this instance: queue, retries, rate limits, timeouts. */
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * A connector: a declared value in the explicit registry (`src/registry.ts`). It says what to
 * fetch; the pipeline owns concurrency, storage and failure handling.
 */
export interface ConnectorDefinition<Config = unknown, Client = unknown> {
  /** The `type` used in config (`github`). */
  type: string;
  title: string;
  description: string;
  /**
   * zod schema of the connector-specific config keys (besides `id`, `type`, `enabled`, `http`).
   * Its output still holds secret references; the config loader resolves them to `Secret`s,
   * which is what `Config` describes.
   */
  config: z.ZodType;
  /** Default HTTP policy for this API (concurrency, request-id header); config may override. */
  http: Partial<HttpPolicy> & { requestIdHeader?: string };
  permissions: readonly Permission[];
  createClient(config: Config, io: ConnectorIO): Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payload types vary per collector
  collectors: readonly CollectorDefinition<Client, Config, any>[];
  /** API-specific failures (GraphQL error types) before the generic HTTP classification. */
  classifyError?(err: unknown): ClassifiedError | undefined;
  /**
   * How an instance splits into units of distribution for `annexa worker` (an AWS organisation:
   * one unit per account). Each unit must spend a rate budget of its own (its own credential or
   * assumed role), since units run in parallel on different workers. Absent, or an empty list:
   * the instance is one unit. `annexa collect` never splits.
   */
  units?(config: Config): readonly ConnectorUnit<Config>[];
}

/** One part of an instance collected on its own by a worker. */
export interface ConnectorUnit<Config> {
  /** Stable within the instance, no `/` (`111122223333`); the unit is named `<instance>/<key>`. */
  key: string;
  /** What the unit is, for humans (`account 111122223333`). */
  label: string;
  /** The instance's settings narrowed to this unit (one account). */
  config: Config;
}

/** Declares a connector; the identity function exists for type inference. */
export function defineConnector<Config, Client>(definition: ConnectorDefinition<Config, Client>): ConnectorDefinition<Config, Client> {
  return definition;
}

/** Declares a collector; the identity function exists for type inference. */
export function defineCollector<Client, Config, Payload extends z.ZodType>(
  definition: CollectorDefinition<Client, Config, Payload>,
): CollectorDefinition<Client, Config, Payload> {
  return definition;
}
