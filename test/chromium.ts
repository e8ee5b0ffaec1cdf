import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Where the headless-Chromium tests find a browser, and whether they run. In CI (`CI=true` or `1`)
 * they are required: a missing Chromium fails them. Elsewhere a machine without Chromium skips them
 * and says why and how to enable them (`.ci/run` checks both behaviours).
 */
export function chromiumForTests(what: string): { chromiumPath: string | undefined; skip: boolean } {
  const chromiumPath = findChromium();
  const required = process.env.CI === 'true' || process.env.CI === '1';
  const skip = chromiumPath === undefined && !required;
  if (skip) {
    console.warn(
      `${what} browser tests skipped: no Chromium found (${process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist` : 'no chromium on PATH'}). ` +
        "To run them, set CHROMIUM_PATH to a Chromium binary or install Debian's chromium package (apt-get install chromium); with CI=true they are required.",
    );
  }
  return { chromiumPath, skip };
}

/** `CHROMIUM_PATH` when set (and only it), else `chromium` or `chromium-browser` on PATH. */
function findChromium(): string | undefined {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) return existsSync(explicit) ? explicit : undefined;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser']) {
    for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
