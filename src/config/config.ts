import { dirname, resolve, isAbsolute } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import type { Redactor } from '../core/redact.js';
import type { ConnectorDefinition } from '../core/connector.js';
import { defaultHttpPolicy, type HttpPolicy } from '../http/http-fetch.js';
import { describeStore, type StoreLocation } from '../../storage/open-store.js';
import { SecretRef, secretRef } from './secret-ref.js';
import { peopleConfigSchema, type PeopleConfig } from '../people/config.js';

const httpOverrides = z.strictObject({
  concurrency: z.number().int().min(1).max(64).optional().describe('Requests in flight at once per connector instance.'),
  timeoutSeconds: z.number().positive().max(600).optional().describe('Timeout of each HTTP attempt.'),
  maxRetries: z.number().int().min(0).max(10).optional().describe('Retries for 5xx, network errors and timeouts (rate limits are bounded by maxRateLimitWaitSeconds).'),
  maxRateLimitWaitSeconds: z.number().min(0).max(6 * 3600).optional().describe('Longest a request waits on rate limits (one reset, or repeated throttling in all) before failing with rate_limited.'),
});

const connectorBase = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'expected an id of lower-case letters, digits and dashes (like github-acme)' })
    .describe('Unique id of this connector instance; evidence is stored under it.'),
  type: z.string().describe('Connector type, one of `annexa connectors`.'),
  enabled: z.boolean().optional().describe('Set false to keep the entry but skip it.'),
  http: httpOverrides.optional(),
});

const fileSchema = z.strictObject({
  store: z
    .strictObject({
      path: z.string().min(1).optional().describe('SQLite evidence store path (relative to this file).'),
      url: secretRef('PostgreSQL evidence store URL (postgres://user:password@host:5432/db), as ${ANNEXA_DATABASE_URL} or { file: ... }.').optional(),
    })
    .refine((store) => (store.path === undefined) !== (store.url === undefined), {
      message: 'expected either path (a SQLite file) or url (PostgreSQL), not both and not neither',
    })
    .default({ path: './annexa-data/evidence.db' }),
  http: httpOverrides.default({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).default({ level: 'info' }),
  connectors: z.array(z.looseObject(connectorBase.shape)).default([]),
  soa: z.strictObject({ path: z.string().min(1).describe('Statement of Applicability YAML (relative to this file).') }).optional(),
  reports: z
    .strictObject({ dir: z.string().min(1).describe('Where `annexa run` writes coverage and change reports (relative to this file).') })
    .default({ dir: './annexa-reports' }),
  checks: z.record(z.string(), z.unknown()).default({}).describe('Parameters per check id, validated by each check.'),
  people: peopleConfigSchema,
});

/** One configured, validated connector instance. */
export interface ConnectorInstanceConfig {
  id: string;
  type: string;
  enabled: boolean;
  http: HttpPolicy;
  /** The connector-specific keys, validated by its schema, secrets resolved. */
  settings: unknown;
  definition: ConnectorDefinition;
}

/** The validated configuration. */
export interface AnnexaConfig {
  /** The file it came from (or `<built-in>` for the demo). */
  file: string;
  /** The SQLite file, or for PostgreSQL the URL with its password redacted (for messages). */
  storePath: string;
  /** Where the evidence store is: a SQLite file (`store.path`) or PostgreSQL (`store.url`). */
  store: StoreLocation;
  logLevel: string;
  connectors: ConnectorInstanceConfig[];
  /** Absolute SoA path, when configured. */
  soaPath: string | null;
  /** Absolute reports folder for `annexa run`. */
  reportsDir: string;
  /** Validated parameters per check id (defaults applied by each check). */
  checkParams: Record<string, unknown>;
  /** `people:`: the identity index's alias table. */
  people: PeopleConfig;
}

/** What config validation needs to know about a check: its id and parameter schema. */
export interface CheckParamsDefinition {
  id: string;
  params?: z.ZodType;
}

/** Where config and secrets come from; injectable for tests. */
export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
  redactor: Redactor;
  /** Leave secret references unresolved: reading commands need the store path, not credentials. */
  skipSecrets?: boolean;
}

/** Reads and validates a config file. Errors are {@link ConfigError}s naming the file and key path. */
export function loadConfigFile(
  file: string,
  registry: readonly ConnectorDefinition[],
  sources: ConfigSources,
  checks: readonly CheckParamsDefinition[] = [],
): AnnexaConfig {
  let text: string;
  try {
    text = sources.readFile(file);
  } catch (error) {
    throw new ConfigError(`${file}: cannot read config file (${(error as Error).message})`, file);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => `${file}: ${e.message.split('\n')[0]}`);
    throw new ConfigError(issues.join('\n'), file, issues);
  }
  return parseConfig(doc.toJS() ?? {}, file, registry, sources, checks);
}

