import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isNode, isScalar, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { normalizeControlId, type Catalog, type Requirement } from '../frameworks/framework.js';

/**
 * The Statement of Applicability (ISO/IEC 27001:2022 clause 6.1.3 d) as data: a `soa.yaml` that
 * lists every Annex A control of the catalog as applicable or excluded, with the justification
 * for inclusion or exclusion and notes on implementation. Validation is strict and reports every
 * problem at once, each naming the file and the control, because an SoA with a control silently
 * missing or an exclusion without a reason is a Stage 1 nonconformity.
 */

/** One Annex A control's line in the SoA. */
export interface SoaEntry {
  /** Catalog id, normalized (`A.5.1`), whatever form the file used. */
  id: string;
  applicable: boolean;
  /** Why the control is included or excluded, trimmed; `''` when absent (only allowed when applicable). */
  justification: string;
  /** Implementation notes, trimmed; `''` when absent. */
  implementation: string;
}

export interface StatementOfApplicability {
  framework: string;
  organization?: string;
  /** The SoA's own revision, e.g. `"1.0"`. */
  version?: string;
  approvedBy?: string;
  /** `YYYY-MM-DD`. */
  approvedOn?: string;
  /** Every Annex A control of the catalog, keyed by normalized id, in catalog order. */
  controls: Record<string, SoaEntry>;
}

const optionalText = (name: string) =>
  z
    .string({ error: `expected text; quote it if YAML reads it as a number or date (e.g. ${name}: "1.0")` })
    .nullable()
    .optional();

const topSchema = z.strictObject({
  framework: z.string({ error: 'required: the framework id, e.g. iso27001-2022' }).min(1, 'required: the framework id, e.g. iso27001-2022'),
  organization: optionalText('organization'),
  version: optionalText('version'),
  approvedBy: optionalText('approvedBy'),
  approvedOn: z
    .string({ error: 'expected a date like 2026-01-15' })
    .nullable()
    .optional()
    .refine((v) => v == null || v.trim() === '' || isIsoDate(v.trim()), 'expected a date like 2026-01-15'),
  // Checked key by key below (ids are normalized and reported with their line).
  controls: z.unknown().optional(),
});

const entrySchema = z.strictObject({
  applicable: z.boolean({
    error: (issue) => (issue.input === undefined ? 'required: true (included) or false (excluded)' : 'expected true or false'),
  }),
  justification: z.string({ error: 'expected text' }).nullable().optional(),
  implementation: z.string({ error: 'expected text' }).nullable().optional(),
});

const missingMessage = 'missing — every Annex A control must be listed as applicable or excluded';

/** The Annex A controls of a catalog (requirements of kind `control`), in catalog order. */
export function annexAControls(catalog: Catalog): Requirement[] {
  return catalog.requirements.filter((r) => r.kind === 'control');
}

/**
 * Parses and validates a SoA. Throws one {@link ConfigError} listing every problem (`issues`
 * holds them one per line): YAML syntax, unknown keys, wrong framework, unquoted numeric control
 * keys, ids that are not Annex A controls of the catalog, duplicates, controls missing from the
 * SoA and exclusions without a justification.
 */
