import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { packageRoot } from '../core/version.js';

/**
 * A compliance framework as data: a catalog of requirements (`catalog.yaml`) and check-to-
 * requirement mappings (every other `*.yaml` in the framework's folder under `mappings/`).
 * Adding SOC 2 or NIST CSF 2.0 means adding a folder, not code.
 */

const requirementSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(['clause', 'control']),
  theme: z.string().min(1),
  title: z.string().min(1),
  documentedInformation: z.string().optional(),
});

const catalogSchema = z.strictObject({
  framework: z.string().min(1),
  title: z.string().min(1),
  themes: z.array(z.strictObject({ id: z.string(), title: z.string() })).min(1),
  requirements: z.array(requirementSchema).min(1),
});

const mappingFileSchema = z.strictObject({
  framework: z.string().min(1),
  mappings: z.array(
    z.strictObject({
      check: z.string().min(1),
      controls: z.array(z.string().min(1)).min(1),
      rationale: z.string().optional(),
    }),
  ),
});

export type Requirement = z.output<typeof requirementSchema>;
export type Catalog = z.output<typeof catalogSchema>;

/** One check-to-requirement link with its reason. */
export interface Mapping {
  check: string;
  control: string;
  rationale: string;
  /** File and entry index, for lint messages. */
  source: string;
}

export interface Framework {
  catalog: Catalog;
  mappings: Mapping[];
}

/** Where shipped frameworks live (`<install>/mappings`). */
export const mappingsRoot = join(packageRoot, 'mappings');

/** The framework Annexa reports against by default. */
export const defaultFramework = 'iso27001-2022';

/** Loads a framework's catalog and mappings; malformed files are {@link ConfigError}s naming file and path. */
export function loadFramework(framework: string = defaultFramework, root: string = mappingsRoot): Framework {
  const dir = join(root, framework);
  const catalogFile = join(dir, 'catalog.yaml');
  if (!existsSync(catalogFile)) throw new ConfigError(`${catalogFile}: no catalog for framework "${framework}"`, catalogFile);
  const catalog = parseFile(catalogFile, catalogSchema);
  const mappings: Mapping[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'catalog.yaml').sort()) {
    const file = join(dir, name);
    const data = parseFile(file, mappingFileSchema);
    if (data.framework !== catalog.framework) {
      throw new ConfigError(`${file}: framework: expected "${catalog.framework}", found "${data.framework}"`, file);
    }
    data.mappings.forEach((m, index) => {
      for (const control of m.controls) {
        mappings.push({ check: m.check, control, rationale: m.rationale?.trim() ?? '', source: `${name} mappings[${index}]` });
      }
    });
  }
  return { catalog, mappings };
}

/**
 * Problems in mapping data: unknown check or requirement ids, duplicate pairs, missing rationale.
 * Run by the test suite so bad data never ships (prowler's Annex A mapping shows why).
 */
export function lintFramework(framework: Framework, checkIds: readonly string[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const r of framework.catalog.requirements) {
    if (ids.has(r.id)) problems.push(`catalog: duplicate requirement id ${r.id}`);
    ids.add(r.id);
    if (!framework.catalog.themes.some((t) => t.id === r.theme)) problems.push(`catalog: ${r.id} has unknown theme ${r.theme}`);
  }
  const seen = new Set<string>();
  for (const m of framework.mappings) {
    if (!checkIds.includes(m.check)) problems.push(`${m.source}: unknown check "${m.check}"`);
    if (!ids.has(m.control)) problems.push(`${m.source}: unknown requirement "${m.control}" (ids look like A.5.17 or 9.2)`);
    const pair = `${m.check} -> ${m.control}`;
    if (seen.has(pair)) problems.push(`${m.source}: duplicate mapping ${pair}`);
    seen.add(pair);
    if (!m.rationale) problems.push(`${m.source}: ${pair} has no rationale`);
  }
  return problems;
}

/** Normalises a user-typed control id: `5.1` and `a.5.1` mean Annex A `A.5.1`. */
export function normalizeControlId(input: string): string {
  const trimmed = input.trim();
  const annex = /^(?:a\.)?([5-8]\.\d{1,2})$/i.exec(trimmed);
  return annex ? `A.${annex[1]}` : trimmed;
}

function parseFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message.split('\n')[0]}`, file);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ConfigError(issues.join('\n'), file, issues);
  }
  return result.data;
}
