import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { assembleCoverage, failOnStatuses, loadApplicability } from '../../pipeline/coverage-run.js';
import { loadFramework } from '../../frameworks/framework.js';
import { checkRegistry } from '../../checks/registry.js';
import { parsePeriod } from '../../bundle/period.js';
import { storePeriodReader } from '../../bundle/period-reader.js';
import { readPeriodTimeline } from '../../reports/timeline.js';
import { renderTimelineHtml } from '../../reports/timeline-html.js';
import { renderTimelineTable } from '../../reports/timeline-table.js';
import { renderCoverageTable } from '../../reports/render-table.js';
import { renderCoverageMarkdown } from '../../reports/render-markdown.js';
import { renderCoverageHtml } from '../../reports/render-html.js';
import type { CoverageReport, CoverageSummary } from '../../reports/coverage-model.js';
import { UsageError } from '../../core/errors.js';
import { loadConfigForReading, openStoreForReading, parseAsOf, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';

export interface CoverageOptions extends GlobalOptions {
  asOf?: string;
  format: string;
  out?: string;
  failOn?: string;
  soa?: string;
  from?: string;
  to?: string;
}

const formats = ['table', 'json', 'md', 'html'] as const;

/** Renders a coverage report in one of the formats. */
export function renderCoverage(report: CoverageReport, format: (typeof formats)[number]): string {
  switch (format) {
    case 'json':
      return json(report);
    case 'md':
      return renderCoverageMarkdown(report);
    case 'html':
      return renderCoverageHtml(report);
    default:
      return renderCoverageTable(report);
  }
}

/** Writes `<name>.json` and `<name>.html` into a folder (created when missing) and returns both paths. */
export function writeCoverageFiles(dir: string, name: string, report: CoverageReport): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, `${name}.json`), html: join(dir, `${name}.html`) };
  writeFileSync(files.json, renderCoverage(report, 'json'));
  writeFileSync(files.html, renderCoverage(report, 'html'));
  return files;
}

/** One line: counts by status and the share of applicable requirements with current evidence. */
export function coverageSummaryLine(s: CoverageSummary): string {
  return (
    `${s.applicable} applicable, ${s.excluded} excluded; ${s.byStatus.passing} passing, ${s.byStatus.failing} failing, ` +
    `${s.byStatus.stale} stale, ${s.byStatus.manual} manual, ${s.byStatus.missing} missing (${s.currentEvidencePercent}% with current evidence)`
  );
}

/** Parses `--fail-on failing,stale,missing`. */
export function parseFailOn(value: string | undefined): (typeof failOnStatuses)[number][] {
  if (!value) return [];
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = parts.filter((p) => !(failOnStatuses as readonly string[]).includes(p));
  if (bad.length) throw new UsageError(`--fail-on ${value}: unknown status ${bad.join(', ')}; expected some of ${failOnStatuses.join(',')}`);
  return parts as (typeof failOnStatuses)[number][];
}

/** `annexa coverage`: which applicable controls have current, passing evidence, and the gaps. */
export async function coverageCommand(options: CoverageOptions, io: CliIO): Promise<number> {
  if (!(formats as readonly string[]).includes(options.format)) throw new UsageError(`--format ${options.format}: expected one of ${formats.join(', ')}`);
  if (options.from !== undefined || options.to !== undefined) return coveragePeriodCommand(options, io);
  const failOn = parseFailOn(options.failOn);
  const config = loadConfigForReading(options, io);
  const store = await openStoreForReading(options, io, config);
  try {
    const now = new Date();
    const report = await assembleCoverage({
      store,
      soaPath: options.soa ? resolve(io.cwd, options.soa) : (config?.soaPath ?? null),
      checkParams: config?.checkParams ?? {},
      asOf: parseAsOf(options.asOf) ?? now,
      now,
    });
    writeOutput(renderCoverage(report, options.format as (typeof formats)[number]), options.out, 'coverage report', io);
    const gating = failOn.filter((status) => report.summary.byStatus[status] > 0);
    if (gating.length) {
      io.stderr(`coverage gate: ${gating.map((s) => `${report.summary.byStatus[s]} ${s}`).join(', ')} (--fail-on ${options.failOn})\n`);
      return exitCodes.gate;
    }
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}

/** `annexa coverage --from --to`: the period timeline (days by status, changes, collection gaps) as a table, JSON or HTML. */
async function coveragePeriodCommand(options: CoverageOptions, io: CliIO): Promise<number> {
  const period = parsePeriod(options.from, options.to);
  if (options.asOf) throw new UsageError('--as-of is for one date; --from/--to give the whole period');
  if (options.format === 'md') throw new UsageError('--from/--to: --format md is not available; use table, json or html');
  if (options.failOn) throw new UsageError('--fail-on gates the picture at one date; use it without --from/--to');
  const config = loadConfigForReading(options, io);
  const store = await openStoreForReading(options, io, config);
  try {
    const framework = loadFramework();
    const timeline = await readPeriodTimeline({
      reader: storePeriodReader(store),
      period,
      framework,
      checks: checkRegistry,
      applicability: loadApplicability(options.soa ? resolve(io.cwd, options.soa) : (config?.soaPath ?? null), framework.catalog),
    });
    const text = options.format === 'json' ? json(timeline) : options.format === 'html' ? renderTimelineHtml(timeline, new Date()) : renderTimelineTable(timeline);
    writeOutput(text, options.out, 'period timeline', io);
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}

/** Writes a report to `--out` (folders created) or to stdout. */
function writeOutput(text: string, outOption: string | undefined, what: string, io: CliIO): void {
  if (!outOption) return io.stdout(text);
  const out = resolve(io.cwd, outOption);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  io.stderr(`${what} written to ${out}\n`);
}
