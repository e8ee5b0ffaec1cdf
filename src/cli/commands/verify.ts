import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { loadPublicKey } from '../../bundle/signing.js';
import { verifyBundle } from '../../bundle/verify.js';
import { openStoreForReading, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';

/**
 * `annexa verify`: re-hash every blob and walk the run chain of the store; with a bundle and
 * `--public-key`, verify the bundle instead. Non-zero exit (5) on any problem.
 */
export async function verifyCommand(options: GlobalOptions & { publicKey?: string }, io: CliIO, bundle?: string): Promise<number> {
  if (bundle !== undefined || options.publicKey !== undefined) {
    if (bundle === undefined) throw new UsageError('--public-key verifies a bundle: name it, e.g. annexa verify acme-2026.zip --public-key annexa-signing.pub');
    if (options.publicKey === undefined) throw new UsageError(`verifying ${bundle} needs --public-key <file>: the signer's Ed25519 public key`);
    return verifyBundleCommand(resolve(io.cwd, bundle), resolve(io.cwd, options.publicKey), options, io);
  }
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

async function verifyBundleCommand(bundle: string, publicKeyFile: string, options: GlobalOptions, io: CliIO): Promise<number> {
  const report = await verifyBundle(bundle, loadPublicKey(publicKeyFile));
  if (options.json) {
    io.stdout(json(report));
  } else {
    for (const p of report.problems) io.stdout(`TAMPERED ${p.file}: ${p.message}\n`);
    if (report.ok) {
      io.stdout(
        `OK: ${bundle}\n` +
          `  signatures of manifest.json and SHA256SUMS verified with public key ${report.publicKey}\n` +
          `  ${report.filesVerified} files (${report.bytesVerified} bytes) match their sha256 and size in the manifest; none missing, none added\n` +
          `  period ${report.period?.from} to ${report.period?.to}; evidence store chain head ${report.chainHead?.hash ?? '(none)'}\n`,
      );
    } else {
      io.stdout(`FAILED: ${report.problems.length} problem(s) in ${bundle}\n`);
    }
  }
  return report.ok ? exitCodes.ok : exitCodes.verifyFailed;
}
