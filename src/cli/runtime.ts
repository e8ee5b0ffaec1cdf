import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfigFile, type AnnexaConfig } from '../config/config.js';
import { ConfigError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { Redactor } from '../core/redact.js';
import { connectorRegistry } from '../registry.js';
import { checkRegistry } from '../checks/registry.js';
import { isDatabaseUrl, openEvidenceStore } from '../../storage/open-store.js';
import type { EvidenceStore } from '../../storage/evidence-store.js';
import { nodeFetch } from '../http/node-fetch.js';
import { describeProxySettings, proxySettingsFromEnv } from '../http/proxy.js';

/** Options every command accepts. */
export interface GlobalOptions {
  config?: string;
  store?: string;
  logLevel?: string;
  json?: boolean;
}

/** The process-level I/O a command uses, injectable so commands can be tested in-process. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress lines, readable logs). */
  isTTY: boolean;
  cwd: string;
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTTY: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
};

/** The config path: `--config`, then `ANNEXA_CONFIG`, then `./annexa.yaml`. */
export function configPath(options: GlobalOptions, io: CliIO): string {
  return resolve(io.cwd, options.config ?? io.env.ANNEXA_CONFIG ?? 'annexa.yaml');
}

/** Loads and validates the config named by the options. */
export function loadConfig(options: GlobalOptions, io: CliIO, redactor: Redactor, skipSecrets = false): AnnexaConfig {
  const file = configPath(options, io);
  if (!existsSync(file)) {
    throw new ConfigError(
      `${file}: config file not found. Copy config.example.yaml to annexa.yaml, or pass --config / set ANNEXA_CONFIG.`,
      file,
    );
  }
  return loadConfigFile(file, connectorRegistry, { env: io.env, readFile: (p) => readFileSync(p, 'utf8'), redactor, skipSecrets }, checkRegistry);
}

/** A logger for a command: JSON lines unless stderr is a terminal. */
export function commandLogger(options: GlobalOptions, io: CliIO, redactor: Redactor, configured?: string): Logger {
  return createLogger({ level: options.logLevel ?? io.env.ANNEXA_LOG_LEVEL ?? configured ?? 'info', redactor, pretty: io.isTTY });
}

/**
 * The transport commands that reach real APIs send through (`collect`, `run`, `worker`): node:http
 * and node:https, through the proxies the environment names (`https_proxy`, `http_proxy`,
 * `all_proxy`, `no_proxy`). A proxy's password is a secret: redacted wherever it could appear.
 */
export function outboundFetch(io: CliIO, logger: Logger, redactor: Redactor): typeof fetch {
  const proxy = proxySettingsFromEnv(io.env);
  if (!proxy) return nodeFetch();
  for (const url of [proxy.https, proxy.http]) if (url) redactor.addUrlPassword(url.href);
  logger.info(describeProxySettings(proxy), 'outbound requests go through a proxy (loopback and no_proxy hosts go direct)');
  return nodeFetch({ proxy });
}

/**
 * Opens the store for reading commands: `--store` when given (an auditor with only the database
 * file, or a `postgres://` URL), otherwise the config's store.
 */
export async function openStoreForReading(options: GlobalOptions, io: CliIO, config?: AnnexaConfig | null): Promise<EvidenceStore> {
  if (options.store) {
    const location = isDatabaseUrl(options.store) ? { kind: 'postgres' as const, url: options.store } : { kind: 'sqlite' as const, path: resolve(io.cwd, options.store) };
    return openEvidenceStore(location, { readonly: true });
  }
  return openEvidenceStore((config ?? loadConfig(options, io, new Redactor(), true)).store, { readonly: true });
}

/**
 * The config for a reading command, without resolving secrets. With `--store` and no config file
 * at all (an auditor with only the database), there is none: callers fall back to defaults.
 */
export function loadConfigForReading(options: GlobalOptions, io: CliIO): AnnexaConfig | null {
  if (options.store && !options.config && !io.env.ANNEXA_CONFIG && !existsSync(configPath(options, io))) return null;
  return loadConfig(options, io, new Redactor(), true);
}

/** Parses a `--as-of` value (a date or a timestamp); a bare date means the end of that day, UTC. */
export function parseAsOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T23:59:59.999Z`) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new ConfigError(`--as-of ${value}: expected a date like 2026-03-31 or an ISO-8601 timestamp`);
  return date;
}
