import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startShipshape, waitForHydration, withPage } from './harness.mjs';

let shipshape;
let browser;

before(async () => {
  shipshape = await startShipshape();
  browser = await launchBrowser();
  // The first refresh runs at start-up.
  await shipshape.waitForDrift('checkout-api');
});

after(async () => {
  await browser?.close();
  await shipshape?.stop();
});

const rowGaps = (page) => page.$$eval('[data-testid=dependency-table] tbody tr', (rows) =>
  rows.map((r) => [r.querySelector('strong').textContent, r.dataset.gap]));

describe('dependency drift', () => {
  test('the service page lists each dependency with its gap, and filters after hydration', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/services/checkout-api`);
      await waitForHydration(page);
      await page.waitForSelector('[data-testid=dependency-table]');
      const all = await rowGaps(page);
      assert.equal(all.length, 8, JSON.stringify(all));
      assert.deepEqual(all.find(([name]) => name === 'serde'), ['serde', 'patch']);
      const serdeRow = await page.$eval('[data-testid=dependency-table] tbody tr:has(strong:text-is("serde"))', (r) => r.textContent);
      assert.match(serdeRow, /1\.0\.229.*1\.0\.230/);
      // The version in use comes from Cargo.lock, and the page says so.
      const serdeSource = await page.$eval('[data-testid=dependency-table] tbody tr:has(strong:text-is("serde")) [data-version-source]',
        (cell) => [cell.dataset.versionSource, cell.querySelector('.version-source').getAttribute('title')]);
      assert.deepEqual(serdeSource, ['lock', 'pinned by Cargo.lock']);
      assert.match(await page.textContent('[data-testid=drift-totals]'), /8 dependencies · [\d.]+ libyears · 2 major · 1 minor · 2 patch · 3 up to date/);

      await page.selectOption('[data-testid=filter-gap]', 'major');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=dependency-table] tbody tr').length === 2);
      assert.deepEqual((await rowGaps(page)).map(([name]) => name).sort(), ['axum', 'reqwest']);
      await page.selectOption('[data-testid=filter-kind]', 'dev');
      assert.deepEqual((await rowGaps(page)).map(([name]) => name), ['reqwest']);
      await screenshot(page, 'service-dependencies');
    });
  });

  test('a version assumed from a range says so, and is not counted as up to date', async () => {
    await shipshape.waitForDrift('recommendations');
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/services/recommendations`);
      await page.waitForSelector('[data-testid=dependency-table]');
      const rows = await page.$$eval('[data-testid=dependency-table] tbody tr', (trs) => trs.map((r) => {
        const cell = r.querySelector('[data-version-source]');
        return [r.querySelector('strong').textContent, r.querySelector('.muted.small').textContent, cell.dataset.versionSource, cell.textContent];
      }));
      // pyproject.toml has no lock: httpx>=0.27 is only a range there; the
      // requirements file pins it.
      const fromRange = rows.find(([name, manifest]) => name === 'httpx' && manifest === 'pyproject.toml');
      assert.equal(fromRange?.[2], 'range-only', JSON.stringify(rows));
      assert.match(fromRange[3], /from range/);
      const pinned = rows.find(([name, manifest]) => name === 'httpx' && manifest === 'requirements.txt');
      assert.equal(pinned?.[2], 'pin', JSON.stringify(rows));
      assert.match(await page.textContent('body'), /pyproject\.toml:1: not locked: no lock file governs it/);
    });
  });

  test('refresh now queues a refresh and the page shows it was refreshed again', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/services/storefront-web`);
      await waitForHydration(page);
      const before = await page.textContent('[data-testid=refresh-status]');
      assert.match(before, /Last refreshed/);
      await page.click('[data-testid=refresh-now]');
      await page.waitForFunction(() => document.querySelector('[data-testid=refresh-now]').textContent === 'Refresh now');
      const snapshots = async () => (await (await shipshape.api(`/api/v1/services/storefront-web/snapshots`)).json()).items.length;
      const deadline = Date.now() + 20_000;
      while ((await snapshots()) < 2) {
        if (Date.now() > deadline) throw new Error('refresh now did not add a snapshot');
        await new Promise((r) => setTimeout(r, 200));
      }
      const express = await page.$eval('[data-testid=dependency-table] tbody tr:has(strong:text-is("express"))', (r) => r.dataset.gap);
      assert.equal(express, 'major');
    });
  });

  test('the overview shows each service drift at a glance', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      const drift = await page.textContent('li[data-slug=checkout-api] [data-testid=service-drift]');
      assert.match(drift, /libyears.*2 major.*1 minor.*2 patch/);
      assert.doesNotMatch(drift, /not locked/, 'every checkout-api version comes from Cargo.lock');
      await shipshape.waitForDrift('recommendations');
      await page.reload();
      const recommendations = await page.textContent('li[data-slug=recommendations] [data-testid=service-drift]');
      assert.match(recommendations, /[1-9]\d* not locked/, 'a count with assumptions in it says so');
    });
  });

  test('the packages API answers which services use a version', async () => {
    const res = await shipshape.api(`/api/v1/packages?q=${encodeURIComponent('npm:express@<5')}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { items: [{ ecosystem: 'npm', name: 'express', latest: '5.1.0', versions: [['4.22.3', ['storefront-web']]] }], next_cursor: null });
    const bad = await shipshape.api(`/api/v1/packages?q=${encodeURIComponent('serde <')}`);
    assert.equal(bad.status, 422);
    assert.equal((await bad.json()).detail, '`<` has no version after its operator');
  });
});