export function parseSoa(text: string, file: string, catalog: Catalog): StatementOfApplicability {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  const at = (line: number | undefined) => (line === undefined ? '' : ` (line ${line})`);

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return `${file}: line ${pos.line}, column ${pos.col}: YAML syntax: ${message}`;
    });
    throw new ConfigError(issues.join('\n'), file, issues);
  }

  const issues: string[] = [];
  const fail = (): never => {
    throw new ConfigError(issues.join('\n'), file, issues);
  };

  if (!isMap(doc.contents)) {
    issues.push(`${file}: (top level): expected a mapping with framework and controls (run \`annexa soa init\` for a template)`);
    fail();
  }

  let js: unknown;
  try {
    js = doc.toJS();
  } catch (error) {
    // e.g. an alias bomb (yaml caps alias expansion).
    issues.push(`${file}: (top level): ${(error as Error).message}`);
    fail();
  }
  const top = topSchema.safeParse(js);
  if (!top.success) {
    for (const issue of top.error.issues) issues.push(`${file}: ${formatIssue(issue)}`);
  }
  const raw = top.success ? top.data : undefined;
  const framework: unknown = doc.get('framework');
  if (typeof framework === 'string' && framework !== '' && framework !== catalog.framework) {
    issues.push(`${file}: framework: expected "${catalog.framework}", found "${framework}"`);
  }

  const controls = annexAControls(catalog);
  const known = new Map(controls.map((c) => [c.id, c]));
  const entries = new Map<string, SoaEntry>();
  const controlsNode = doc.get('controls', true) as unknown;

  if (controlsNode === undefined || (isScalar(controlsNode) && controlsNode.value === null)) {
    issues.push(`${file}: controls: required — a mapping listing every Annex A control (run \`annexa soa init\` for a template)`);
  } else if (!isMap(controlsNode)) {
    issues.push(`${file}: controls: expected a mapping of control id to { applicable, justification, implementation }${at(lineOf(controlsNode as Node))}`);
  } else {
    const firstSeen = new Map<string, string>();
    for (const pair of controlsNode.items) {
      const keyNode = isNode(pair.key) ? pair.key : undefined;
      const line = lineOf(keyNode);
      const written = keyNode && isScalar(keyNode) ? (keyNode.source ?? String(keyNode.value)) : String(pair.key);

      if (!keyNode || !isScalar(keyNode) || typeof keyNode.value !== 'string') {
        if (keyNode && isScalar(keyNode) && typeof keyNode.value === 'number') {
          const meant = normalizeControlId(written);
          issues.push(
            `${file}: controls.${written}: unquoted key is read by YAML as the number ${keyNode.value}, not a control id — ` +
              `quote it ("${written}")${known.has(meant) ? ` or write ${meant}` : ''}${at(line)}`,
          );
          // Already reported: don't also call the control it was meant to be missing.
          if (known.has(meant) && !firstSeen.has(meant)) firstSeen.set(meant, written);
        } else {
          issues.push(`${file}: controls.${written}: expected a control id like A.5.1${at(line)}`);
        }
        continue;
      }

      const id = normalizeControlId(keyNode.value);
      if (!known.has(id)) {
        issues.push(`${file}: controls.${written}: ${unknownIdReason(id, catalog)}${at(line)}`);
        continue;
      }
      // Name the control by its catalog id; say how it was written when that differs.
      const where = `${file}: controls.${id}`;
      const hint = written === id ? at(line) : ` (${line === undefined ? '' : `line ${line}, `}written as "${written}")`;
      const previous = firstSeen.get(id);
      if (previous !== undefined) {
        issues.push(`${where}: listed twice (as "${previous}" and "${written}")${hint}`);
        continue;
      }
      firstSeen.set(id, written);

      const value = isNode(pair.value) ? pair.value.toJS(doc as Document) : pair.value;
      if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
        issues.push(`${where}: expected a mapping with applicable: true|false, justification and implementation${hint}`);
        continue;
      }
      const parsed = entrySchema.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) issues.push(`${file}: ${formatIssue(issue, ['controls', id])}${hint}`);
        continue;
      }
      const entry: SoaEntry = {
        id,
        applicable: parsed.data.applicable,
        justification: parsed.data.justification?.trim() ?? '',
        implementation: parsed.data.implementation?.trim() ?? '',
      };
      if (!entry.applicable && entry.justification === '') {
        issues.push(
          `${where}: excluded (applicable: false) without a justification — clause 6.1.3 d) requires a reason for every exclusion${hint}`,
        );
        continue;
      }
      entries.set(id, entry);
    }
    for (const control of controls) {
      if (!firstSeen.has(control.id)) issues.push(`${file}: controls.${control.id}: ${missingMessage}`);
    }
  }

  if (issues.length > 0 || !raw) fail();
  const data = raw!;

  const soa: StatementOfApplicability = { framework: data.framework, controls: {} };
  const organization = blankToUndefined(data.organization);
  const version = blankToUndefined(data.version);
  const approvedBy = blankToUndefined(data.approvedBy);
  const approvedOn = blankToUndefined(data.approvedOn);
  if (organization !== undefined) soa.organization = organization;
  if (version !== undefined) soa.version = version;
  if (approvedBy !== undefined) soa.approvedBy = approvedBy;
  if (approvedOn !== undefined) soa.approvedOn = approvedOn;
  for (const control of controls) soa.controls[control.id] = entries.get(control.id)!;
  return soa;
}

