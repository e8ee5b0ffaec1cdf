import type { Secret } from '../src/core/secret.js';
import { redactUrl } from '../src/http/sanitize-url.js';
import type { EvidenceStore } from './evidence-store.js';
import { openSqliteStore } from './sqlite-store.js';

/** Where an evidence store is: a SQLite file, or a PostgreSQL database (URL kept as a secret). */
export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: Secret | string };

/** Whether a `--store` value names a PostgreSQL database rather than a file. */
export function isDatabaseUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** The path, or the URL with its password redacted: safe for messages and summaries. */
export function describeStore(location: StoreLocation): string {
  return location.kind === 'sqlite' ? location.path : redactUrl(typeof location.url === 'string' ? location.url : location.url.reveal());
}

/**
 * Opens the evidence store at a location, through the one contract both backends implement. The
 * PostgreSQL backend (and its driver) is loaded only when a database is named: a SQLite
 * deployment never loads it (about 6 MB of RSS in every `annexa collect`).
 */
export async function openEvidenceStore(location: StoreLocation, options: { readonly?: boolean; mapForReading?: boolean } = {}): Promise<EvidenceStore> {
  if (location.kind === 'sqlite') return openSqliteStore(location.path, options);
  const { openPostgresStore } = await import('./postgres-store.js');
  return openPostgresStore(typeof location.url === 'string' ? location.url : location.url.reveal(), { ...(options.readonly !== undefined ? { readonly: options.readonly } : {}) });
}
