import { openStoreForReading, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';

/** `annexa verify`: re-hash every blob and walk the run chain; non-zero exit on any problem. */
export async function verifyCommand(options: GlobalOptions, io: CliIO): Promise<number> {
  const store = await openStoreForReading(options, io);
  try {
    const report = await store.verify();
    if (options.json) {
      io.stdout(json(report));
    } else {
      for (const p of report.problems) io.stdout(`TAMPERED ${p.problem}: ${p.message}\n`);
      for (const id of report.unsealedRuns) io.stdout(`note: run ${id} is open or was interrupted; it is sealed as incomplete by the next collect\n`);
      io.stdout(
        report.ok
          ? `OK: ${report.blobsChecked} blobs and ${report.runsChecked} runs verified; head ${report.headHash ?? '(no runs)'}\n`
          : `FAILED: ${report.problems.length} problem(s) in ${store.location}\n`,
      );
    }
    return report.ok ? exitCodes.ok : exitCodes.verifyFailed;
  } finally {
    await store.close();
  }
}
