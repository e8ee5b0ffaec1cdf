import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactHeap, growsYoungGeneration, heapGrowingPercent, holdYoungGeneration, judgesOneSnapshot, releaseYoungGeneration } from '../../src/cli/heap.js';
import { entryNodeFlags, packageRoot, toolVersion } from '../../src/core/version.js';

describe('compactHeap', () => {
  it('sets the heap growing factor when the operator set no V8 heap flag', () => {
    const set: string[] = [];
    expect(compactHeap({ execArgv: ['--enable-source-maps'], nodeOptions: '--import tsx', setFlags: (f) => set.push(f) })).toBe(true);
    expect(set).toEqual([`--heap-growing-percent=${heapGrowingPercent}`]);
  });

  it('still sets it when only the young generation is sized (bin/annexa.js does that itself)', () => {
    const set: string[] = [];
    expect(compactHeap({ execArgv: entryNodeFlags(), nodeOptions: '', setFlags: (f) => set.push(f) })).toBe(true);
    expect(compactHeap({ execArgv: [], nodeOptions: '--max-semi-space-size=8', setFlags: (f) => set.push(f) })).toBe(true);
    expect(set).toEqual([`--heap-growing-percent=${heapGrowingPercent}`, `--heap-growing-percent=${heapGrowingPercent}`]);
  });

  it.each([
    { execArgv: ['--max-old-space-size=512'], nodeOptions: '' },
    { execArgv: [], nodeOptions: '--max_old_space_size=512' },
    { execArgv: [], nodeOptions: '--import x --heap-growing-percent=100' },
    { execArgv: ['--max-semi-space-size=4', '--heap-growing-percent=50'], nodeOptions: '' },
  ])('leaves the heap alone when the operator chose ($execArgv $nodeOptions)', ({ execArgv, nodeOptions }) => {
    const set: string[] = [];
    expect(compactHeap({ execArgv, nodeOptions, setFlags: (f) => set.push(f) })).toBe(false);
    expect(set).toEqual([]);
  });

  it('takes effect at run time: a process that keeps 30 MB while allocating fast stays smaller', () => {
    // The same workload with and without the flag set after start; V8 reads it at every full GC.
    const script = (flag: string) => `
      const v8 = require('node:v8');
      ${flag ? `v8.setFlagsFromString('${flag}');` : ''}
      const live = []; for (let i = 0; i < 200000; i++) live.push({ a: 'x' + i, b: [i, i + 1] });
      let garbage = []; const until = Date.now() + 2500;
      while (Date.now() < until) { garbage.push({ s: 'y' + Math.random(), n: [1, 2, 3] }); if (garbage.length > 100000) garbage = []; }
      process.stdout.write(String(process.resourceUsage().maxRSS));`;
    const rss = (flag: string) => Number(execFileSync(process.execPath, ['-e', script(flag)], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }));
    const without = rss('');
    const withFlag = rss(`--heap-growing-percent=${heapGrowingPercent}`);
    expect(withFlag).toBeLessThan(without * 0.8);
  }, 30_000);
});

