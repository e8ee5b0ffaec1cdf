import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumForTests } from '../chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { buildFixtureBundle, exclusionJustification } from './fixture.js';
import { readZip } from './zip-helpers.js';

const { chromiumPath, skip: skipBrowser } = chromiumForTests('bundle index.html');

describe('the bundle index.html', () => {
  let dir: string;
  let folder: string;
  let store: SqliteEvidenceStore;
  let entries: Map<string, Buffer>;
  let html: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annexa-index-'));
    const built = await buildFixtureBundle(dir, { samples: [{ population: 'merged-prs', size: 'auto' }], seed: 'auditor' });
    store = built.store;
    entries = await readZip(built.out);
    folder = join(dir, 'unzipped');
    for (const [name, bytes] of entries) {
      mkdirSync(join(folder, name, '..'), { recursive: true });
      writeFileSync(join(folder, name), bytes);
    }
    html = entries.get('index.html')!.toString();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is one self-contained page: strict CSP, no script, nothing that loads a resource', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(html).not.toMatch(/<script|\ssrc\s*=|<link\b|<img\b|<iframe\b|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('links only to files in the bundle and to anchors on the page', () => {
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(hrefs.length).toBeGreaterThan(200);
    for (const href of hrefs) {
      if (href.startsWith('#')) expect(html, href).toContain(`id="${href.slice(1)}"`);
      else expect(entries.has(href), href).toBe(true);
    }
  });

  it.skipIf(skipBrowser)('opens in headless Chromium with no console error and no network request', async () => {
    if (!chromiumPath) throw new Error('Chromium not found: install it or set CHROMIUM_PATH (required when CI is set)');
    const browser: Browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'], timeout: 90_000 });
    try {
      const page: Page = await browser.newPage();
      const consoleErrors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(join(folder, 'index.html')).href;
      await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
      expect(consoleErrors).toEqual([]);
      expect(requests).toEqual([url]);
      expect(await page.locator('#summary [data-no-evidence]').innerText()).toContain('applicable requirement(s) had no evidence in the period');
      const excluded = page.locator('section.control[data-control="A.7.4"]');
      expect(await excluded.innerText()).toContain(exclusionJustification);
      const members = page.locator('section.control[data-control="A.8.5"] .check[data-check="github.members.have_2fa"]');
      expect(await members.locator('.day').count()).toBe(10);
      expect(await members.locator('.day').nth(4).getAttribute('title')).toBe('2026-03-05: fail');
      expect(await members.locator('[data-counts]').innerText()).toBe('6 days pass, 2 days fail, 1 day stale, 1 day not collected; 10 check runs recorded.');
      expect(await page.locator('section.control[data-control="A.5.2"] [data-summary]').innerText()).toContain('No evidence for A.5.2');
      // A link to a bundle file resolves next to the page.
      const href = await page.locator('section.control[data-control="A.8.5"] a', { hasText: 'control.json' }).first().getAttribute('href');
      expect(existsSync(join(folder, href!))).toBe(true);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('shows status changes with their evidence, collection gaps, sources and samples (static)', () => {
    expect(html).toContain('2026-03-06</td><td>2026-03-08</td><td>3</td>');
    expect(html).toMatch(/<a href="evidence\/check-inputs\/[0-9a-f]{64}\.json"><code>[0-9a-f]{16}…<\/code><\/a>/);
    expect(html).toContain('<td>github-acme</td><td>members</td><td>github</td>');
    expect(html).toContain('<a href="populations/merged-prs.csv">merged-prs</a></td><td>2 of 2</td>');
  });
});
