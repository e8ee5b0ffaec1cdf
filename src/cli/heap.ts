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
 * The commands whose young generation grows as V8 would grow it ({@link releaseYoungGeneration}):
 * those that judge one snapshot, and `bundle`. Most of what they allocate survives its first
 * scavenges (the snapshot's payloads, a bundle's files and manifest), and semi-spaces held at
 * 4 MB copy it over and over. On the bench's scale-50 stores (2026-12-03, the same hour) the
 * held young generation made `bundle` of a year take 153 s instead of 103 s (a month: 24.1 s
 * instead of 20.6 s), for 18-30 MB less peak RSS, and `coverage --as-of` 128-194 ms instead of
 * 112-172 ms.
 */
export const growsYoungGeneration: ReadonlySet<string> = new Set([...judgesOneSnapshot, 'bundle']);

/** Where the process's own node flags come from, and how to set one; tests pass their own. */
interface FlagOptions {
  execArgv?: readonly string[];
  nodeOptions?: string;
  setFlags?: (flags: string) => void;
}

/**
 * Sets `flag` unless a flag matching `operatorChoice` is on node's command line or in
 * NODE_OPTIONS (the operator's choice wins), and only where `applies` holds. Returns whether it set it.
 */
function setUnlessChosen(flag: string, operatorChoice: RegExp, options: FlagOptions, applies = true): boolean {
  const { execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '', setFlags = setFlagsFromString } = options;
  if (!applies || execArgv.some((a) => operatorChoice.test(a)) || operatorChoice.test(nodeOptions)) return false;
  setFlags(flag);
  return true;
}

/**
 * Holds V8's young generation at the size node started it with (`--min-semi-space-size`, 4 MB
 * from the first line of `bin/annexa.js`), by setting the new space's growth factor to 1.
 *
 * Why: a collection allocates fast and keeps little, and Node 20 doubles the semi-spaces up to
 * 16 MB whenever a scavenge finds much alive, which a collection's pages briefly are. Held at
 * 4 MB, the scale-50 collection's peak RSS fell from 237-245 MB to 205-215 MB. It must be set
 * before the CLI's modules load (loading the TypeScript sources alone grows the semi-spaces to
 * 16 MB), hence `bin/annexa.js` calls it first; the commands in {@link growsYoungGeneration} then
 * call {@link releaseYoungGeneration}. Set at run time because V8 raises a factor below 2 given
 * on the command line to 2; a run-time flag is read at every scavenge.
 *
 * Nothing is held when node did not start with a young generation size (it would hold V8's 1 MB
 * start) or when the operator chose one (`--max-semi-space-size` or the growth factor, on node's
 * command line or in NODE_OPTIONS). Returns whether the flag was set.
 */
export function holdYoungGeneration(options: FlagOptions = {}): boolean {
  const startSized = (options.execArgv ?? process.execArgv).some((a) => /^--min[-_]semi[-_]space[-_]size=/.test(a));
  return setUnlessChosen('--semi-space-growth-factor=1', /--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/, options, startSized);
}

/**
 * Lets the young generation grow again, up to V8's limit, with V8's default growth factor (2);
 * see {@link growsYoungGeneration}. Leaves an operator's own growth factor alone.
 */
export function releaseYoungGeneration(options: FlagOptions = {}): boolean {
  return setUnlessChosen('--semi-space-growth-factor=2', /--semi[-_]space[-_]growth[-_]factor\b/, options);
}

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
 * the growing factor or the old generation's size. The young generation's flags do not count:
 * they leave the old generation to this factor.
 * Returns whether the flag was set.
 */
export function compactHeap(options: FlagOptions = {}): boolean {
  return setUnlessChosen(`--heap-growing-percent=${heapGrowingPercent}`, /--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size)\b/, options);
}