/** Reads and validates a SoA file (see {@link parseSoa}). */
export function loadSoa(file: string, catalog: Catalog): StatementOfApplicability {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `${file}: Statement of Applicability not found (create one with \`annexa soa init\`)`
        : `${file}: cannot read: ${(error as Error).message}`,
      file,
    );
  }
  return parseSoa(text, file, catalog);
}

/**
 * A complete `soa.yaml` to start from: every Annex A control, grouped by theme, marked applicable
 * with empty justification and implementation. Parses back with {@link parseSoa}.
 */
export function soaTemplate(catalog: Catalog, options: { organization?: string } = {}): string {
  const controls = annexAControls(catalog);
  const out: string[] = [
    `# Statement of Applicability (SoA) — ${catalog.title}, clause 6.1.3 d)`,
    '#',
    '# The SoA lists every Annex A control and says, for each one, whether it is',
    '# applicable (necessary to treat your information security risks) or excluded,',
    '# and why. Auditors ask for it at Stage 1; it must match the risk treatment plan.',
    '#',
    '# How to fill it in:',
    `#   - Keep all ${controls.length} controls below; a missing control is an error.`,
    '#   - applicable: true  -> the control is implemented or planned. Give the',
    '#     justification for including it (e.g. the risk, law, contract or business',
    '#     need it addresses) — recommended, and expected by most auditors.',
    '#   - applicable: false -> the control is excluded. A justification is REQUIRED',
    '#     (e.g. "No premises of our own; offices are provided by a co-working',
    '#     operator whose physical controls are covered by supplier review").',
    '#   - implementation: how the control is implemented or its status (policy,',
    '#     procedure, tool, owner), or where the evidence lives. Optional.',
    '#   - Control ids are the 2022 Annex A numbers (A.5.1 ... A.8.34). You may write',
    '#     5.1 instead of A.5.1, but then quote it ("5.10"): YAML reads an unquoted',
    '#     5.10 as the number 5.1. 2013-edition ids (A.9.x, A.12.x ...) are not valid.',
    '#   - Quote text containing ": " or starting with a special character, or use',
    '#     a block scalar (justification: >-) for long text.',
    '#',
    '# Validate and export with `annexa soa export --soa <file> --format csv|md`.',
    '',
    `framework: ${catalog.framework}`,
    `organization: ${yamlString(options.organization ?? '')}`,
    '# The SoA\'s own revision; quote it so YAML keeps "1.0" as text.',
    'version: "0.1"',
    '# Who approved this revision (e.g. "Jane Doe, CISO") and when (YYYY-MM-DD).',
    'approvedBy: ""',
    'approvedOn: ""',
    'controls:',
  ];
  for (const theme of catalog.themes) {
    const inTheme = controls.filter((c) => c.theme === theme.id);
    if (inTheme.length === 0) continue;
    out.push('', `  # === ${oneLine(theme.title)} ===`);
    for (const c of inTheme) {
      out.push(
        `  # ${c.id} ${oneLine(c.title)}`,
        `  ${c.id}:`,
        '    applicable: true',
        '    justification: ""',
        '    implementation: ""',
      );
    }
  }
  return out.join('\n') + '\n';
}

