import { join } from 'node:path';
import { entryNodeFlags, packageRoot } from '../src/core/version.js';

/**
 * The node arguments of a benchmark child that stands for a CLI command: the flags `bin/annexa.js`
 * starts with (its young-generation size changes both time and memory), then tsx when the child
 * runs TypeScript sources, then `args` (a script and its arguments, or `-e` and code). Every
 * child timed or measured as a command goes through here, so none measures a process users never run.
 */
export function cliChildArgs(args: readonly string[], options: { typescript?: boolean } = {}): string[] {
  return [...entryNodeFlags(), ...(options.typescript === false ? [] : ['--import', 'tsx']), ...args];
}

/**
 * The `-e` code of a child that runs one CLI command as `bin/annexa.js` does: it holds the young
 * generation before the CLI loads (`holdYoungGeneration`), runs `main(argv)`, then writes
 * `MAXRSS <kB> CPU <µs>` (peak resident memory and CPU time) to stderr and exits with the
 * command's code. `mainModule`: the CLI entry, the TypeScript source or a compiled `main.js`
 * (its `heap.js` beside it).
 */
export function cliMainScript(argv: readonly string[], mainModule = join(packageRoot, 'src/cli/main.ts')): string {
  const heapModule = join(mainModule, '..', mainModule.endsWith('.ts') ? 'heap.ts' : 'heap.js');
  return (
    `const { holdYoungGeneration } = await import(${JSON.stringify(heapModule)}); holdYoungGeneration();` +
    `const { main } = await import(${JSON.stringify(mainModule)});` +
    `const code = await main(${JSON.stringify(argv)});` +
    `const u = process.resourceUsage(); process.stderr.write('\\nMAXRSS ' + u.maxRSS + ' CPU ' + (u.userCPUTime + u.systemCPUTime) + '\\n'); process.exit(code);`
  );
}
