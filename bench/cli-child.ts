import { entryNodeFlags } from '../src/core/version.js';

/**
 * The node arguments of a benchmark child that stands for a CLI command: the flags `bin/annexa.js`
 * starts with (its young-generation cap changes both time and memory), then tsx when the child
 * runs TypeScript sources, then `args` (a script and its arguments, or `-e` and code). Every
 * child timed or measured as a command goes through here, so none measures a process users never run.
 */
export function cliChildArgs(args: readonly string[], options: { typescript?: boolean } = {}): string[] {
  return [...entryNodeFlags(), ...(options.typescript === false ? [] : ['--import', 'tsx']), ...args];
}
