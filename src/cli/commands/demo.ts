import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/config.js';
import { systemClock } from '../../core/clock.js';
import { Redactor } from '../../core/redact.js';
import { UsageError } from '../../core/errors.js';
import { connectorRegistry } from '../../registry.js';
import { openSqliteStore } from '../../../storage/sqlite-store.js';
import { startSandboxEnvironment, sandboxToken, sandboxTokenVariable } from '../../demo/sandbox-environment.js';
import { commandLogger, type CliIO, type GlobalOptions } from '../runtime.js';
import { collectWithConfig, formatCollectResult } from './collect.js';
import { json } from '../table.js';
import { checkRegistry } from '../../checks/registry.js';
import { recordCheckRun } from '../../pipeline/check-run.js';
import { assembleCoverage } from '../../pipeline/coverage-run.js';
import { addManualEvidence } from '../../pipeline/manual-evidence.js';
import { loadFramework } from '../../frameworks/framework.js';
import type { EvidenceStore } from '../../../storage/evidence-store.js';
import { formatCheckSummary } from './check.js';
import { coverageSummaryLine, writeCoverageFiles } from './coverage.js';
import { exitCodes } from '../exit-codes.js';

export interface DemoOptions extends GlobalOptions {
  dir: string;
  scale: string;
}

/**
 * `annexa demo`: starts the sample APIs, writes the config it uses, runs the real connectors
 * against them into `<dir>/evidence.db`, verifies the store and says where everything is.
 * No credentials and no network beyond 127.0.0.1.
 */
export async function demoCommand(options: DemoOptions, io: CliIO): Promise<number> {
  const scale = Number(options.scale);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 100) throw new UsageError(`--scale ${options.scale}: expected a number between 0 and 100`);
  const dir = resolve(io.cwd, options.dir);
  mkdirSync(dir, { recursive: true });
  const redactor = new Redactor();
  const logger = commandLogger({ logLevel: 'warn', ...options }, io, redactor);
  // The synthetic company is anchored to the start of the UTC day, so demo runs on the same day
  // see identical data: the store then keeps one copy and `annexa changes` shows nothing new.
  const today = new Date(systemClock.now().toISOString().slice(0, 10) + 'T00:00:00.000Z');
  const sandbox = await startSandboxEnvironment({ scale, now: today });
  try {
    const raw = { store: { path: './evidence.db' }, soa: { path: './soa.yaml' }, reports: { dir: './reports' }, connectors: sandbox.connectorEntries() };
    const configFile = join(dir, 'annexa.yaml');
    writeFileSync(
      configFile,
      '# Written by `annexa demo`: the config it collected with. The sample APIs it points at\n' +
        '# run only while the demo runs; reading commands (runs, evidence, verify) work any time:\n' +
        `#   npx annexa evidence ls --config ${relative(io.cwd, configFile)}\n` +
        stringify(raw),
    );
    const env = { ...io.env, [sandboxTokenVariable]: sandboxToken };
    const config = parseConfig(raw, configFile, connectorRegistry, { env, readFile: () => '', redactor }, checkRegistry);
    const firstRun = !existsSync(config.storePath);
    if (!existsSync(config.soaPath!)) writeFileSync(config.soaPath!, demoSoa(sandbox.company.name));
    if (!options.json) {
      io.stdout(
        `Annexa demo: ${sandbox.company.name}, ${sandbox.company.people.length} people; sample GitHub API on ${sandbox.github.url}\n\n`,
      );
    }
    const result = await collectWithConfig({
      config,
      only: [],
      io,
      logger,
      redactor,
      command: `annexa demo --scale ${scale}`,
      clock: systemClock,
      fetch: globalThis.fetch,
    });
    const store = openSqliteStore(config.storePath);
    if (firstRun) await addDemoManualEvidence(store, dir, systemClock.now());
    const now = systemClock.now();
    const checks = await recordCheckRun({ store, checks: checkRegistry, connectors: connectorRegistry, params: config.checkParams, asOf: now, clock: systemClock, command: 'annexa demo (check)' });
    const coverage = await assembleCoverage({ store, soaPath: config.soaPath, checkParams: config.checkParams, asOf: now, now, evaluations: checks.evaluations });
    const coverageHtml = writeCoverageFiles(config.reportsDir, 'coverage', coverage).html;
    const verified = await store.verify();
    const runs = await store.runs();
    await store.close();
    const s = coverage.summary;
    const where = relative(io.cwd, dir) || '.';
    if (options.json) {
      io.stdout(json({ ...result, storePath: config.storePath, configFile, verify: verified, apiRequests: sandbox.github.requestCount() + sandbox.aws.requestCount(), coverage: s, coverageHtml }));
    } else {
      io.stdout(
        formatCollectResult(result, config.storePath) +
          `API requests made: ${sandbox.github.requestCount()} GitHub, ${sandbox.aws.requestCount()} AWS\n` +
          `Verify: ${verified.ok ? 'OK' : 'FAILED'} (${verified.blobsChecked} blobs, ${verified.runsChecked} runs in the chain; head ${verified.headHash?.slice(0, 16)}…)\n` +
          `The store holds ${runs.length} runs (collections, manual evidence, check results), all in one hash chain.\n` +
          '\n' +
          formatCheckSummary(checks.evaluations) +
          `\nAnnex A coverage (${config.soaPath ? relative(io.cwd, config.soaPath) : 'no SoA'}): ${coverageSummaryLine(s)}\n` +
          `Report: ${relative(io.cwd, coverageHtml)}\n` +
          `\nNext:\n` +
          `  npx annexa evidence ls --config ${where}/annexa.yaml\n` +
          `  npx annexa evidence show github.member.v1 --config ${where}/annexa.yaml\n` +
          `  npx annexa runs --config ${where}/annexa.yaml\n` +
          `  npx annexa verify --config ${where}/annexa.yaml\n` +
          `  npx annexa coverage --config ${where}/annexa.yaml\n`,
      );
    }
    if (!verified.ok) return exitCodes.verifyFailed;
    return result.status === 'complete' ? exitCodes.ok : exitCodes.partial;
  } finally {
    await sandbox.close();
  }
}

