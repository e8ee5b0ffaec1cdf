import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { checkRegistry } from '../../checks/registry.js';
import { UsageError } from '../../core/errors.js';
import { stageBundle, writeBundle, type SampleRequest } from '../../bundle/export.js';
import { parsePeriod } from '../../bundle/period.js';
import { loadPrivateKey } from '../../bundle/signing.js';
import { loadSampleSizeTable, parseSampleSize } from '../../sampling/sample.js';
import { loadConfigForReading, openStoreForReading, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';

export interface BundleCommandOptions extends GlobalOptions {
  from?: string;
  to?: string;
  controls?: string;
  all?: boolean;
  out: string;
  key?: string;
  format: string;
  sample?: string[];
  seed?: string;
  sizeTable?: string;
  soa?: string;
}

/** `merged-prs:25` or `merged-prs:auto`. */
export function parseSampleRequest(value: string): SampleRequest {
  const match = /^([a-z0-9-]+):(.+)$/.exec(value);
  if (!match) throw new UsageError(`--sample ${value}: expected <population>:<size>, e.g. merged-prs:25 or merged-prs:auto`);
  return { population: match[1]!, size: parseSampleSize(match[2]!) };
}

/**
 * `annexa bundle`: the auditor's evidence bundle for a period, signed with the key named by
 * `--key` (a file; the key itself never enters the bundle or the logs). `--format oscal` writes
 * only the OSCAL assessment-results document.
 */
export async function bundleCommand(options: BundleCommandOptions, io: CliIO): Promise<number> {
  const period = parsePeriod(options.from, options.to);
  if (options.format !== 'zip' && options.format !== 'oscal') throw new UsageError(`--format ${options.format}: expected zip or oscal`);
  if (options.controls && options.all) throw new UsageError('give either --controls or --all, not both');
  const requirements: string[] | 'all' = options.controls ? options.controls.split(',').map((c) => c.trim()).filter(Boolean) : 'all';
  const out = resolve(io.cwd, options.out);
  if (existsSync(out)) throw new UsageError(`--out ${options.out} already exists; bundles are never overwritten`);
  if (options.format === 'zip' && !options.key) throw new UsageError('--key <file> is required: the Ed25519 private key that signs the manifest (create one with `annexa keys generate`)');
  // OSCAL alone carries no signature: a throwaway key signs the manifest that is then discarded.
  const privateKey = options.key ? loadPrivateKey(resolve(io.cwd, options.key)) : generateKeyPairSync('ed25519').privateKey;
  const samples = (options.sample ?? []).map(parseSampleRequest);
  const sizeTable = options.sizeTable ? loadSampleSizeTable(resolve(io.cwd, options.sizeTable)) : undefined;
  const config = loadConfigForReading(options, io);
  const store = await openStoreForReading(options, io, config);
  mkdirSync(dirname(out), { recursive: true });
  const common = {
    store,
    period,
    requirements,
    checks: checkRegistry,
    soaPath: options.soa ? resolve(io.cwd, options.soa) : (config?.soaPath ?? null),
    checkParams: config?.checkParams ?? {},
    privateKey,
    samples,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(sizeTable ? { sizeTable } : {}),
    now: new Date(),
    workDir: dirname(out),
  };
  const started = Date.now();
  try {
    if (options.format === 'oscal') {
      const staged = await stageBundle(common);
      try {
        copyFileSync(staged.oscal.diskPath, out);
      } finally {
        staged.cleanup();
      }
      io.stdout(options.json ? json({ out, bytes: statSync(out).size }) : `OSCAL assessment results for ${period.from} to ${period.to} written to ${out}\n`);
      return exitCodes.ok;
    }
    const summary = await writeBundle({ ...common, out });
    const seconds = (Date.now() - started) / 1000;
    if (options.json) {
      io.stdout(json({ ...summary, seconds }));
    } else {
      io.stdout(
        `Bundle ${summary.out}: ${summary.files} files, ${summary.bytes} bytes, ${summary.requirements} requirements, ${period.from} to ${period.to} (${seconds.toFixed(1)} s)\n` +
          `Signed by ${summary.signingKey}; evidence store chain head ${summary.chainHead?.hash ?? '(no sealed run)'}\n` +
          (summary.withoutEvidence.length ? `No evidence in the period for ${summary.withoutEvidence.length} applicable requirement(s): ${summary.withoutEvidence.join(', ')}\n` : '') +
          summary.samples.map((s) => `Sample ${s.population}: ${s.size} of ${s.populationSize}\n`).join('') +
          `Verify: annexa verify ${options.out} --public-key <public key>\n`,
      );
    }
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}
