import { resolve } from 'node:path';
import { loadConfig, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';
import { Redactor } from '../../core/redact.js';
import { openSqliteStore } from '../../../storage/sqlite-store.js';
import { currentSchemaVersion } from '../../../storage/sqlite-schema.js';
import { acquireWriterLock } from '../../../storage/lock.js';
import type { VerifyReport } from '../../../storage/evidence-store.js';
import { isDatabaseUrl } from '../../../storage/open-store.js';
import { UsageError } from '../../core/errors.js';

/**
 * `annexa store upgrade`: verifies the store, upgrades it in place to the current schema (one
 * transaction, under the writer lock), and verifies it again; the head hash must not change.
 * Any writing command upgrades too; this one shows the before and after.
 */
export async function storeUpgradeCommand(options: GlobalOptions, io: CliIO): Promise<number> {
  const location = options.store ? undefined : loadConfig(options, io, new Redactor(), true).store;
  if ((options.store && isDatabaseUrl(options.store)) || location?.kind === 'postgres') {
    throw new UsageError('a PostgreSQL store upgrades with `annexa store init` (versioned migrations, run as the schema owner)');
  }
  const path = options.store ? resolve(io.cwd, options.store) : (location as { path: string }).path;
  const verify = async (): Promise<{ version: number; report: VerifyReport }> => {
    const store = openSqliteStore(path, { readonly: true });
    try {
      return { version: store.schemaVersion, report: await store.verify() };
    } finally {
      await store.close();
    }
  };
  const before = await verify();
  if (before.version < currentSchemaVersion) {
    const lock = acquireWriterLock(path, 'store upgrade');
    try {
      await openSqliteStore(path).close();
    } finally {
      lock.release();
    }
  }
  const after = await verify();
  const ok = before.report.ok && after.report.ok && before.report.headHash === after.report.headHash;
  if (options.json) {
    io.stdout(json({ path, before: { schema: before.version, ...before.report }, after: { schema: after.version, ...after.report }, ok }));
  } else {
    for (const p of [...before.report.problems, ...after.report.problems]) io.stdout(`TAMPERED ${p.problem}: ${p.message}\n`);
    io.stdout(
      before.version === after.version
        ? `${path} is already at store schema ${after.version}\n`
        : `${path}: store schema ${before.version} → ${after.version}\n`,
    );
    io.stdout(`verify before: ${before.report.ok ? 'OK' : 'FAILED'}, ${before.report.runsChecked} runs, head ${before.report.headHash ?? '(no runs)'}\n`);
    io.stdout(`verify after:  ${after.report.ok ? 'OK' : 'FAILED'}, ${after.report.runsChecked} runs, head ${after.report.headHash ?? '(no runs)'}\n`);
  }
  return ok ? exitCodes.ok : exitCodes.verifyFailed;
}
