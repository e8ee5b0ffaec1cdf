import { resolve } from 'node:path';
import { loadConfig, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';
import { Redactor } from '../../core/redact.js';
import { UsageError } from '../../core/errors.js';
import { describeStore, isDatabaseUrl, openEvidenceStore, type StoreLocation } from '../../../storage/open-store.js';
import { grantsSql } from '../../../storage/postgres-schema.js';
import { StoreCopyError, copyStore } from '../../../storage/copy-store.js';

/** The store a maintenance command works on: `--store` (a file or a postgres:// URL), else the config's. */
function storeLocation(options: GlobalOptions, io: CliIO): StoreLocation {
  if (options.store) return locationOf(options.store, io);
  return loadConfig(options, io, new Redactor(), true).store;
}

function locationOf(value: string, io: CliIO): StoreLocation {
  return isDatabaseUrl(value) ? { kind: 'postgres', url: value } : { kind: 'sqlite', path: resolve(io.cwd, value) };
}

export interface StoreInitOptions extends GlobalOptions {
  printGrants?: boolean;
  role: string;
  schema: string;
}

/**
 * `annexa store init`: creates the store, or applies pending schema migrations (PostgreSQL: in
 * one transaction under an advisory lock); run it as the schema's owner. `--print-grants` prints
 * the GRANTs for the role Annexa writes with instead, and touches nothing.
 */
export async function storeInitCommand(options: StoreInitOptions, io: CliIO): Promise<number> {
  if (options.printGrants) {
    if (!/^[A-Za-z_][A-Za-z0-9_$-]*$/.test(options.role)) throw new UsageError(`--role ${options.role}: expected a PostgreSQL role name`);
    io.stdout(grantsSql(options.role, options.schema));
    return exitCodes.ok;
  }
  const location = storeLocation(options, io);
  const store = await openEvidenceStore(location);
  await store.close();
  io.stdout(options.json ? json({ store: describeStore(location), ready: true }) : `${describeStore(location)}: evidence store ready (schema current)\n`);
  return exitCodes.ok;
}

export interface StoreMigrateOptions extends GlobalOptions {
  to: string;
}

/**
 * `annexa store migrate --to <postgres://… | file.db>`: copies the store (the config's, or
 * `--store`) into an empty one on the other backend, then verifies both: exit 0 only when both
 * verify and their chain heads are equal, 5 otherwise.
 */
export async function storeMigrateCommand(options: StoreMigrateOptions, io: CliIO): Promise<number> {
  const from = storeLocation(options, io);
  const to = locationOf(options.to, io);
  if (from.kind === to.kind) throw new UsageError(`store migrate copies between SQLite and PostgreSQL; ${describeStore(from)} and ${describeStore(to)} are both ${to.kind}`);
  let result;
  try {
    result = await copyStore(from, to);
  } catch (error) {
    if (error instanceof StoreCopyError) throw new UsageError(error.message);
    throw error;
  }
  const summary = {
    from: describeStore(from),
    to: describeStore(to),
    rows: result.rows,
    source: { ok: result.source.ok, runs: result.source.runsChecked, head: result.source.headHash ?? null },
    target: { ok: result.target.ok, runs: result.target.runsChecked, head: result.target.headHash ?? null },
    ok: result.ok,
  };
  if (options.json) io.stdout(json(summary));
  else {
    for (const p of [...result.source.problems, ...result.target.problems]) io.stdout(`TAMPERED ${p.problem}: ${p.message}\n`);
    io.stdout(`copied ${describeStore(from)} → ${describeStore(to)}: ${Object.entries(result.rows).map(([t, n]) => `${n} ${t}`).join(', ')}\n`);
    io.stdout(`source: ${result.source.ok ? 'OK' : 'FAILED'}, ${result.source.runsChecked} runs, head ${result.source.headHash ?? '(no runs)'}\n`);
    io.stdout(`target: ${result.target.ok ? 'OK' : 'FAILED'}, ${result.target.runsChecked} runs, head ${result.target.headHash ?? '(no runs)'}\n`);
    io.stdout(result.ok ? 'same chain head: the copy is complete\n' : 'MISMATCH: the copy does not verify to the same chain head\n');
  }
  return result.ok ? exitCodes.ok : exitCodes.verifyFailed;
}
