import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { loadFramework } from '../../frameworks/framework.js';
import { annexAControls, exportSoaCsv, exportSoaMarkdown, loadSoa, soaTemplate, unjustifiedInclusions } from '../../soa/soa.js';
import type { CliIO, GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';

/** `annexa soa init`: writes a complete Statement of Applicability template to fill in. */
export async function soaInitCommand(
  options: GlobalOptions & { out: string; force?: boolean; organization?: string },
  io: CliIO,
): Promise<number> {
  const file = resolve(io.cwd, options.out);
  if (!options.force && existsSync(file)) {
    throw new UsageError(`${file} already exists; pass --force to overwrite it`);
  }
  const { catalog } = loadFramework();
  const text = soaTemplate(catalog, options.organization === undefined ? {} : { organization: options.organization });
  mkdirSync(dirname(file), { recursive: true });
  try {
    // 'wx' closes the race between the existence check and the write.
    writeFileSync(file, text, { encoding: 'utf8', flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${file} already exists; pass --force to overwrite it`);
    throw error;
  }
  const controls = annexAControls(catalog).length;
  if (options.json) {
    io.stdout(json({ file, framework: catalog.framework, controls }));
  } else {
    io.stdout(
      `wrote ${file}: ${controls} Annex A controls, all marked applicable.\n` +
        'Next: give each control a justification, set applicable: false (with the reason) for exclusions, ' +
        `then run \`annexa soa export --soa ${options.out} --format md\` to validate and export it.\n`,
    );
  }
  return exitCodes.ok;
}

/** `annexa soa export`: validates a SoA and renders it as CSV or Markdown, to `--out` or stdout. */
export async function soaExportCommand(
  options: GlobalOptions & { soa: string; format: string; out?: string },
  io: CliIO,
): Promise<number> {
  const format = options.format.trim().toLowerCase();
  if (format !== 'csv' && format !== 'md' && format !== 'markdown') {
    throw new UsageError(`--format ${options.format}: expected csv or md`);
  }
  const { catalog } = loadFramework();
  const soa = loadSoa(resolve(io.cwd, options.soa), catalog);
  const text = format === 'csv' ? exportSoaCsv(soa, catalog) : exportSoaMarkdown(soa, catalog);

  const unjustified = unjustifiedInclusions(soa);
  if (unjustified.length > 0) {
    io.stderr(
      `note: ${unjustified.length} applicable control(s) have no justification for inclusion ` +
        `(${unjustified.slice(0, 5).join(', ')}${unjustified.length > 5 ? ', …' : ''}); auditors usually expect one\n`,
    );
  }

  if (options.out === undefined) {
    io.stdout(text);
    return exitCodes.ok;
  }
  const file = resolve(io.cwd, options.out);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, 'utf8');
  const entries = Object.values(soa.controls);
  const excluded = entries.filter((e) => !e.applicable).length;
  if (options.json) {
    io.stdout(json({ file, format: format === 'csv' ? 'csv' : 'md', controls: entries.length, applicable: entries.length - excluded, excluded }));
  } else {
    io.stdout(`wrote ${file}: ${entries.length} controls, ${entries.length - excluded} applicable, ${excluded} excluded\n`);
  }
  return exitCodes.ok;
}
