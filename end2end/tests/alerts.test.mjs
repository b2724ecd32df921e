// Alerts in a real browser: a demo service goes down, the alert fires and
// shows on the Alerts page and as a banner on the Overview; a silence is
// created through the page's form (the list updates in place, which only
// the hydrated page can do) and mutes the alert, then is ended early.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startShipshape, waitForHydration, withPage } from './harness.mjs';

let shipshape;
let browser;

const demo = (port, action) => fetch(`http://127.0.0.1:${shipshape.demoPorts[port]}/_demo/${action}`, { method: 'POST' });

async function firing() {
  const overview = await (await shipshape.api(`/api/v1/alerts`)).json();
  return overview.firing;
}

before(async () => {
  shipshape = await startShipshape({ fastHealth: true });
  browser = await launchBrowser();
  // The flaky demo service fails on a clock; held up so the test does not
  // depend on the minute it runs in.
  await demo(7105, 'up');
  await demo(7104, 'down');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const alerts = await firing();
    if (alerts.some((a) => a.service === 'storefront-web' && a.rule === 'service-down')) break;
    if (Date.now() > deadline) throw new Error(`no alert fired: ${JSON.stringify(alerts)}\n${shipshape.log.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

after(async () => {
  await browser?.close();
  await shipshape?.stop();
});

describe('alerts', () => {
  test('a service that goes down fires an alert, shown on the Overview and the Alerts page', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/`);
      await waitForHydration(page);
      const banner = page.locator('[data-testid="firing-banner"]');
      await banner.waitFor({ timeout: 10_000 });
      assert.match(await banner.textContent(), /storefront-web — service-down: http:\/\/127\.0\.0\.1:\d+\/ failed \d+ checks in a row/);

      await page.goto(`${shipshape.baseUrl}/alerts`);
      await waitForHydration(page);
      const row = page.locator('[data-testid="firing-alerts"] [data-testid="alert"][data-service="storefront-web"]');
      await row.waitFor({ timeout: 10_000 });
      assert.match(await row.textContent(), /critical/);
      const rules = await page.locator('[data-testid="rules"] tbody tr').allTextContents();
      assert.ok(rules.some((r) => r.startsWith('service-downan endpoint failed 3 checks in a row')), rules.join('\n'));
      const journal = await page.locator('[data-testid="events"]').textContent();
      assert.match(journal, /alert\.firing/);
      assert.match(journal, /incident\.opened/);
      await screenshot(page, 'alerts-firing');
    });
  });

  test('an operator silences the alert through the page; it mutes the alert and can be ended', async () => {
    await withPage(browser, shipshape.as('operator'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/alerts`);
      await waitForHydration(page);
      // Marks this document: a full page load (a form posted without the
      // wasm) would lose it.
      await page.evaluate(() => { window.stillTheSamePage = true; });
      assert.equal(await page.locator('[data-testid="silence"]').count(), 0);

      await page.fill('[data-testid="silence-service"]', 'storefront-web');
      await page.fill('[data-testid="silence-duration"]', 'soon');
      await page.fill('[data-testid="silence-comment"]', 'e2e: rolling back the release');
      await page.click('[data-testid="silence-create"]');
      const error = page.locator('[data-testid="silence-error"]');
      await error.waitFor({ timeout: 10_000 });
      assert.match(await error.textContent(), /duration: /);

      await page.fill('[data-testid="silence-duration"]', '1h');
      await page.click('[data-testid="silence-create"]');
      const silence = page.locator('[data-testid="silence"][data-active="true"]');
      await silence.waitFor({ timeout: 10_000 });
      assert.match(await silence.textContent(), /service storefront-web.*e2e: rolling back the release/);
      assert.equal(await page.evaluate(() => window.stillTheSamePage), true, 'the list updated in place');
      assert.equal(new URL(page.url()).pathname, '/alerts');

      // The next evaluation records why the owners are not reminded.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const alert = (await firing()).find((a) => a.service === 'storefront-web');
        if (alert?.held_reason === 'silenced: e2e: rolling back the release') break;
        if (Date.now() > deadline) throw new Error(`the silence was not applied: ${JSON.stringify(alert)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      await page.reload();
      await waitForHydration(page);
      const owners = page.locator('[data-testid="firing-alerts"] [data-service="storefront-web"] [data-testid="alert-owners"]');
      assert.equal(await owners.textContent(), 'silenced: e2e: rolling back the release');
      await screenshot(page, 'alerts-silenced');

      await page.evaluate(() => { window.stillTheSamePage = true; });
      await page.click('[data-testid="silence-expire"]');
      await page.locator('[data-testid="silence"][data-active="false"]').waitFor({ timeout: 10_000 });
      assert.equal(await page.evaluate(() => window.stillTheSamePage), true, 'ended in place');
      const silences = (await (await shipshape.api(`/api/v1/silences`)).json()).items;
      assert.equal(silences.length, 1);
      assert.equal(silences[0].active, false);
    });
  });
});
