import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compactHeap, heapGrowingPercent } from '../../src/cli/heap.js';

describe('compactHeap', () => {
  it('sets the heap growing factor when the operator set no V8 heap flag', () => {
    const set: string[] = [];
    expect(compactHeap({ execArgv: ['--enable-source-maps'], nodeOptions: '--import tsx', setFlags: (f) => set.push(f) })).toBe(true);
    expect(set).toEqual([`--heap-growing-percent=${heapGrowingPercent}`]);
  });

  it.each([
    { execArgv: ['--max-old-space-size=512'], nodeOptions: '' },
    { execArgv: [], nodeOptions: '--max_old_space_size=512' },
    { execArgv: [], nodeOptions: '--import x --heap-growing-percent=100' },
    { execArgv: ['--max-semi-space-size=8'], nodeOptions: '' },
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
