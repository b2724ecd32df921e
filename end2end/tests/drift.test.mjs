import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startShipshape, waitForHydration, watchedPage } from './harness.mjs';

let shipshape;
let browser;

before(async () => {
  shipshape = await startShipshape();
  browser = await launchBrowser();
  // The first refresh runs at start-up; wait for it through the API.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${shipshape.baseUrl}/api/v1/services/checkout-api/drift`);
    const body = await res.json();
    if (body.latest) break;
    if (Date.now() > deadline) throw new Error(`no drift snapshot after 60 s:\n${shipshape.log.join('')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
});

after(async () => {
  await browser?.close();
  await shipshape?.stop();
});

async function withPage(body) {
  const context = await browser.newContext();
  const { page, errors } = await watchedPage(context);
  try {
    await body(page);
    assert.deepEqual(errors, [], 'the page logged errors');
  } finally {
    await context.close();
  }
}

const rowGaps = (page) => page.$$eval('[data-testid=dependency-table] tbody tr', (rows) =>
  rows.map((r) => [r.querySelector('strong').textContent, r.dataset.gap]));

describe('dependency drift', () => {
  test('the service page lists each dependency with its gap, and filters after hydration', async () => {
    await withPage(async (page) => {
      await page.goto(`${shipshape.baseUrl}/services/checkout-api`);
      await waitForHydration(page);
      await page.waitForSelector('[data-testid=dependency-table]');
      const all = await rowGaps(page);
      assert.equal(all.length, 8, JSON.stringify(all));
      assert.deepEqual(all.find(([name]) => name === 'serde'), ['serde', 'patch']);
      const serdeRow = await page.$eval('[data-testid=dependency-table] tbody tr:has(strong:text-is("serde"))', (r) => r.textContent);
      assert.match(serdeRow, /1\.0\.229.*1\.0\.230/);
      assert.match(await page.textContent('[data-testid=drift-totals]'), /8 dependencies · [\d.]+ libyears · 2 major · 1 minor · 2 patch · 3 up to date/);

      await page.selectOption('[data-testid=filter-gap]', 'major');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=dependency-table] tbody tr').length === 2);
      assert.deepEqual((await rowGaps(page)).map(([name]) => name).sort(), ['axum', 'reqwest']);
      await page.selectOption('[data-testid=filter-kind]', 'dev');
      assert.deepEqual((await rowGaps(page)).map(([name]) => name), ['reqwest']);
      await screenshot(page, 'service-dependencies');
    });
  });

  test('refresh now queues a refresh and the page shows it was refreshed again', async () => {
    await withPage(async (page) => {
      await page.goto(`${shipshape.baseUrl}/services/storefront-web`);
      await waitForHydration(page);
      const before = await page.textContent('[data-testid=refresh-status]');
      assert.match(before, /Last refreshed/);
      await page.click('[data-testid=refresh-now]');
      await page.waitForFunction(() => document.querySelector('[data-testid=refresh-now]').textContent === 'Refresh now');
      const snapshots = async () => (await (await fetch(`${shipshape.baseUrl}/api/v1/services/storefront-web/snapshots`)).json()).length;
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
    await withPage(async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      const drift = await page.textContent('li[data-slug=checkout-api] [data-testid=service-drift]');
      assert.match(drift, /libyears.*2 major.*1 minor.*2 patch/);
    });
  });

  test('the packages API answers which services use a version', async () => {
    const res = await fetch(`${shipshape.baseUrl}/api/v1/packages?q=${encodeURIComponent('npm:express@<5')}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), [{ ecosystem: 'npm', name: 'express', latest: '5.1.0', versions: [['4.22.3', ['storefront-web']]] }]);
    const bad = await fetch(`${shipshape.baseUrl}/api/v1/packages?q=${encodeURIComponent('serde <')}`);
    assert.equal(bad.status, 422);
    assert.deepEqual(await bad.json(), { error: '`<` has no version after its operator' });
  });
});
