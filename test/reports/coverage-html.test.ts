import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequirementRow, RequirementStatus } from '../../src/reports/coverage-model.js';
import { escapeHtml, renderCoverageHtml } from '../../src/reports/render-html.js';
import { buildCoverageReport, buildRows, failingSubjectsOf, scriptSubject } from './fixture.js';
import { chromiumForTests } from '../chromium.js';

const statuses: RequirementStatus[] = ['passing', 'failing', 'stale', 'manual', 'missing', 'excluded'];
const csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
const { chromiumPath, skip: skipBrowser } = chromiumForTests('coverage HTML');
const screenshotPath = '/tmp/coverage.png';

const report = buildCoverageReport();
const rows = report.controls;
const html = renderCoverageHtml(report);
const count = (status: RequirementStatus) => rows.filter((r) => r.status === status).length;
const tileSelector = (row: RequirementRow) => `.tile[data-id="${row.id}"]`;

describe('renderCoverageHtml (static)', () => {
  it('is one self-contained document with the strict CSP', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${csp}">`);
    // Nothing that could load a resource: no URLs, no src, no external links, no CSS imports or url().
    expect(html).not.toMatch(/https?:|\/\/[a-z0-9]/i);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|<object\b|<embed\b/i);
    for (const href of html.matchAll(/href="([^"]*)"/g)) expect(href[1]).toMatch(/^#/);
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('escapes every string from the report', () => {
    expect(html).not.toContain(scriptSubject);
    expect(html).not.toContain('<b>enabled</b>');
    expect(html).toContain(escapeHtml(scriptSubject));
    expect(escapeHtml(`<a href="x" onclick='y'>&`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;');
    const custom = buildRows();
    custom[0]!.title = '"><img src=x onerror=alert(1)>';
    const out = renderCoverageHtml({ ...buildCoverageReport(custom), soaFile: '</title><script>alert(2)</script>' });
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<script>alert(2)');
  });

  it('renders a report without requirements or SoA', () => {
    const out = renderCoverageHtml({ ...buildCoverageReport([]), soaFile: null });
    expect(out).toContain('none: every control counts as applicable');
    expect(out).not.toContain('class="tile"');
  });
});

describe.skipIf(skipBrowser)('renderCoverageHtml in Chromium', () => {
  let dir: string;
  let file: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    if (chromiumPath === undefined) {
      throw new Error(`CI=${process.env.CI}: the browser tests are required but no Chromium was found: install Debian's chromium package or set CHROMIUM_PATH`);
    }
    dir = mkdtempSync(join(tmpdir(), 'annexa-coverage-html-'));
    file = join(dir, 'coverage.html');
    writeFileSync(file, html);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 90_000,
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.setDefaultTimeout(20_000);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('shows the framework, as-of date and SoA file in the header', async () => {
    const header = await page.locator('header.top').innerText();
    expect(header).toContain(report.framework.title);
    expect(header).toContain('2025-06-30');
    expect(header).toContain(report.soaFile!);
  });

  it('shows the counts per status from the fixture rows on the summary cards', async () => {
    for (const status of statuses) {
      expect(count(status), `fixture has ${status} rows`).toBeGreaterThan(0);
      const card = page.locator(`.card[data-status="${status}"]`);
      await expect.poll(() => card.count()).toBe(1);
      expect(await card.locator('[data-count]').innerText()).toBe(String(count(status)));
      // The status is written out, not conveyed by colour only.
      expect((await card.innerText()).toLowerCase()).toContain(status);
    }
    const applicable = rows.filter((r) => r.applicable).length;
    const current = count('passing') + count('failing') + count('manual');
    expect(await page.locator('[data-percent]').innerText()).toBe(`${((100 * current) / applicable).toFixed(1)}%`);
  });

  it('has one tile per requirement, grouped by theme, with the status as text', async () => {
    const tiles = page.locator('.tile');
    expect(await tiles.count()).toBe(rows.length);
    for (const row of rows) {
      const tile = page.locator(tileSelector(row));
      expect(await tile.getAttribute('data-status')).toBe(row.status);
      expect((await tile.innerText()).toLowerCase()).toContain(row.status);
      expect(await page.locator(`.theme[data-theme="${row.theme}"] ${tileSelector(row)}`).count()).toBe(1);
    }
  });

  it("opens a failing control's drill-down with its failing subjects, messages and SoA entry", async () => {
    const row = rows.find((r) => r.status === 'failing' && failingSubjectsOf(r).includes(scriptSubject))!;
    const tile = page.locator(tileSelector(row));
    const panelId = (await tile.getAttribute('aria-controls'))!;
    const panel = page.locator(`#${panelId}`);
    expect(await panel.isVisible()).toBe(false);
    const firstSubject = panel.locator('.subject').first();
    expect(await firstSubject.isVisible()).toBe(false);

    await tile.click();
    await panel.waitFor({ state: 'visible' });
    expect(await tile.getAttribute('aria-expanded')).toBe('true');
    const text = await panel.innerText();
    expect(text).toContain(row.title);
    expect(text).toContain(row.justification!);
    expect(text).toContain(row.implementation!);
    for (const check of row.checks) {
      expect(text).toContain(check.title);
      expect(text).toContain(check.rationale);
    }
    // Failing checks come first in the drill-down.
    const checkTitles = await panel.locator('.check-title').allInnerTexts();
    expect(checkTitles[0]).toBe(row.checks.find((c) => c.failing.length > 0)!.title);
    const subjects = panel.locator('.subjects.failing .subject');
    const shown = await subjects.allInnerTexts();
    expect(shown).toEqual(row.checks.flatMap((c) => c.failing.map((f) => f.subject)));
    for (let i = 0; i < shown.length; i++) expect(await subjects.nth(i).isVisible()).toBe(true);
    for (const f of row.checks.flatMap((c) => c.failing)) expect(text).toContain(f.message);

    await page.screenshot({ path: screenshotPath, fullPage: true });

    // Escape closes it again.
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    expect(await tile.getAttribute('aria-expanded')).toBe('false');
  });

  it('shows the <script> subject as text and never runs it', async () => {
    const rendered = page.locator('.subjects.failing .subject', { hasText: 'alert(1)' }).first();
    expect(await rendered.textContent()).toBe(scriptSubject);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('b').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('shows manual evidence with effective and expiry dates, and warnings', async () => {
    const row = rows.find((r) => r.manualEvidence.some((m) => m.expires !== null && !m.current))!;
    await page.locator(tileSelector(row)).click();
    const panel = page.locator(`#${await page.locator(tileSelector(row)).getAttribute('aria-controls')}`);
    await panel.waitFor({ state: 'visible' });
    const text = await panel.innerText();
    for (const m of row.manualEvidence) {
      expect(text).toContain(m.fileName);
      expect(text).toContain(m.effective);
      expect(text).toContain(m.expires!);
    }
    expect(text).toContain('expired');

    const warned = rows.find((r) => r.checks.some((c) => c.warnings.length > 0))!;
    await page.locator(tileSelector(warned)).click();
    const warnedPanel = page.locator(`#${await page.locator(tileSelector(warned)).getAttribute('aria-controls')}`);
    await warnedPanel.waitFor({ state: 'visible' });
    expect(await panel.isVisible()).toBe(false);
    const warnedText = await warnedPanel.innerText();
    for (const w of warned.checks.flatMap((c) => c.warnings)) {
      expect(warnedText).toContain(w.subject);
      expect(warnedText).toContain(w.message);
    }
    await warnedPanel.locator('[data-close]').click();
    await warnedPanel.waitFor({ state: 'hidden' });
  });

  it('shows the exclusion justification of excluded controls', async () => {
    const row = rows.find((r) => r.status === 'excluded')!;
    const tile = page.locator(tileSelector(row));
    await tile.click();
    const panel = page.locator(`#${await tile.getAttribute('aria-controls')}`);
    await panel.waitFor({ state: 'visible' });
    expect(await panel.innerText()).toContain(row.justification!);
    await tile.click();
    await panel.waitFor({ state: 'hidden' });
  });

  it('filters tiles by status with the summary cards', async () => {
    const visibleTiles = () => page.locator('.tile:visible').count();
    expect(await visibleTiles()).toBe(rows.length);
    const failingCard = page.locator('.card[data-status="failing"]');
    await failingCard.click();
    await expect.poll(visibleTiles).toBe(count('failing'));
    expect(await failingCard.getAttribute('aria-pressed')).toBe('true');
    for (const tile of await page.locator('.tile:visible').all()) expect(await tile.getAttribute('data-status')).toBe('failing');

    await page.locator('.card[data-status="stale"]').click();
    await expect.poll(visibleTiles).toBe(count('failing') + count('stale'));

    await page.locator('#reset').click();
    await expect.poll(visibleTiles).toBe(rows.length);
    expect(await failingCard.getAttribute('aria-pressed')).toBe('false');
  });

  it('opens a requirement from the checks-needing-attention table', async () => {
    const row = rows.find((r) => r.status === 'failing' && r.checks.length > 1 && r.checks.every((c) => c.failing.length > 0))!;
    const link = page.locator('.attention a[data-open]', { hasText: row.id }).first();
    await link.click();
    const tile = page.locator(tileSelector(row));
    const panel = page.locator(`#${await tile.getAttribute('aria-controls')}`);
    await panel.waitFor({ state: 'visible' });
    expect(await tile.getAttribute('aria-expanded')).toBe('true');
    for (const subject of failingSubjectsOf(row)) expect(await panel.innerText()).toContain(subject);
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
  });

  it('filters tiles by a subject typed into the search box', async () => {
    await page.locator('#search').fill('alice');
    const expected = rows.filter((r) => failingSubjectsOf(r).includes('alice')).length;
    expect(expected).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.tile:visible').count()).toBe(expected);
    await page.locator('#search').fill('');
    await expect.poll(() => page.locator('.tile:visible').count()).toBe(rows.length);
  });

  it('made no request but the file, logged no errors and opened no dialog', () => {
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(existsSync(screenshotPath)).toBe(true);
  });
});
