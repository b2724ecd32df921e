// Health in a real browser, against the demo's simulated healthchecks
// polled every second: a service taken down changes colour and words on an
// Overview that stays open (no reload; only the hydrated page's event
// stream can do that), the service page shows components and charts, and
// the public status page renders with JavaScript off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startShipshape, waitForHydration, withPage } from './harness.mjs';

let shipshape;
let browser;

before(async () => {
  shipshape = await startShipshape({ fastHealth: true });
  browser = await launchBrowser();
  // The flaky demo service fails on a clock; held up so the tests do not
  // depend on the minute they run in.
  await demo(7105, 'up');
  // Every demo service is polled and up (two good checks) before the tests look.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const fleet = (await (await shipshape.api(`/api/v1/health`)).json()).items;
    if (fleet.length === 6 && fleet.every((s) => s.health.level === 'up')) break;
    if (Date.now() > deadline) throw new Error(`the demo did not come up: ${JSON.stringify(fleet)}\n${shipshape.log.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

after(async () => {
  await browser?.close();
  await shipshape?.stop();
});

const demo = (port, action) => fetch(`http://127.0.0.1:${shipshape.demoPorts[port]}/_demo/${action}`, { method: 'POST' });
const pill = (page, slug) => page.locator(`.service-card[data-slug="${slug}"] .health-pill`);

describe('health', () => {
  test('a service going down turns red, in words, on the open Overview without a reload', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      await waitForHydration(page);
      await page.evaluate(() => { window.__sameDocument = true; });
      assert.equal(await pill(page, 'checkout-api').textContent(), 'Up');
      assert.equal(await pill(page, 'checkout-api').getAttribute('data-level'), 'up');
      const upColour = await pill(page, 'checkout-api').evaluate((el) => getComputedStyle(el).color);
      assert.match(await page.locator('.service-card[data-slug="checkout-api"] .uptime').textContent(), /% up, 24 h$/);

      await demo(7101, 'down');
      try {
        // Down after three failed checks a second apart, then pushed to the page.
        await page.waitForSelector('.service-card[data-slug="checkout-api"] .health-pill[data-level="down"]', { timeout: 20_000 });
        assert.equal(await pill(page, 'checkout-api').textContent(), 'Down');
        const downColour = await pill(page, 'checkout-api').evaluate((el) => getComputedStyle(el).color);
        assert.notEqual(downColour, upColour, 'the colour changes with the words');
        assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
        assert.equal(await pill(page, 'ledger').textContent(), 'Up', 'the rest of the fleet is untouched');
        await screenshot(page, 'overview-health-down');

        await demo(7101, 'up');
        await page.waitForSelector('.service-card[data-slug="checkout-api"] .health-pill[data-level="up"]', { timeout: 20_000 });
      } finally {
        await demo(7101, 'auto');
      }
    });
  });

  test('the service page shows components, charts and the incident', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      const response = await page.goto(`${shipshape.baseUrl}/services/ledger`);
      assert.equal(response.status(), 200);
      await waitForHydration(page);
      const section = page.locator('[data-testid="health-section"]');
      assert.equal(await section.locator('.health-head .health-pill').textContent(), 'Up');
      // health+json's checks, keyed component:measurement.
      assert.equal(await section.locator('table.components code', { hasText: 'postgres:responseTime' }).count(), 1);
      assert.equal(await section.locator('.uptime-bar rect').count(), 90);
      assert.equal(await section.locator('.latency-chart svg').count(), 1);
      assert.match(await section.locator('.endpoint .muted').first().textContent(), /format health\+json/);

      await page.goto(`${shipshape.baseUrl}/services/checkout-api`);
      await waitForHydration(page);
      // The previous test's outage is an incident with its first failing detail.
      const incident = page.locator('[data-testid="health-section"] .incidents li').first();
      assert.match(await incident.textContent(), /First failure: answered HTTP 503/);
      await screenshot(page, 'service-health');
    });
  });

  test('the public status page renders with JavaScript off', async () => {
    // Anonymous: the status page is public.
    await withPage(browser, { javaScriptEnabled: false }, async (page) => {
      const response = await page.goto(`${shipshape.baseUrl}/status`);
      assert.equal(response.status(), 200);
      assert.equal(await page.title(), 'Status · Shipshape');
      const slugs = await page.$$eval('.status-service[data-slug]', (rows) => rows.map((r) => r.dataset.slug));
      assert.deepEqual(slugs.sort(), ['checkout-api', 'ledger', 'storefront-web'], 'public services only');
      assert.match(await page.locator('[data-testid="status-banner"]').textContent(), /operational|degraded|down/);
      assert.equal(await page.locator('.status-service[data-slug="ledger"] .uptime-bar rect').count(), 90);
      await page.click('a[href="/status?by=tag"]');
      assert.equal(await page.locator('.status-group h2', { hasText: 'public' }).count(), 1);
      await screenshot(page, 'status');
    });
  });

  test('badges are SVG a README can embed', async () => {
    const response = await fetch(`${shipshape.baseUrl}/badge/ledger/health.svg`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.match(await response.text(), /aria-label="health: up"/);
    const uptime = await fetch(`${shipshape.baseUrl}/badge/ledger/uptime.svg?period=24h`);
    assert.match(await uptime.text(), /uptime 24h: 100%/);
  });
});
