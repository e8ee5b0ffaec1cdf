import type { CoverageReport } from '../reports/coverage-model.js';
import { escapeHtml as esc } from '../reports/render-html.js';
import type { PeriodTimeline } from '../reports/timeline.js';
import { badge, checkTimelineHtml, controlTimelineHtml, countsText, page } from '../reports/timeline-html.js';
import type { SampleRecord } from '../sampling/sample.js';
import type { StagedFile } from './staging.js';

/** Where one evidence kind came from in the period: connector instances, collectors, source systems. */
export interface KindSummary {
  kind: string;
  file: string;
  versions: number;
  subjects: number;
  instances: { instanceId: string; collectorId: string; source: string; firstSeen: string; lastSeen: string }[];
}

export interface BundleIndexInput {
  timeline: PeriodTimeline;
  coverage: CoverageReport;
  kinds: readonly KindSummary[];
  samples: readonly SampleRecord[];
  generatedAt: Date;
  chainHead: string | null;
  /** Every file staged so far (index.html, README and the manifest come after). */
  files: readonly StagedFile[];
  manualFiles: ReadonlyMap<string, StagedFile>;
  /** Population file path → the evidence kind it is drawn from. */
  populationKinds: ReadonlyMap<string, string>;
}

/**
 * The auditor's entry page: one self-contained offline HTML file (no script, nothing loaded)
 * with the summary, a control matrix over the period, and per control its checks day by day,
 * status changes with the evidence behind them, collection gaps, evidence sources with
 * timestamps and collectors, manual evidence, and links to every file of the bundle.
 */
