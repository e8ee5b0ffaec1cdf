import { createHash, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../core/errors.js';
import { openZip, readEntry, type ZipEntryReader } from './zip.js';
import {
  checksumsFile,
  checksumsSignatureFile,
  checksumsText,
  controlFiles,
  manifestFile,
  manifestSignatureFile,
  type BundleManifest,
} from './manifest.js';
import { publicKeyFingerprint, verifyBytes } from './signing.js';

/** One thing wrong with a bundle, naming the file. */
export interface BundleProblem {
  problem:
    | 'signature_invalid'
    | 'hash_mismatch'
    | 'size_mismatch'
    | 'file_missing'
    | 'file_extra'
    | 'duplicate_entry'
    | 'manifest_invalid'
    | 'checksums_mismatch'
    | 'zip_unreadable';
  file: string;
  message: string;
}

/** What `annexa verify <bundle.zip>` found. */
export interface BundleVerifyReport {
  ok: boolean;
  bundle: string;
  publicKey: string;
  filesVerified: number;
  bytesVerified: number;
  period: BundleManifest['period'] | null;
  chainHead: BundleManifest['store']['chainHead'];
  problems: BundleProblem[];
}

/**
 * Verifies a bundle with nothing but the bundle and the signer's public key: both signatures
 * (manifest.json and SHA256SUMS), every file's sha256 and size against the manifest, files
 * present but not listed, files listed but missing, and duplicate zip entries.
 */
export async function verifyBundle(file: string, publicKey: KeyObject): Promise<BundleVerifyReport> {
  const problems: BundleProblem[] = [];
  const report: BundleVerifyReport = {
    ok: false,
    bundle: file,
    publicKey: publicKeyFingerprint(publicKey),
    filesVerified: 0,
    bytesVerified: 0,
    period: null,
    chainHead: null,
    problems,
  };
  if (!existsSync(file)) throw new UsageError(`${file}: no such bundle`);
  let zip: Awaited<ReturnType<typeof openZip>>;
  try {
    zip = await openZip(file);
  } catch (error) {
    // A truncated or damaged zip cannot be trusted either: reported like any other mismatch.
    problems.push({ problem: 'zip_unreadable', file: basename(file), message: `${file} is not a readable zip (${(error as Error).message})` });
    return report;
  }
  try {
    const byName = new Map<string, ZipEntryReader>();
    for (const entry of zip.entries) {
      if (byName.has(entry.name)) problems.push({ problem: 'duplicate_entry', file: entry.name, message: `${entry.name} appears twice in the zip` });
      byName.set(entry.name, entry);
    }
    const read = async (name: string): Promise<Buffer | undefined> => {
      const entry = byName.get(name);
      if (!entry) {
        problems.push({ problem: 'file_missing', file: name, message: `${name} is missing from the bundle` });
        return undefined;
      }
      try {
        return await readEntry(entry);
      } catch (error) {
        problems.push({ problem: 'hash_mismatch', file: name, message: `${name} cannot be read from the zip (${(error as Error).message}): damaged or altered` });
        return undefined;
      }
    };
    const manifestBytes = await read(manifestFile);
    const manifestSig = await read(manifestSignatureFile);
    if (manifestBytes && manifestSig && !verifyBytes(publicKey, manifestBytes, manifestSig)) {
      problems.push({
        problem: 'signature_invalid',
        file: manifestFile,
        message: `${manifestSignatureFile} does not verify ${manifestFile} under public key ${report.publicKey} (the manifest was edited, or this is not the signer's key)`,
      });
    }
    let manifest: BundleManifest | undefined;
    if (manifestBytes) {
      try {
        manifest = JSON.parse(manifestBytes.toString('utf8')) as BundleManifest;
        if (!Array.isArray(manifest.files)) throw new Error('no files list');
      } catch (error) {
        problems.push({ problem: 'manifest_invalid', file: manifestFile, message: `${manifestFile} is not a bundle manifest (${(error as Error).message})` });
        manifest = undefined;
      }
    }
    if (manifest) {
      report.period = manifest.period ?? null;
      report.chainHead = manifest.store?.chainHead ?? null;
      const listed = new Map(manifest.files.map((f) => [f.path, f]));
      for (const name of byName.keys()) {
        if (!listed.has(name) && !(controlFiles as readonly string[]).includes(name)) {
          problems.push({ problem: 'file_extra', file: name, message: `${name} is in the bundle but not in the manifest (added after signing)` });
        }
      }
      for (const expected of manifest.files) {
        const entry = byName.get(expected.path);
        if (!entry) {
          problems.push({ problem: 'file_missing', file: expected.path, message: `${expected.path} is listed in the manifest but missing from the bundle` });
          continue;
        }
        let digest: { sha256: string; size: number };
        try {
          digest = await digestEntry(entry);
        } catch (error) {
          problems.push({ problem: 'hash_mismatch', file: expected.path, message: `${expected.path} cannot be read from the zip (${(error as Error).message}): damaged or altered` });
          continue;
        }
        const { sha256, size } = digest;
        if (sha256 !== expected.sha256) {
          problems.push({ problem: 'hash_mismatch', file: expected.path, message: `${expected.path}: sha256 ${sha256} does not match the manifest's ${expected.sha256} (content changed)` });
        } else if (size !== expected.size) {
          problems.push({ problem: 'size_mismatch', file: expected.path, message: `${expected.path}: ${size} bytes, the manifest says ${expected.size}` });
        } else {
          report.filesVerified++;
          report.bytesVerified += size;
        }
      }
      const checksums = await read(checksumsFile);
      const checksumsSig = await read(checksumsSignatureFile);
      if (checksums && checksumsSig && !verifyBytes(publicKey, checksums, checksumsSig)) {
        problems.push({ problem: 'signature_invalid', file: checksumsFile, message: `${checksumsSignatureFile} does not verify ${checksumsFile} under public key ${report.publicKey}` });
      }
      if (checksums && manifestBytes) {
        const expected = checksumsText(manifest.files, createHash('sha256').update(manifestBytes).digest('hex'));
        if (checksums.toString('utf8') !== expected) {
          problems.push({ problem: 'checksums_mismatch', file: checksumsFile, message: `${checksumsFile} does not list exactly the manifest's files and digests` });
        }
      }
    }
  } finally {
    zip.close();
  }
  report.ok = problems.length === 0;
  return report;
}

async function digestEntry(entry: ZipEntryReader): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of (await entry.open()) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
