#!/usr/bin/env -S node --max-semi-space-size=4
// Runs the compiled CLI when `npm run build` produced it (the container image), and the
// TypeScript sources through tsx otherwise (a checkout after `npm install`).
//
// The flag on the first line caps V8's young generation at semi-spaces of 4 MB (Node 20 lets them
// grow to 16 MB while a collection allocates fast). It can only be set when node starts, hence
// here; `entryNodeFlags` (src/core/version.ts) reads it for processes started as `node bin/annexa.js`.
// At scale 50 the collection's peak RSS fell from 237-245 MB to 205-215 MB (bench/HISTORY.md).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');
let main;
if (existsSync(compiled)) {
  ({ main } = await import(pathToFileURL(compiled).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href));
}
process.exitCode = await main(process.argv.slice(2));