describe('dependency table sorting and trend', () => {
  test('column headers sort the table once the page is hydrated, worst first then reversed', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/services/checkout-api`);
      await waitForHydration(page);
      await page.waitForSelector('[data-testid=dependency-table]');
      const libyears = () => page.$$eval('[data-testid=dependency-table] tbody tr', (rows) =>
        rows.map((r) => r.querySelector('td.num').textContent));
      await page.click('[data-testid=sort-libyears]');
      await page.waitForSelector('th[aria-sort=descending] [data-testid=sort-libyears]');
      const down = (await libyears()).filter((v) => v !== '-').map(Number);
      assert.ok(down.length >= 2, JSON.stringify(down));
      assert.deepEqual(down, [...down].sort((a, b) => b - a), 'descending libyears');
      assert.ok(down[0] > down[down.length - 1], 'the table is not all equal');
      await page.click('[data-testid=sort-libyears]');
      await page.waitForSelector('th[aria-sort=ascending] [data-testid=sort-libyears]');
      const up = (await libyears()).filter((v) => v !== '-').map(Number);
      assert.deepEqual(up, [...up].sort((a, b) => a - b), 'ascending libyears');

      await page.click('[data-testid=sort-gap]');
      const gaps = await rowGaps(page);
      assert.deepEqual(gaps.slice(0, 2).map(([, gap]) => gap), ['major', 'major']);
      assert.equal(gaps[gaps.length - 1][1], 'up-to-date');
    });
  });

  test('the trend chart draws one bar group per snapshot, stacked by gap', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/services/checkout-api`);
      await waitForHydration(page);
      const history = (await (await shipshape.api(`/api/v1/services/checkout-api/drift`)).json()).history;
      const groups = await page.$$eval('[data-testid=trend-snapshot]', (gs) => gs.map((g) => ({
        title: g.querySelector('title').textContent,
        bars: [...g.querySelectorAll('rect')].map((r) => r.getAttribute('class')),
      })));
      assert.equal(groups.length, history.length);
      const last = groups[groups.length - 1];
      assert.deepEqual(last.bars, ['bar-up-to-date', 'bar-patch', 'bar-minor', 'bar-major']);
      assert.match(last.title, /libyears; 2 major, 1 minor, 2 patch, 3 up to date/);
      const path = await page.getAttribute('[data-testid=trend-libyears]', 'd');
      assert.match(path, /^M[\d.]+,[\d.]+/);
    });
  });
});

describe('dependencies page', () => {
  test('lists every package in the fleet with the services on each version', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/dependencies`);
      await page.waitForSelector('[data-testid=packages]');
      assert.match(await page.textContent('[data-testid=package-count]'), /\d+ packages in use by 6 services/);
      const express = await page.textContent('tr[data-package=express]');
      assert.match(express, /npm.*5\.1\.0.*4\.22\.3.*storefront-web/s);
      assert.equal(await page.getAttribute('tr[data-package=express] a.service-chip', 'href'), '/services/storefront-web#dependencies');
    });
  });

  test('a search answers which services match, in place once hydrated, and explains a bad query', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/dependencies`);
      await waitForHydration(page);
      // Survives only if the search does not reload the page.
      await page.evaluate(() => { window.__sameDocument = true; });
      await page.fill('[data-testid=package-search]', 'serde <1.0.230');
      await page.press('[data-testid=package-search]', 'Enter');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=package]').length === 1);
      assert.equal(await page.getAttribute('[data-testid=package]', 'data-package'), 'serde');
      const chips = await page.$$eval('[data-testid=package] a.service-chip', (as) => as.map((a) => a.textContent));
      assert.ok(chips.includes('checkout-api'), JSON.stringify(chips));
      assert.equal(new URL(page.url()).search, `?q=${encodeURIComponent('serde <1.0.230')}`);
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the search reloaded the page');

      await page.fill('[data-testid=package-search]', 'serde <');
      await page.press('[data-testid=package-search]', 'Enter');
      await page.waitForSelector('[data-testid=query-error]');
      assert.match(await page.textContent('[data-testid=query-error]'), /`<` has no version after its operator/);
      await page.fill('[data-testid=package-search]', 'npm:react@<1');
      await page.press('[data-testid=package-search]', 'Enter');
      await page.waitForSelector('[data-testid=no-packages]');
      await screenshot(page, 'dependencies-search');
    });
  });

  test('a search link works without JavaScript', async () => {
    const res = await shipshape.api(`/dependencies?q=${encodeURIComponent('npm:express@<5')}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /data-package="express"/);
    assert.doesNotMatch(html, /data-package="serde"/);
  });
});