export function renderBundleIndex(input: BundleIndexInput): string {
  const { timeline, coverage } = input;
  const { period } = timeline;
  const checkById = new Map(timeline.checks.map((c) => [c.checkId, c]));
  const rowById = new Map(coverage.controls.map((r) => [r.id, r]));
  const kindByName = new Map(input.kinds.map((k) => [k.kind, k]));
  const anchor = (id: string) => `req-${id.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const link = (path: string, text = path) => `<a href="${esc(path)}">${esc(text)}</a>`;
  const staged = new Set(input.files.map((f) => f.path));
  const evidenceLink = (digest: string) => (staged.has(`evidence/check-inputs/${digest}.json`) ? `evidence/check-inputs/${digest}.json` : null);

  const populations = (checkIds: readonly string[]) => {
    const kinds = new Set(checkIds.flatMap((id) => checkById.get(id)?.kinds ?? []));
    return input.files
      .filter((f) => f.path.startsWith('populations/') && input.populationKinds.get(f.path) !== undefined && kinds.has(input.populationKinds.get(f.path)!))
      .map((f) => ` · ${link(f.path, `${f.path.slice('populations/'.length)} (population)`)}`)
      .join('');
  };
  const applicable = timeline.controls.filter((c) => c.applicable);
  const withoutEvidence = applicable.filter((c) => !c.evidenceInPeriod);
  const summary = `<section class="box" id="summary">
<h2>Summary</h2>
<p>Period <strong>${esc(period.from)}</strong> to <strong>${esc(period.to)}</strong> (${timeline.days} days, UTC). ${timeline.controls.length} requirement(s) in this bundle: ${applicable.length} applicable, ${timeline.controls.length - applicable.length} excluded in the Statement of Applicability.</p>
<p>${timeline.checks.length} check(s) over the period; ${timeline.checks.reduce((n, c) => n + c.changes.length, 0)} status change(s); evidence store chain head <code>${esc(input.chainHead ?? 'none')}</code>.</p>
<p data-no-evidence>${withoutEvidence.length === 0 ? 'Every applicable requirement had evidence in the period.' : `<strong>${withoutEvidence.length} applicable requirement(s) had no evidence in the period:</strong> ${withoutEvidence.map((c) => `<a href="#${anchor(c.id)}">${esc(c.id)}</a>`).join(', ')}.`}</p>
<p>Files: ${link('soa.csv')} · ${link('coverage/coverage.html', 'coverage at period end')} · ${link('timeline.json')} · ${link('oscal/assessment-results.json', 'OSCAL assessment results')} · ${link('README.txt', 'README.txt (how to verify)')} · ${link('manifest.json')}</p>
</section>`;

  const matrix = `<section class="box" id="matrix">
<h2>Control matrix</h2>
<table><thead><tr><th>requirement</th><th>title</th><th>at period end</th><th>over the period</th></tr></thead><tbody>
${timeline.controls
  .map((c) => {
    const row = rowById.get(c.id);
    return `<tr data-control="${esc(c.id)}"><td><a href="#${anchor(c.id)}">${esc(c.id)}</a></td><td>${esc(c.title)}</td><td>${row ? badge(row.status) : ''}</td><td>${c.evidenceInPeriod || !c.applicable ? esc(countsText(c.days)) : '<strong>no evidence in the period</strong>'}</td></tr>`;
  })
  .join('\n')}
</tbody></table>
</section>`;

  const details = timeline.controls
    .map((c) => {
      const row = rowById.get(c.id);
      const checks = c.checks.map((id) => checkById.get(id)!);
      const kinds = [...new Set(checks.flatMap((k) => k.kinds))].map((k) => kindByName.get(k)).filter((k): k is KindSummary => k !== undefined);
      const sources = kinds.length
        ? `<h4>Evidence read</h4><table><thead><tr><th>kind</th><th>connector instance</th><th>collector</th><th>source</th><th>first seen</th><th>last seen</th><th>records</th></tr></thead><tbody>${kinds
            .flatMap((k) =>
              (k.instances.length ? k.instances : [null]).map(
                (i) =>
                  `<tr><td>${link(k.file, k.kind)}</td><td>${esc(i?.instanceId ?? '-')}</td><td>${esc(i?.collectorId ?? '-')}</td><td>${esc(i?.source ?? '-')}</td><td>${i ? `<time datetime="${esc(i.firstSeen)}">${esc(i.firstSeen)}</time>` : 'never collected in the period'}</td><td>${i ? `<time datetime="${esc(i.lastSeen)}">${esc(i.lastSeen)}</time>` : ''}</td><td>${k.versions} version(s) of ${k.subjects} subject(s)</td></tr>`,
              ),
            )
            .join('')}</tbody></table>`
        : '';
      const results = checks.map((k) => link(`controls/${c.id}/checks/${k.checkId}.results.csv`, `${k.checkId} results`)).join(' · ');
      const manual = c.manualEvidence.length
        ? `<h4>Manual evidence</h4><table><thead><tr><th>file</th><th>effective</th><th>expires</th><th>added</th><th>sha256</th></tr></thead><tbody>${c.manualEvidence
            .map((m) => {
              const file = input.manualFiles.get(m.digest);
              return `<tr><td>${file ? link(`controls/${c.id}/${file.path}`, m.fileName) : esc(m.fileName)}</td><td>${esc(m.effective)}</td><td>${esc(m.expires ?? 'no expiry')}</td><td>${esc(m.addedBy)}, <time datetime="${esc(m.addedAt)}">${esc(m.addedAt)}</time></td><td><code>${esc(m.digest)}</code></td></tr>`;
            })
            .join('')}</tbody></table>`
        : '';
      const soa = c.applicable
        ? c.justification
          ? `<p class="muted">SoA: ${esc(c.justification)}</p>`
          : ''
        : `<p><strong>Excluded</strong> in the Statement of Applicability: ${esc(c.justification ?? 'no justification recorded')}</p>`;
      return `<section class="box control" id="${anchor(c.id)}" data-control="${esc(c.id)}">
<h2>${esc(c.id)} ${esc(c.title)} ${row ? badge(row.status) : ''}</h2>
${soa}
${controlTimelineHtml(c)}
<p>Files: ${link(`controls/${c.id}/control.json`, 'control.json')} · ${link(`controls/${c.id}/timeline.csv`, 'timeline.csv')}${results ? ` · ${results}` : ''}${populations(c.checks)}</p>
${sources}
${checks.map((k) => checkTimelineHtml(k, evidenceLink)).join('\n')}
${manual}
</section>`;
    })
    .join('\n');

  const samples = input.samples.length
    ? `<section class="box" id="samples"><h2>Samples</h2><table><thead><tr><th>population</th><th>size</th><th>seed</th><th>population sha256</th><th>files</th></tr></thead><tbody>${input.samples
        .map(
          (s) =>
            `<tr><td>${link(`populations/${s.population}.csv`, s.population)}</td><td>${s.size} of ${s.populationSize}</td><td><code>${esc(s.seed)}</code></td><td><code>${esc(s.populationSha256)}</code></td><td>${link(`samples/${s.population}.csv`, 'sample.csv')} · ${link(`samples/${s.population}.json`, 'sample.json')}</td></tr>`,
        )
        .join('')}</tbody></table><p class="muted">Method: ${esc(input.samples[0]!.method)}. README.txt has a five-line script that re-draws it.</p></section>`
    : '';

  const files = `<section class="box" id="files"><details><summary><h2 style="display:inline">All files (${input.files.length}, plus index.html, README.txt and the signed manifest)</h2></summary>
<table><thead><tr><th>file</th><th>bytes</th><th>sha256</th></tr></thead><tbody>${input.files
    .map((f) => `<tr><td>${link(f.path)}</td><td>${f.size}</td><td><code>${esc(f.sha256)}</code></td></tr>`)
    .join('')}</tbody></table></details></section>`;

  return page(
    `${coverage.framework.title} evidence bundle`,
    `Period ${period.from} to ${period.to} · generated ${input.generatedAt.toISOString()} by Annexa`,
    `<main>${summary}${matrix}${samples}${details}${files}</main>`,
  );
}
