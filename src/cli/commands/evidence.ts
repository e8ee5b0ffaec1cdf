import { rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openStoreForReading, parseAsOf, type CliIO, type GlobalOptions } from '../runtime.js';
import { json, table } from '../table.js';
import { UsageError } from '../../core/errors.js';

/** `annexa evidence ls`: every kind with its latest collection per connector instance. */
export async function evidenceLsCommand(options: GlobalOptions & { asOf?: string }, io: CliIO): Promise<number> {
  const store = await openStoreForReading(options, io);
  try {
    const kinds = await store.kinds({ asOf: parseAsOf(options.asOf) });
    if (options.json) io.stdout(json(kinds));
    else
      io.stdout(
        table(
          ['kind', 'connector', 'latest outcome', 'records', 'collected at', 'run'],
          kinds.map((k) => [
            k.kind,
            k.instanceId,
            k.latestOutcome.status === 'collected' ? 'collected' : `failed ${k.latestOutcome.errorCode}`,
            k.lastCollected?.recordCount ?? '-',
            k.lastCollected?.finishedAt ?? 'never',
            k.lastCollected?.runId ?? '-',
          ]),
        ),
      );
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `annexa evidence show <kind>`: the records of the latest collection as of a date, optionally
 * one subject's history (`--subject`), or a blob by digest (`annexa evidence show sha256:<hex>`).
 */
export async function evidenceShowCommand(
  target: string,
  options: GlobalOptions & { asOf?: string; subject?: string; connector?: string; history?: boolean },
  io: CliIO,
): Promise<number> {
  const store = await openStoreForReading(options, io);
  try {
    const digest = /^(?:sha256:)?([0-9a-f]{64})$/.exec(target)?.[1];
    if (digest) {
      const value = await store.blob(digest);
      if (value === undefined) throw new UsageError(`no blob ${digest}`);
      io.stdout(json(value));
      return 0;
    }
    const asOf = parseAsOf(options.asOf);
    if (options.subject && options.history) {
      const records = await store.history(target, options.subject, asOf ? { until: asOf } : {});
      if (records.length === 0) throw new UsageError(`no evidence of ${target} about ${options.subject}`);
      io.stdout(options.json ? json(records) : table(['collected at', 'run', 'digest'], records.map((r) => [r.collectedAt, r.runId, r.digest.slice(0, 16)])));
      return 0;
    }
    const snapshots = await store.latest(target, { ...(asOf ? { asOf } : {}), ...(options.connector ? { instanceId: options.connector } : {}) });
    if (snapshots.length === 0) throw new UsageError(`no evidence of kind ${target} (see \`annexa evidence ls\`)`);
    const selected = snapshots.map((s) => ({
      ...s,
      records: options.subject ? s.records.filter((r) => r.subject === options.subject) : s.records,
    }));
    if (options.json) {
      io.stdout(json(selected));
      return 0;
    }
    for (const s of selected) {
      const outcome = s.latestOutcome;
      io.stdout(
        `${s.kind} from ${s.instanceId}: latest outcome ${outcome.status}${outcome.errorCode ? ` (${outcome.errorCode}: ${outcome.errorMessage})` : ''}; ` +
          `records from run ${s.lastCollected?.runId ?? '-'} at ${s.lastCollected?.finishedAt ?? 'never'}\n`,
      );
      for (const r of s.records) io.stdout(`\n# ${r.subject}  (sha256:${r.digest.slice(0, 16)}…)\n${JSON.stringify(r.payload, null, 2)}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `annexa evidence file <sha256> --out FILE`: writes a stored manual evidence file back out, verifying every chunk. */
export async function evidenceFileCommand(digest: string, options: GlobalOptions & { out: string }, io: CliIO): Promise<number> {
  const hex = /^(?:sha256:)?([0-9a-f]{64})$/.exec(digest)?.[1];
  if (!hex) throw new UsageError(`${digest}: expected a sha256 digest (64 hex characters)`);
  const store = await openStoreForReading(options, io);
  const out = resolve(io.cwd, options.out);
  try {
    const hash = createHash('sha256');
    const chunks = store.readFile(hex);
    // Open first (exclusively), so a failure below can remove exactly what was created.
    const target = await open(out, 'wx');
    // Re-hash while writing: what leaves the store is exactly what was added.
    await pipeline(
      (async function* () {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      })(),
      target.createWriteStream(),
    );
    if (hash.digest('hex') !== hex) throw new Error(`stored file ${hex} does not match its digest; run \`annexa verify\``);
    io.stderr(`wrote ${out}\n`);
    return 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`--out ${out} already exists`);
    // Never leave a partial or unverified copy behind.
    rmSync(out, { force: true });
    if (error instanceof Error && error.message.startsWith('no stored file')) throw new UsageError(`${error.message} (see \`annexa evidence show manual.document.v1\`)`);
    throw error;
  } finally {
    await store.close();
  }
}
