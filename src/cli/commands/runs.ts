import { openStoreForReading, type CliIO, type GlobalOptions } from '../runtime.js';
import { json, table } from '../table.js';
import { UsageError } from '../../core/errors.js';
import { formatJobs } from './scale.js';

/** `annexa runs`: the run history, newest first; `annexa runs <id>` for one run's outcomes. */
export async function runsCommand(id: string | undefined, options: GlobalOptions & { limit?: string }, io: CliIO): Promise<number> {
  const store = await openStoreForReading(options, io);
  try {
    if (id) {
      const run = await store.run(id);
      if (!run) throw new UsageError(`no run ${id} (see \`annexa runs\`)`);
      const jobs = (await store.sharedRuns?.jobs(run.id)) ?? [];
      if (options.json) {
        io.stdout(json(jobs.length ? { ...run, jobs } : run));
      } else {
        io.stdout(
          `Run ${run.id} (#${run.seq}) ${run.status}\n  command: ${run.command}\n  tool: annexa ${run.toolVersion}\n` +
            `  started: ${run.startedAt}\n  finished: ${run.finishedAt ?? '-'}\n  hash: ${run.hash ?? '-'}\n  previous: ${run.prevHash ?? '-'}\n\n` +
            table(
              ['connector', 'collector', 'kind', 'outcome', 'records', 'error'],
              run.outcomes.map((o) => [o.instanceId, o.collectorId, o.kind, o.status, o.recordCount, o.errorCode ? `${o.errorCode}: ${o.errorMessage}` : '']),
            ) +
            // A run written by workers: who ran what, and the retries.
            (jobs.length ? `\nWorkers:\n${formatJobs(jobs)}` : ''),
        );
      }
      return 0;
    }
    const limit = options.limit === undefined ? 20 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${options.limit}: expected a positive whole number`);
    const runs = await store.runs({ limit });
    if (options.json) io.stdout(json(runs));
    else
      io.stdout(
        table(
          ['run', 'status', 'started', 'finished', 'observations', 'hash'],
          runs.map((r) => [r.id, r.status, r.startedAt, r.finishedAt ?? '-', r.observationCount, r.hash ? `${r.hash.slice(0, 16)}…` : '-']),
        ),
      );
    return 0;
  } finally {
    await store.close();
  }
}
