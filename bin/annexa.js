#!/usr/bin/env -S node --min-semi-space-size=4
// Runs the compiled CLI when `npm run build` produced it (the container image), and the
// TypeScript sources through tsx otherwise (a checkout after `npm install`).
//
// The flag on the first line starts V8's young generation at semi-spaces of 4 MB, and
// `holdYoungGeneration` (src/cli/heap.ts) keeps them there before the CLI loads: Node 20 would
// grow them to 16 MB while a collection allocates fast. At scale 50 the collection's peak RSS fell
// from 237-245 MB to 205-215 MB (bench/HISTORY.md). `bundle`, `check`, `coverage` and `people`
// let them grow again. The size can only be set when node starts, hence here; `entryNodeFlags`
// (src/core/version.ts) reads it for processes started as `node bin/annexa.js`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = existsSync(join(root, 'dist', 'src', 'cli', 'main.js'));
if (!compiled) {
  const { register } = await import('tsx/esm/api');
  register();
}
const cli = (name) => pathToFileURL(join(root, ...(compiled ? ['dist', 'src', 'cli', `${name}.js`] : ['src', 'cli', `${name}.ts`]))).href;
const { holdYoungGeneration } = await import(cli('heap'));
holdYoungGeneration();
const { main } = await import(cli('main'));
process.exitCode = await main(process.argv.slice(2));