/** Validates a config value (already parsed from YAML). */
export function parseConfig(
  raw: unknown,
  file: string,
  registry: readonly ConnectorDefinition[],
  sources: ConfigSources,
  checks: readonly CheckParamsDefinition[] = [],
): AnnexaConfig {
  const baseDir = file.startsWith('<') ? process.cwd() : dirname(resolve(file));
  const issues: string[] = [];
  const top = fileSchema.safeParse(raw);
  if (!top.success) {
    issues.push(...formatIssues(file, [], top.error.issues));
    throw new ConfigError(issues.join('\n'), file, issues);
  }
  const seen = new Set<string>();
  const connectors: ConnectorInstanceConfig[] = [];
  top.data.connectors.forEach((entry, index) => {
    const at = ['connectors', index];
    const definition = registry.find((d) => d.type === entry.type);
    if (!definition) {
      issues.push(`${file}: ${formatPath([...at, 'type'])}: unknown connector type "${entry.type}"; expected one of ${registry.map((d) => d.type).join(', ')}`);
      return;
    }
    if (seen.has(entry.id)) issues.push(`${file}: ${formatPath([...at, 'id'])}: duplicate connector id "${entry.id}"`);
    seen.add(entry.id);
    const { id, type, enabled, http, ...rest } = entry;
    const settings = definition.config.safeParse(rest);
    if (!settings.success) {
      issues.push(...formatIssues(file, at, settings.error.issues));
      return;
    }
    const resolved = resolveSecrets(settings.data, at, baseDir, sources, issues, file);
    connectors.push({
      id,
      type,
      enabled: enabled ?? true,
      http: httpPolicy(definition, top.data.http, http),
      settings: resolved,
      definition: definition as ConnectorDefinition,
    });
  });
  const checkParams: Record<string, unknown> = {};
  for (const [id, raw] of Object.entries(top.data.checks)) {
    const check = checks.find((c) => c.id === id);
    if (!check) {
      issues.push(`${file}: checks.${id}: unknown check; expected one of ${checks.map((c) => c.id).join(', ')}`);
      continue;
    }
    if (!check.params) {
      issues.push(`${file}: checks.${id}: this check takes no parameters`);
      continue;
    }
    const parsed = check.params.safeParse(raw);
    if (parsed.success) checkParams[id] = parsed.data;
    else issues.push(...formatIssues(file, ['checks', id], parsed.error.issues));
  }
  // The identity index's alias table is one setting for every check built on the index.
  for (const check of checks) {
    if (check.id.startsWith('people.') && check.params) {
      const parsed = check.params.safeParse({ ...(checkParams[check.id] ?? {}), aliases: top.data.people.aliases });
      if (parsed.success) checkParams[check.id] = parsed.data;
    }
  }
  // The database URL is needed by reading commands too, so it always resolves.
  const url = top.data.store.url ? resolveSecrets(top.data.store.url, ['store', 'url'], baseDir, { ...sources, skipSecrets: false }, issues, file) : undefined;
  if (url instanceof Secret) sources.redactor.addUrlPassword(url.reveal());
  if (issues.length > 0) throw new ConfigError(issues.join('\n'), file, issues);
  const fromBase = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const store: StoreLocation = url instanceof Secret ? { kind: 'postgres', url } : { kind: 'sqlite', path: fromBase(top.data.store.path!) };
  return {
    file,
    storePath: describeStore(store),
    store,
    logLevel: top.data.log.level,
    connectors,
    soaPath: top.data.soa ? fromBase(top.data.soa.path) : null,
    reportsDir: fromBase(top.data.reports.dir),
    checkParams,
    people: top.data.people,
  };
}

function httpPolicy(
  definition: ConnectorDefinition,
  global: z.output<typeof httpOverrides>,
  local: z.output<typeof httpOverrides> | undefined,
): HttpPolicy {
  const merged = { ...global, ...local };
  return {
    ...defaultHttpPolicy,
    ...definition.http,
    ...(merged.concurrency !== undefined ? { concurrency: merged.concurrency } : {}),
    ...(merged.timeoutSeconds !== undefined ? { timeoutMs: merged.timeoutSeconds * 1000 } : {}),
    ...(merged.maxRetries !== undefined ? { maxRetries: merged.maxRetries } : {}),
    ...(merged.maxRateLimitWaitSeconds !== undefined ? { maxRateLimitWaitMs: merged.maxRateLimitWaitSeconds * 1000 } : {}),
  };
}

/** Replaces every {@link SecretRef} with a {@link Secret}, registering values with the redactor. */
function resolveSecrets(
  value: unknown,
  path: (string | number)[],
  baseDir: string,
  sources: ConfigSources,
  issues: string[],
  file: string,
): unknown {
  if (value instanceof SecretRef) {
    if (sources.skipSecrets) return value;
    let secret: string | undefined;
    if (value.source === 'env') {
      secret = sources.env[value.name];
      if (secret === undefined || secret === '') {
        issues.push(`${file}: ${formatPath(path)}: environment variable ${value.name} is not set (the secret is referenced as \${${value.name}})`);
        return undefined;
      }
    } else {
      const secretPath = isAbsolute(value.name) ? value.name : resolve(baseDir, value.name);
      try {
        secret = sources.readFile(secretPath).replace(/\r?\n$/, '');
      } catch (error) {
        issues.push(`${file}: ${formatPath(path)}: cannot read secret file ${secretPath} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        return undefined;
      }
      if (secret === '') {
        issues.push(`${file}: ${formatPath(path)}: secret file ${secretPath} is empty`);
        return undefined;
      }
    }
    sources.redactor.add(secret);
    return new Secret(secret, value.source === 'env' ? `env:${value.name}` : `file:${value.name}`);
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(v, [...path, i], baseDir, sources, issues, file));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveSecrets(v, [...path, k], baseDir, sources, issues, file);
    return out;
  }
  return value;
}

/** `connectors[1].org` from `['connectors', 1, 'org']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

function formatIssues(file: string, prefix: (string | number)[], issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${file}: ${formatPath([...path, key])}: unknown key`);
    }
    if (issue.code === 'invalid_union') {
      // Surface the most specific branch message instead of "Invalid input": the branch whose type
      // the value has (`{ file: 3 }` is a malformed file reference, not "expected string").
      const branch =
        issue.errors.find((issues) => issues.length > 0 && !issues.some((i) => i.code === 'invalid_type' && i.path.length === 0)) ??
        issue.errors[0];
      const nested = branch?.[0];
      if (nested) return formatIssues(file, path, [nested]).slice(0, 1);
    }
    return [`${file}: ${formatPath(path)}: ${issue.message.replace(/^Invalid input: /, '')}`];
  });
}
