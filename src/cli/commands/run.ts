import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectWithConfig, formatCollectResult } from './collect.js';
import { formatCheckSummary } from './check.js';
import { coverageSummaryLine, parseFailOn, writeCoverageFiles } from './coverage.js';
import { formatChanges } from './changes.js';
import { recordCheckRun } from '../../pipeline/check-run.js';
import { assembleCoverage } from '../../pipeline/coverage-run.js';
import { computeChanges, newlyFailing } from '../../reports/changes.js';
import { checkRegistry } from '../../checks/registry.js';
import { connectorRegistry } from '../../registry.js';
import { systemClock } from '../../core/clock.js';
import { Redactor } from '../../core/redact.js';
import { UsageError } from '../../core/errors.js';
import { openEvidenceStore } from '../../../storage/open-store.js';
import { commandLogger, loadConfig, outboundFetch, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';

export interface RunOptions extends GlobalOptions {
  only?: string[];
  failOn?: string;
  reportsDir?: string;
}

/**
 * `annexa run`, the one command for cron: collect, check, write the coverage report (JSON and
 * HTML) and the changes since the previous check run to the reports folder. Exit 0 when all is
 * well, 3 when collection was partial, 4 when `--fail-on` matched (new failing checks, or
 * coverage statuses).
 */
export async function runCommand(options: RunOptions, io: CliIO, command: string): Promise<number> {
  const failOn = (options.failOn ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const gateNewFailing = failOn.includes('new-failing');
  const coverageGate = parseFailOn(failOn.filter((s) => s !== 'new-failing').join(','));
  if (failOn.length && !gateNewFailing && coverageGate.length === 0) throw new UsageError(`--fail-on ${options.failOn}: nothing to gate on`);
  const redactor = new Redactor();
  const config = loadConfig(options, io, redactor);
  const logger = commandLogger(options, io, redactor, config.logLevel);
  const reportsDir = options.reportsDir ? join(io.cwd, options.reportsDir) : config.reportsDir;

  const collection = await collectWithConfig({ config, only: options.only ?? [], io, logger, redactor, command, clock: systemClock, fetch: outboundFetch(io, logger, redactor) });
  const store = await openEvidenceStore(config.store);
  try {
    const previousCheckRun = await store.lastCheckRun();
    const asOf = systemClock.now();
    const checks = await recordCheckRun({ store, checks: checkRegistry, connectors: connectorRegistry, params: config.checkParams, asOf, clock: systemClock, command: `${command} (check)` });
    const coverage = await assembleCoverage({ store, soaPath: config.soaPath, checkParams: config.checkParams, asOf, now: systemClock.now(), evaluations: checks.evaluations });
    // Changes after the previous check run (exclusive: its own changes were reported last time).
    const since = previousCheckRun ? new Date(Date.parse(previousCheckRun.startedAt) + 1) : new Date(collection.run.startedAt);
    const changes = await computeChanges(store, since, systemClock.now());

    const stamp = collection.run.id;
    const written = writeCoverageFiles(reportsDir, `coverage-${stamp}`, coverage);
    // Stable names for whoever serves or mails the latest report.
    writeCoverageFiles(reportsDir, 'coverage-latest', coverage);
    const files = { coverageJson: written.json, coverageHtml: written.html, changesJson: join(reportsDir, `changes-${stamp}.json`) };
    writeFileSync(files.changesJson, json(changes));

    const fresh = newlyFailing(changes);
    const s = coverage.summary;
    if (options.json) {
      io.stdout(json({ collection, checkRun: checks.run, coverage: { summary: s }, newlyFailing: fresh, reports: files }));
    } else {
      io.stdout(
        formatCollectResult(collection, config.storePath) +
          '\n' +
          formatCheckSummary(checks.evaluations) +
          `\nCoverage: ${coverageSummaryLine(s)}\n\n` +
          formatChanges(changes) +
          `\nReports: ${files.coverageHtml}\n         ${files.coverageJson}\n         ${files.changesJson}\n`,
      );
    }
    if (collection.status !== 'complete') return exitCodes.partial;
    if (gateNewFailing && fresh.length > 0) {
      io.stderr(`${fresh.length} check result(s) newly failing (--fail-on new-failing)\n`);
      return exitCodes.gate;
    }
    const gated = coverageGate.filter((status) => s.byStatus[status] > 0);
    if (gated.length) {
      io.stderr(`coverage gate: ${gated.map((g) => `${s.byStatus[g]} ${g}`).join(', ')}\n`);
      return exitCodes.gate;
    }
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}
