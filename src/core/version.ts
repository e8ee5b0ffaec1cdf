import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Annexa's install folder and version, found walking up from this file (works from src/ and dist/). */
const installation: { root: string; version: string } = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'annexa' && pkg.version) return { root: dir, version: pkg.version };
    }
    dir = dirname(dir);
  }
  return { root: process.cwd(), version: '0.0.0-unknown' };
})();

/** Annexa's version from its package.json. */
export const toolVersion: string = installation.version;

/** The folder holding Annexa's package.json, `mappings/` and `bin/`. */
export const packageRoot: string = installation.root;

/** The tool identity stamped on every run and observation's provenance. */
export const toolName = `annexa/${toolVersion}`;

/**
 * The node flags `bin/annexa.js` starts with, from its first line (`#!/usr/bin/env -S node ...`).
 * The shebang applies when the file is run as a program (the installed `annexa` command, the
 * container's entrypoint); whatever starts it as `node bin/annexa.js` (the scale-out sandbox, the
 * benchmark's children) passes these, so it measures the process users run.
 */
export function entryNodeFlags(entry = join(installation.root, 'bin', 'annexa.js')): string[] {
  const first = readFileSync(entry, 'utf8').split('\n', 1)[0] ?? '';
  const words = first.replace(/^#!/, '').trim().split(/\s+/);
  const node = words.indexOf('node');
  return node < 0 ? [] : words.slice(node + 1);
}
