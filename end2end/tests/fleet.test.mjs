import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startShipshape, waitForHydration, withPage } from './harness.mjs';

let shipshape;
let browser;

before(async () => {
  shipshape = await startShipshape();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await shipshape?.stop();
});

const cardSlugs = (page) => page.$$eval('.service-grid li[data-slug]', (cards) => cards.map((c) => c.dataset.slug));

describe('overview', () => {
  test('lists the demo fleet, server-rendered and then hydrated', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      const response = await page.goto(`${shipshape.baseUrl}/`);
      assert.equal(response.status(), 200);
      assert.equal(await page.title(), 'Overview · Shipshape');
      assert.deepEqual(await cardSlugs(page), [
        'billing-gateway', 'checkout-api', 'inventory', 'ledger', 'recommendations', 'storefront-web',
      ]);
      await waitForHydration(page);
      await screenshot(page, 'overview');
    });
  });

  test('filters as you type once hydrated, without reloading the page', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      await waitForHydration(page);
      // A reload would wipe this marker.
      await page.evaluate(() => { window.__sameDocument = true; });

      // Typing filters with no Enter and no button: only the wasm can do that.
      await page.fill('input[name="q"]', 'ledg');
      await page.waitForFunction(() => document.querySelectorAll('.service-grid li[data-slug]').length === 1);
      assert.deepEqual(await cardSlugs(page), ['ledger']);
      assert.match(page.url(), /\?q=ledg$/);

      await page.fill('input[name="q"]', '');
      await page.selectOption('select[name="team"]', 'payments');
      await page.waitForFunction(() => document.querySelectorAll('.service-grid li[data-slug]').length === 3);
      assert.deepEqual(await cardSlugs(page), ['billing-gateway', 'checkout-api', 'ledger']);
      assert.match(page.url(), /\?team=payments$/);

      await page.selectOption('select[name="tag"]', 'pci');
      await page.waitForFunction(() => document.querySelectorAll('.service-grid li[data-slug]').length === 2);
      assert.deepEqual(await cardSlugs(page), ['checkout-api', 'ledger']);
      assert.equal(await page.textContent('.result-count'), '2 of 6 services');

      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
      await screenshot(page, 'overview-filtered');
    });
  });

  test('filters without JavaScript through the form', async () => {
    await withPage(browser, shipshape.as('admin', { javaScriptEnabled: false }), async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      await page.selectOption('select[name="team"]', 'payments');
      await Promise.all([page.waitForURL(/team=payments/), page.click('form.filters button[type="submit"]')]);
      assert.deepEqual(await cardSlugs(page), ['billing-gateway', 'checkout-api', 'ledger']);
      assert.equal(await page.$eval('select[name="team"]', (s) => s.value), 'payments');
      await screenshot(page, 'overview-no-javascript');
    });
  });

  test('is readable on a phone', async () => {
    await withPage(browser, shipshape.as('admin', { viewport: { width: 390, height: 844 }, isMobile: true }), async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      await waitForHydration(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
      await screenshot(page, 'overview-phone');
    });
  });
});

describe('service page', () => {
  test('opens from the overview and shows the service', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      await waitForHydration(page);
      await Promise.all([page.waitForURL(/\/services\/checkout-api$/), page.click('a[href="/services/checkout-api"]')]);
      await page.waitForSelector('h1:has-text("Checkout API")');
      const facts = await page.textContent('.facts');
      assert.match(facts, /payments/);
      assert.match(facts, /checkout-api/);
      assert.match(await page.textContent(".page-head"), /Tier 1/);
      // The demo's healthchecks run on free ports in tests (see the harness).
      const healthUrl = `http://127.0.0.1:${shipshape.demoPorts[7101]}/_internal_/healthcheck`;
      assert.equal(await page.locator('table.data td code.url', { hasText: healthUrl }).count(), 1);
      assert.equal(await page.title(), 'Checkout API · Shipshape');
      await screenshot(page, 'service-checkout-api');
    });
  });

  test('answers 404 with a not-found page for an unknown slug', async () => {
    await withPage(browser, shipshape.as('admin'), async (page, errors) => {
      const response = await page.goto(`${shipshape.baseUrl}/services/no-such-service`);
      assert.equal(response.status(), 404);
      await page.waitForSelector('h1:has-text("Not found")');
      await waitForHydration(page);
      // The browser reports the 404 document itself; nothing else may fail.
      const unexpected = errors.filter((e) => !e.includes('status of 404'));
      errors.length = 0;
      assert.deepEqual(unexpected, []);
      await screenshot(page, 'service-not-found');
    });
  });
});

describe('navigation', () => {
  test('every section is reachable from the menu', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      await waitForHydration(page);
      for (const [label, path, heading] of [
        ['Services', '/services', 'Services'],
        ['Dependencies', '/dependencies', 'Dependencies'],
        ['Upgrades', '/upgrades', 'Upgrades'],
        ['Alerts', '/alerts', 'Alerts'],
        ['Status', '/status', 'Status'],
        ['Overview', '/', 'Fleet overview'],
      ]) {
        await page.click(`nav.mainnav a:has-text("${label}")`);
        await page.waitForURL(`${shipshape.baseUrl}${path}`);
        await page.waitForSelector(`h1:has-text("${heading}")`);
        assert.equal(await page.getAttribute(`nav.mainnav a:has-text("${label}")`, 'aria-current'), 'page');
      }
      await page.click('nav.mainnav a:has-text("Services")');
      await page.waitForSelector('table.data tr[data-slug="inventory"]');
      await screenshot(page, 'services');
    });
  });
});
