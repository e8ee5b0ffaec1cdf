import { setFlagsFromString } from 'node:v8';

/**
 * How much V8 lets the heap grow past what the last full collection kept: 15 % (V8 would use up
 * to 300 % on a machine with 4 GB or more of heap limit). See {@link compactHeap}.
 */
export const heapGrowingPercent = 15;

/**
 * The commands that read the evidence as of one date and judge it. They run without
 * {@link compactHeap}: nearly everything they allocate (at scale 50, 20,000 payloads and the
 * results judged from them) stays live until they finish, so holding the heap near its live size
 * only makes V8 mark the same objects again and again. One `coverage` over a year-old scale-50
 * store (the store-reads bench's), in a fresh process with bin/annexa.js's flags: 540-710 ms with
 * the factor at 15 %, 490-629 ms without (four runs each).
 */
export const judgesOneSnapshot: ReadonlySet<string> = new Set(['check', 'coverage', 'people']);

/**
 * Asks V8 to collect sooner, so the process stays near the memory it actually uses.
 *
 * Why: a collection allocates fast (every connector parses pages at once) while what it keeps is
 * small (about 80 MB live at scale 50, 60 MB of it code and module source). V8 sizes the next
 * heap limit as the live size times a factor it picks from how fast the program allocates, up
 * to 4× on a large machine: the scale-50 collection reached 300 MB of heap holding 80 MB, and
 * sat there while the CloudTrail pacing ran. `--heap-growing-percent` fixes the factor; it is
 * read at every full collection, so setting it at run time takes effect (unlike the heap size
 * limits, fixed when the process starts). It is not a cap: the heap still grows as far as the
 * live data needs, up to V8's usual limit; the price is more frequent full collections (CPU).
 *
 * The operator's choice wins: nothing changes when NODE_OPTIONS or the command line already sets
 * the growing factor or the old generation's size. `--max-semi-space-size` (the young generation,
 * which `bin/annexa.js` sets itself) does not count: it leaves the old generation to this factor.
 * Returns whether the flag was set.
 */
export function compactHeap(
  options: { execArgv?: readonly string[]; nodeOptions?: string; setFlags?: (flags: string) => void } = {},
): boolean {
  const { execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '', setFlags = setFlagsFromString } = options;
  const heapFlag = /--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size)\b/;
  if (execArgv.some((a) => heapFlag.test(a)) || heapFlag.test(nodeOptions)) return false;
  setFlags(`--heap-growing-percent=${heapGrowingPercent}`);
  return true;
}