/** Every Annex A control as CSV (RFC 4180: CRLF line ends, fields quoted when needed). */
export function exportSoaCsv(soa: StatementOfApplicability, catalog: Catalog): string {
  const rows: string[][] = [['control', 'title', 'theme', 'applicable', 'justification', 'implementation']];
  for (const { control, entry, theme } of rowsOf(soa, catalog)) {
    rows.push([control.id, control.title, theme, entry.applicable ? 'Yes' : 'No', entry.justification, entry.implementation]);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** The SoA as a Markdown document: metadata, one table per theme, then the exclusions with reasons. */
export function exportSoaMarkdown(soa: StatementOfApplicability, catalog: Catalog): string {
  const rows = rowsOf(soa, catalog);
  const excluded = rows.filter((r) => !r.entry.applicable);
  const out: string[] = [`# Statement of Applicability${soa.organization ? ` — ${mdText(soa.organization)}` : ''}`, ''];
  const meta: [string, string | undefined][] = [
    ['Framework', `${catalog.title} (${soa.framework})`],
    ['Organization', soa.organization],
    ['Version', soa.version],
    ['Approved by', soa.approvedBy ?? 'not yet approved'],
    ['Approved on', soa.approvedOn],
  ];
  for (const [label, value] of meta) if (value !== undefined) out.push(`- **${label}:** ${mdText(value)}`);
  out.push(
    `- **Annex A controls:** ${rows.length} listed, ${rows.length - excluded.length} applicable, ${excluded.length} excluded`,
    '',
  );
  for (const theme of catalog.themes) {
    const inTheme = rows.filter((r) => r.control.theme === theme.id);
    if (inTheme.length === 0) continue;
    out.push(`## ${mdText(theme.title)}`, '', '| Control | Title | Applicable | Justification | Implementation |', '| --- | --- | --- | --- | --- |');
    for (const { control, entry } of inTheme) {
      out.push(
        `| ${control.id} | ${mdCell(control.title)} | ${entry.applicable ? 'Yes' : 'No'} | ${mdCell(entry.justification)} | ${mdCell(entry.implementation)} |`,
      );
    }
    out.push('');
  }
  out.push('## Excluded controls', '');
  if (excluded.length === 0) {
    out.push('No Annex A control is excluded.', '');
  } else {
    out.push('| Control | Title | Justification for exclusion |', '| --- | --- | --- |');
    for (const { control, entry } of excluded) out.push(`| ${control.id} | ${mdCell(control.title)} | ${mdCell(entry.justification)} |`);
    out.push('');
  }
  return out.join('\n');
}

/** Applicable controls with no justification for inclusion (allowed, but auditors expect one). */
export function unjustifiedInclusions(soa: StatementOfApplicability): string[] {
  return Object.values(soa.controls)
    .filter((e) => e.applicable && e.justification === '')
    .map((e) => e.id);
}

interface Row {
  control: Requirement;
  entry: SoaEntry;
  theme: string;
}

function rowsOf(soa: StatementOfApplicability, catalog: Catalog): Row[] {
  const themes = new Map(catalog.themes.map((t) => [t.id, t.title]));
  return annexAControls(catalog).map((control) => {
    const entry = soa.controls[control.id];
    if (!entry) throw new ConfigError(`SoA has no entry for ${control.id}; it was not validated against this catalog`);
    return { control, entry, theme: themes.get(control.theme) ?? control.theme };
  });
}

function unknownIdReason(id: string, catalog: Catalog): string {
  const requirement = catalog.requirements.find((r) => r.id === id);
  if (requirement) {
    return `${id} is a management-system clause requirement, not an Annex A control; the SoA lists Annex A controls only`;
  }
  if (/^A\.(9|1[0-8])\./i.test(id) || /^A\.\d+\.\d+\.\d+$/i.test(id)) {
    return `"${id}" looks like an ISO/IEC 27001:2013 Annex A id; ${catalog.title} numbers controls A.5.1 to A.8.34`;
  }
  return `"${id}" is not an Annex A control of ${catalog.title} (ids look like A.5.1 to A.8.34)`;
}

function formatIssue(issue: z.core.$ZodIssue, prefix: string[] = []): string {
  const path = [...prefix, ...issue.path.map(String)].join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${path}: ${issue.message}`;
}

function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function blankToUndefined(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** A YAML double-quoted scalar (JSON string syntax is valid YAML). */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function mdText(text: string): string {
  return oneLine(text.replace(/\|/g, '\\|'));
}

/** A table cell: pipes escaped, line breaks kept as `<br>`. */
function mdCell(text: string): string {
  return text
    .replace(/\|/g, '\\|')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .join('<br>');
}
