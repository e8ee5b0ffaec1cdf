import type { CheckStatus } from '../checks/check.js';
import type { RequirementStatus } from './coverage-model.js';
import { escapeHtml as esc } from './render-html.js';
import type { CheckTimeline, ControlTimeline, PeriodTimeline } from './timeline.js';

/**
 * The period timeline as HTML: a strip of one cell per day (status written in each cell's title
 * and summarised in text next to it, colour only reinforces), the status changes with the
 * evidence behind them and the collection gaps. Pure, no script, no external resource.
 */

/** Nothing may be loaded; only inline style. */
export const timelineHtmlCsp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export const timelineCss = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:15px;line-height:1.45;color:#1f2328;background:#f4f6f8}
body{margin:0}main,header>div,footer{max-width:1380px;margin:0 auto;padding:0 24px}
header{background:#0b2540;color:#fff;padding:18px 0}header h1{margin:0;font-size:1.5rem}header p{margin:4px 0 0;color:#b8c9da}
h2{font-size:1.2rem;margin:22px 0 8px}h3{font-size:1.05rem;margin:0}h4{margin:12px 0 4px;font-size:.95rem}
code,.digest{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.86em;overflow-wrap:anywhere}
.box{background:#fff;border:1px solid #d1d9e0;border-radius:10px;padding:12px 16px;margin:10px 0}
.muted{color:#59636e}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e9ee;vertical-align:top}
.strip{display:flex;flex-wrap:nowrap;height:16px;margin:6px 0;border:1px solid #d1d9e0;border-radius:3px;overflow:hidden}
.day{flex:1 1 0;min-width:1px}
.s-pass,.s-passing{background:#2da44e}.s-fail,.s-failing,.s-error{background:#cf222e}.s-warn{background:#bf8700}
.s-stale{background:#d4a72c}.s-not_collected,.s-missing{background:#c8d1da}.s-manual{background:#218bff}.s-excluded{background:#eaeef2}
.badge{display:inline-block;padding:0 6px;border-radius:4px;font-size:.8rem;font-weight:600;color:#fff}
.badge.s-not_collected,.badge.s-missing,.badge.s-excluded{color:#1f2328}
.none{border-left:5px solid #cf222e;padding-left:10px}
details>summary{cursor:pointer}
`;

const checkWords: Record<CheckStatus, string> = { pass: 'pass', fail: 'fail', warn: 'warn', stale: 'stale', not_collected: 'not collected', error: 'error' };

/** One cell per day, each with its date and status as text. */
export function dayStrip(days: readonly { date: string; status: CheckStatus | RequirementStatus }[], label: string): string {
  const cells = days
    .map((d) => `<span class="day s-${d.status}" title="${esc(d.date)}: ${esc(statusWord(d.status))}"></span>`)
    .join('');
  return `<div class="strip" role="img" aria-label="${esc(label)}: ${esc(countsText(days))}">${cells}</div>`;
}

export function statusWord(status: CheckStatus | RequirementStatus): string {
  return (checkWords as Record<string, string>)[status] ?? status;
}

/** `300 days pass, 65 days fail`. */
export function countsText(days: readonly { status: string }[]): string {
  const counts = new Map<string, number>();
  for (const d of days) counts.set(d.status, (counts.get(d.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} day${n === 1 ? '' : 's'} ${statusWord(s as CheckStatus)}`).join(', ') || 'no days';
}

export function badge(status: CheckStatus | RequirementStatus): string {
  return `<span class="badge s-${esc(status)}">${esc(statusWord(status))}</span>`;
}

/** A check's period: strip, counts, changes with evidence, gaps. `href` turns a bundle path into a link. */
export function checkTimelineHtml(check: CheckTimeline, href?: (evidenceDigest: string) => string | null): string {
  const changes = check.changes.length
    ? `<table><thead><tr><th>when</th><th>run</th><th>change</th><th>subjects</th><th>evidence read</th></tr></thead><tbody>${check.changes
        .map((c) => {
          const subjects = c.subjects.map((s) => `${s.subject}: ${s.from ?? 'new'} → ${s.to ?? 'gone'}`).join('; ');
          const more = c.subjectsChanged > c.subjects.length ? ` and ${c.subjectsChanged - c.subjects.length} more` : '';
          const evidence = c.evidence
            .map((d) => {
              const link = href?.(d);
              return link ? `<a href="${esc(link)}"><code>${esc(d.slice(0, 16))}…</code></a>` : `<code>${esc(d.slice(0, 16))}…</code>`;
            })
            .join(' ');
          return `<tr><td><time datetime="${esc(c.at)}">${esc(c.at)}</time></td><td><code>${esc(c.runId)}</code></td><td>${badge(c.from)} → ${badge(c.to)}</td><td>${esc(subjects + more)}</td><td>${evidence}</td></tr>`;
        })
        .join('')}</tbody></table>`
    : `<p class="muted">No status change in the period${check.initialStatus ? ` (status ${esc(statusWord(check.initialStatus))} throughout the recorded check runs)` : ''}.</p>`;
  const gaps = check.gaps.length
    ? `<table><thead><tr><th>evidence kind</th><th>connector</th><th>from</th><th>to</th><th>days without a successful collection</th></tr></thead><tbody>${check.gaps
        .map((g) => `<tr><td><code>${esc(g.kind)}</code></td><td>${esc(g.instanceId)}</td><td>${esc(g.from)}</td><td>${esc(g.to)}</td><td>${g.days}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="muted">No collection gap: every day of the period had a successful collection of every kind it reads.</p>';
  return `<div class="box check" data-check="${esc(check.checkId)}">
<h3><code>${esc(check.checkId)}</code> — ${esc(check.title)}</h3>
${dayStrip(check.days, check.checkId)}
<p data-counts>${esc(countsText(check.days))}; ${check.checkRuns} check run${check.checkRuns === 1 ? '' : 's'} recorded.</p>
<h4>Status changes</h4>${changes}
<h4>Collection gaps</h4>${gaps}
</div>`;
}

/** A control's period: strip and summary, saying so plainly when there was no evidence. */
export function controlTimelineHtml(control: ControlTimeline): string {
  return `<p class="${control.evidenceInPeriod || !control.applicable ? '' : 'none'}" data-summary>${esc(control.summary)}</p>
${dayStrip(control.days, control.id)}`;
}

/** The whole timeline as one self-contained page (`annexa coverage --from --to --format html`). */
export function renderTimelineHtml(timeline: PeriodTimeline, generatedAt: Date): string {
  const checkById = new Map(timeline.checks.map((c) => [c.checkId, c]));
  const controls = timeline.controls
    .map(
      (c) => `<section class="box control" data-control="${esc(c.id)}">
<h2>${esc(c.id)} ${esc(c.title)}</h2>
${controlTimelineHtml(c)}
${c.checks.map((id) => checkTimelineHtml(checkById.get(id)!)).join('\n')}
</section>`,
    )
    .join('\n');
  return page(`Annex A period timeline ${timeline.period.from} to ${timeline.period.to}`, `${timeline.days} days · generated ${generatedAt.toISOString()}`, `<main>${controls}</main>`);
}

/** A self-contained HTML page around a body. */
export function page(title: string, subtitle: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${timelineHtmlCsp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${timelineCss}</style>
</head>
<body>
<header><div><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></div></header>
${body}
<footer><p class="muted">Generated by Annexa. This page is self-contained and makes no network requests.</p></footer>
</body>
</html>
`;
}