describe('holdYoungGeneration and releaseYoungGeneration', () => {
  const flagsSet = (call: (setFlags: (f: string) => void) => boolean) => {
    const set: string[] = [];
    return { returned: call((f) => set.push(f)), set };
  };

  it("holds the young generation when node started with bin/annexa.js's flags", () => {
    expect(flagsSet((setFlags) => holdYoungGeneration({ execArgv: entryNodeFlags(), nodeOptions: '', setFlags }))).toEqual({ returned: true, set: ['--semi-space-growth-factor=1'] });
  });

  it.each([
    { execArgv: [], nodeOptions: '' }, // no start size: it would hold V8's 1 MB start
    { execArgv: ['--min-semi-space-size=4', '--max-semi-space-size=32'], nodeOptions: '' },
    { execArgv: ['--min-semi-space-size=4'], nodeOptions: '--max_semi_space_size=8' },
    { execArgv: ['--min-semi-space-size=4'], nodeOptions: '--import x --semi-space-growth-factor=4' },
  ])('holds nothing without a start size or when the operator chose one ($execArgv $nodeOptions)', ({ execArgv, nodeOptions }) => {
    expect(flagsSet((setFlags) => holdYoungGeneration({ execArgv, nodeOptions, setFlags }))).toEqual({ returned: false, set: [] });
  });

  it("releases to V8's growth factor, unless the operator chose a factor", () => {
    expect(flagsSet((setFlags) => releaseYoungGeneration({ execArgv: entryNodeFlags(), nodeOptions: '', setFlags }))).toEqual({ returned: true, set: ['--semi-space-growth-factor=2'] });
    expect(flagsSet((setFlags) => releaseYoungGeneration({ execArgv: [], nodeOptions: '--semi-space-growth-factor=3', setFlags }))).toEqual({ returned: false, set: [] });
  });

  it('takes effect at run time: held, the semi-spaces stay at their start size; released, they grow', () => {
    // Allocation that keeps a third of what it makes for a while, so scavenges find much alive.
    const script = (flags: string[]) => `
      const v8 = require('node:v8');
      const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      ${flags.map((f) => `v8.setFlagsFromString('${f}');`).join(' ')}
      let keep = []; let largest = 0;
      for (let i = 0; i < 3e6; i++) {
        const o = { a: i, b: 'x' + i }; if (i % 3 === 0) keep.push(o); if (keep.length > 200000) keep = [];
        if (i % 50000 === 0) largest = Math.max(largest, newSpace());
      }
      process.stdout.write(String(largest / 1048576));`;
    const largestNewSpaceMb = (flags: string[]) =>
      Number(execFileSync(process.execPath, [...entryNodeFlags(), '-e', script(flags)], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }));
    const start = Number(/^--min-semi-space-size=(\d+)$/.exec(entryNodeFlags()[0] ?? '')?.[1]);
    // new_space counts both semi-spaces.
    expect(largestNewSpaceMb(['--semi-space-growth-factor=1'])).toBeLessThanOrEqual(2 * start);
    expect(largestNewSpaceMb(['--semi-space-growth-factor=1', '--semi-space-growth-factor=2'])).toBeGreaterThan(2 * start);
    expect(largestNewSpaceMb([])).toBeGreaterThan(2 * start);
  }, 30_000);
});

describe('which commands change V8\'s heap settings', () => {
  // A module preloaded through NODE_OPTIONS reports every V8 flag the CLI sets at run time.
  const probe = `data:text/javascript,${encodeURIComponent(
    "import v8 from 'node:v8'; import { syncBuiltinESMExports } from 'node:module'; const set = v8.setFlagsFromString; " +
      "v8.setFlagsFromString = (f) => { process.stderr.write('V8FLAG ' + f + '\\n'); set(f); }; syncBuiltinESMExports();",
  )}`;
  const flagsSetBy = (...args: string[]) => {
    const run = spawnSync(join(packageRoot, 'bin', 'annexa.js'), [...args, '--store', join(packageRoot, 'no-such-store.db')], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: `--import=${probe}` },
    });
    expect(run.status, run.stderr).toBe(2); // no store there: the command ran and refused
    return [...run.stderr.matchAll(/^V8FLAG (.*)$/gm)].map((m) => m[1]);
  };

  it('a command that judges one snapshot keeps V8\'s growing factor, the others get the compact one; those that keep what they read release the young generation', () => {
    // bin/annexa.js holds the young generation first; the commands that keep what they read release it.
    const hold = '--semi-space-growth-factor=1';
    const release = '--semi-space-growth-factor=2';
    for (const command of judgesOneSnapshot) expect(flagsSetBy(command), command).toEqual([hold, release]);
    expect(flagsSetBy('runs')).toEqual([hold, `--heap-growing-percent=${heapGrowingPercent}`]);
    const bundle = flagsSetBy('bundle', '--from', '2026-01-01', '--to', '2026-01-31', '--out', join(packageRoot, 'no-such-bundle.zip'));
    expect(bundle).toEqual([hold, `--heap-growing-percent=${heapGrowingPercent}`, release]);
    expect([...growsYoungGeneration].sort()).toEqual([...judgesOneSnapshot, 'bundle'].sort());
  }, 60_000);
});

describe('bin/annexa.js', () => {
  it('run as a program, starts node with the flags entryNodeFlags reads from its first line', () => {
    const flags = entryNodeFlags();
    expect(flags.some((f) => /^--min-semi-space-size=\d+$/.test(f))).toBe(true);
    // A module preloaded through NODE_OPTIONS reports the flags node was started with.
    const probe = `data:text/javascript,process.on('exit',()=>process.stderr.write('EXECARGV'+JSON.stringify(process.execArgv)))`;
    const run = spawnSync(join(packageRoot, 'bin', 'annexa.js'), ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--import=${probe}` } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(toolVersion);
    const execArgv = JSON.parse(/EXECARGV(.*)$/m.exec(run.stderr)?.[1] ?? 'null') as string[] | null;
    expect(execArgv?.slice(0, flags.length)).toEqual(flags);
  }, 30_000);
});
