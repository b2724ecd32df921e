// Upgrade PRs in a real browser: a service on the fake GitHub is previewed
// (a dry run shown in place, which only the hydrated page can do, and
// nothing written), then a real run opens its PRs on the fake GitHub and
// the page lists them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startShipshape, waitForHydration, withPage } from './harness.mjs';

let shipshape;
let browser;

before(async () => {
  shipshape = await startShipshape();
  browser = await launchBrowser();
  const registered = await shipshape.api(`/api/v1/services`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ slug: 'payments-api', team: 'payments', repository: 'github:demo-org/payments-api' }),
  });
  assert.equal(registered.status, 201, await registered.text());
});

after(async () => {
  await browser?.close();
  await shipshape?.stop();
});

describe('upgrades', () => {
  test('a preview shows branches and diffs in place and writes nothing; a run opens the PRs', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/upgrades`);
      await waitForHydration(page);
      assert.equal(await page.locator('[data-testid="open-prs"]').textContent(), 'No upgrade PR is open.');

      await page.selectOption('[data-testid="preview-service"]', 'payments-api');
      await page.click('[data-testid="preview"]');
      await page.waitForSelector('[data-testid="run-outcome"]', { timeout: 30_000 });
      assert.equal(new URL(page.url()).pathname, '/upgrades', 'the preview shows in place');
      const heading = await page.locator('[data-testid="run-outcome"] h2').textContent();
      assert.match(heading, /^Preview \(run \d+\): nothing was written$/);
      const branches = await page.locator('[data-testid="preview-branch"]').allTextContents();
      assert.deepEqual(branches, ['shipshape/minor-patch', 'shipshape/major-cargo-axum-0.8']);
      const diff = await page.locator('[data-group="minor-patch"] [data-testid="preview-diff"]').textContent();
      assert.match(diff, /^-serde = \{ version = "1\.0\.197", features = \["derive"\] \}$/m);
      assert.match(diff, /^\+serde = \{ version = "1\.0\.230", features = \["derive"\] \}$/m);
      await screenshot(page, 'upgrades-preview');
      const prsAfterPreview = (await (await shipshape.api(`/api/v1/upgrades/prs`)).json()).items;
      assert.deepEqual(prsAfterPreview, [], 'a preview writes nothing');

      await page.selectOption('[data-testid="run-service"]', 'payments-api');
      await page.click('[data-testid="run-now"]');
      await page.waitForSelector('[data-testid="run-outcome"] h2:has-text("Run")', { timeout: 30_000 });
      await page.waitForSelector('[data-testid="open-prs"] [data-testid="upgrade-pr"]', { timeout: 30_000 });
      const rows = await page.locator('[data-testid="open-prs"] [data-testid="upgrade-pr"]').allTextContents();
      assert.equal(rows.length, 2, rows.join('\n'));
      assert.ok(rows.some((row) => row.includes('Update 3 dependencies (patch and minor)') && row.includes('open')), rows.join('\n'));
      const links = await page.locator('[data-testid="open-prs"] a[href*="/pull/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links.sort(), [
        'https://github.com/demo-org/payments-api/pull/1',
        'https://github.com/demo-org/payments-api/pull/2',
      ]);
      await screenshot(page, 'upgrades-opened');
    });
  });

  test('a wave is started from the page and shows its tiers', async () => {
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/upgrades`);
      await waitForHydration(page);
      const form = page.locator('[data-testid="wave-form"]');
      await form.locator('select[name="ecosystem"]').selectOption('cargo');
      await form.locator('input[name="package"]').fill('serde');
      await form.locator('input[name="target"]').fill('1.0.230');
      await form.locator('input[name="soak"]').fill('2h');
      await page.click('[data-testid="start-wave"]');
      await page.waitForSelector('[data-testid="wave"]', { timeout: 30_000 });
      assert.equal(new URL(page.url()).pathname, '/upgrades', 'started in place');
      const heading = await page.locator('[data-testid="wave"] h3').first().textContent();
      assert.match(heading, /^Wave 1: cargo serde → 1\.0\.230/);
      const tiers = await page.locator('[data-testid="wave-tier"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-state')));
      assert.ok(tiers.length >= 1, 'the tiers are listed');
      assert.ok(['rolling-out', 'halted', 'done'].includes(tiers[0]), `the least critical tier moves first: ${tiers}`);
      assert.ok(tiers.slice(1).every((state) => ['waiting', 'done'].includes(state)), `later tiers wait: ${tiers}`);
      const api = (await (await shipshape.api(`/api/v1/upgrades/waves`)).json()).items;
      assert.equal(api[0].package, 'serde');
      assert.equal(api[0].soak_ms, 2 * 3600 * 1000);
      await screenshot(page, 'upgrades-wave');
    });
  });
});
