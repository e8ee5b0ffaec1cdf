import type { BundleFile } from './staging.js';
import type { Period } from './period.js';

/** Files that make the bundle verifiable; every other file is listed in the manifest. */
export const manifestFile = 'manifest.json';
export const manifestSignatureFile = 'manifest.sig';
export const checksumsFile = 'SHA256SUMS';
export const checksumsSignatureFile = 'SHA256SUMS.sig';
export const controlFiles = [manifestFile, manifestSignatureFile, checksumsFile, checksumsSignatureFile] as const;

/** A store run included in the period, with its seal: the auditor can match it against `annexa verify` on the store. */
export interface ManifestRun {
  id: string;
  seq: number;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  hash: string | null;
  prevHash: string | null;
}

/** `manifest.json`: what the bundle holds and where it came from; signed as its exact bytes. */
export interface BundleManifest {
  format: 'annexa-evidence-bundle';
  formatVersion: 1;
  tool: { name: 'annexa'; version: string };
  generatedAt: string;
  period: Period;
  /** Requirement ids the bundle covers (Annex A controls and clauses). */
  requirements: string[];
  framework: {
    id: string;
    title: string;
    catalog: { file: string; sha256: string };
    mappings: { file: string; sha256: string }[];
  };
  /** The Statement of Applicability used (file name and digest), or null. */
  soa: { file: string; sha256: string } | null;
  store: {
    /** The newest sealed run of the store when the bundle was made. */
    chainHead: { runId: string; seq: number; hash: string } | null;
    /** Runs started in the period, oldest first. */
    runs: ManifestRun[];
  };
  /** sha256 of the signing public key (DER SubjectPublicKeyInfo). */
  signingKey: string;
  /** How record digests are computed. */
  recordDigests: string;
  /** Samples drawn into the bundle (details in `samples/`). */
  samples: { population: string; seed: string; size: number; populationSha256: string; file: string }[];
  /** Every file of the bundle except manifest.json, manifest.sig, SHA256SUMS and SHA256SUMS.sig. */
  files: BundleFile[];
}

export const recordDigestRule =
  'sha256 (lower-case hex) of the record payload serialized as RFC 8785 JSON Canonicalization Scheme (JCS) UTF-8 bytes';

/** The manifest's bytes: two-space JSON and a final newline (the signature covers exactly these bytes). */
export function serializeManifest(manifest: BundleManifest): Buffer {
  return Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
}

/** `SHA256SUMS` in the format `sha256sum -c` reads: every listed file, and manifest.json. */
export function checksumsText(files: readonly BundleFile[], manifestSha256: string): string {
  const lines = [...files, { path: manifestFile, sha256: manifestSha256 }]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.path}\n`);
  return lines.join('');
}