const dayMs = 86_400_000;
const day = (date: Date) => date.toISOString().slice(0, 10);

/** A filled-in SoA for the synthetic company: everything applicable but two justified exclusions. */
function demoSoa(organization: string): string {
  const { catalog } = loadFramework();
  const excluded: Record<string, string> = {
    'A.7.12': 'No premises of our own: offices are serviced and cabling belongs to the landlord (contract LL-2024-03).',
    'A.8.30': 'No development is outsourced; all code is written by employees (HR policy HR-7).',
  };
  const controls = Object.fromEntries(
    catalog.requirements
      .filter((r) => r.kind === 'control')
      .map((r) => [
        r.id,
        excluded[r.id]
          ? { applicable: false, justification: excluded[r.id] }
          : { applicable: true, justification: 'Selected in the risk treatment plan (RTP-2026).', implementation: '' },
      ]),
  );
  return `# Demo Statement of Applicability written by \`annexa demo\`; edit it freely.\n${stringify({
    framework: catalog.framework,
    organization,
    version: '1.0',
    controls,
  })}`;
}

/** Two manual documents: a current policy and an internal audit report that has expired. */
async function addDemoManualEvidence(store: EvidenceStore, dir: string, now: Date): Promise<void> {
  const { catalog } = loadFramework();
  mkdirSync(join(dir, 'documents'), { recursive: true });
  const policy = join(dir, 'documents', 'information-security-policy.md');
  writeFileSync(policy, '# Information security policy\n\nApproved by the CEO. Reviewed yearly.\n');
  const audit = join(dir, 'documents', 'internal-audit-report.md');
  writeFileSync(audit, '# Internal audit report\n\nScope: all clauses and Annex A. Two minor nonconformities.\n');
  const policyEffective = new Date(now.getTime() - 300 * dayMs);
  const auditEffective = new Date(now.getTime() - 420 * dayMs);
  const common = { store, catalog, addedBy: 'annexa demo', clock: systemClock, command: 'annexa demo (evidence add)' };
  await addManualEvidence({
    ...common,
    file: policy,
    requirements: ['A.5.1', '5.2'],
    effective: day(policyEffective),
    expires: day(new Date(policyEffective.getTime() + 365 * dayMs)),
    note: 'Policy v3, approved by the board.',
  });
  await addManualEvidence({
    ...common,
    file: audit,
    requirements: ['9.2', 'A.5.35'],
    effective: day(auditEffective),
    expires: day(new Date(auditEffective.getTime() + 365 * dayMs)),
    note: 'Last internal audit; the next one is overdue.',
  });
}
