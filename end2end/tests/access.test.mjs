// Accounts in a real browser: an anonymous visitor is sent to sign in (and
// back where they were going), a viewer sees no write buttons, an
// operator's silence shows up in the admin's audit trail, and signing out
// ends the session.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, signIn, startShipshape, waitForHydration, withPage } from './harness.mjs';

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

describe('accounts', () => {
  test('an anonymous visitor signs in and lands where they were going; a wrong password says so', async () => {
    await withPage(browser, {}, async (page) => {
      await page.goto(`${shipshape.baseUrl}/alerts`);
      assert.equal(new URL(page.url()).pathname, '/sign-in');
      await waitForHydration(page);
      await page.fill('[data-testid="username"]', shipshape.accounts.viewer.username);
      await page.fill('[data-testid="password"]', 'not the password');
      await page.click('[data-testid="sign-in"]');
      const problem = page.locator('[data-testid="sign-in-error"]');
      await problem.waitFor({ timeout: 10_000 });
      assert.equal(await problem.textContent(), 'The account name or the password is wrong.');

      await page.fill('[data-testid="username"]', shipshape.accounts.viewer.username);
      await page.fill('[data-testid="password"]', shipshape.accounts.viewer.password);
      await Promise.all([page.waitForURL(/\/alerts$/), page.click('[data-testid="sign-in"]')]);
      await waitForHydration(page);
      assert.equal(await page.locator('[data-testid="signed-in-as"]').textContent(), 'victor (viewer)');
    });
  });

  test('a viewer sees no write buttons anywhere, and the server refuses them too', async () => {
    await withPage(browser, shipshape.as('viewer'), async (page) => {
      await shipshape.waitForDrift('checkout-api');
      await page.goto(`${shipshape.baseUrl}/services/checkout-api`);
      await waitForHydration(page);
      // Hydrated: sorting the dependency table is the wasm's doing.
      await page.locator('[data-testid="dependency-table"]').waitFor({ timeout: 30_000 });
      await page.click('[data-testid=sort-libyears]');
      await page.waitForSelector('th[aria-sort=descending] [data-testid=sort-libyears]', { timeout: 10_000 });
      assert.equal(await page.locator('[data-testid="refresh-now"]').count(), 0);

      await page.goto(`${shipshape.baseUrl}/alerts`);
      await waitForHydration(page);
      await page.locator('#silences-heading').waitFor();
      assert.equal(await page.locator('[data-testid="silence-form"]').count(), 0);
      await page.goto(`${shipshape.baseUrl}/upgrades`);
      await waitForHydration(page);
      await page.locator('#waves-heading').waitFor();
      assert.equal(await page.locator('[data-testid="preview-form"]').count(), 0);
      assert.equal(await page.locator('[data-testid="wave-form"]').count(), 0);
      assert.equal(await page.locator('nav a[href="/admin"]').count(), 0);
      await screenshot(page, 'viewer-upgrades');

      // The viewer's own session cannot write either: the server decides.
      // (Sent with the page's cookies from outside the page, so that the
      // expected refusal is not a console error.)
      const refused = await page.request.post(`${shipshape.baseUrl}/api/v1/silences`, {
        headers: { origin: shipshape.baseUrl },
        data: { service: 'ledger', duration: '1h', comment: 'viewer' },
      });
      assert.equal(refused.status(), 403);
      assert.match(await refused.text(), /needs the operator role; victor has the viewer role/);
    });
  });

  test('an operator silences, the admin sees it in the audit trail, and signing out ends the session', async () => {
    await withPage(browser, shipshape.as('operator'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/alerts`);
      await waitForHydration(page);
      await page.fill('[data-testid="silence-service"]', 'ledger');
      await page.fill('[data-testid="silence-duration"]', '30m');
      await page.fill('[data-testid="silence-comment"]', 'e2e: database upgrade');
      await page.click('[data-testid="silence-create"]');
      await page.locator('[data-testid="silence"][data-active="true"]').waitFor({ timeout: 10_000 });

      await Promise.all([page.waitForURL(/\/sign-in$/), page.click('[data-testid="sign-out"]')]);
      await page.goto(`${shipshape.baseUrl}/alerts`);
      assert.equal(new URL(page.url()).pathname, '/sign-in', 'the session ended');
    });
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/admin`);
      await waitForHydration(page);
      const entries = await page.locator('[data-testid="audit-entry"]').allTextContents();
      assert.ok(entries.some((e) => e.includes('olivia') && e.includes('create_silence') && e.includes('ledger')), entries.join('\n'));
      await page.fill('[data-testid="token-form"] input[name="name"]', 'e2e-ci');
      await page.selectOption('[data-testid="token-form"] select[name="role"]', 'operator');
      await page.click('[data-testid="create-token"]');
      const secret = await page.locator('[data-testid="new-token-secret"]').textContent({ timeout: 10_000 });
      assert.match(secret, /^shipshape_/);
      const works = await fetch(`${shipshape.baseUrl}/api/v1/services`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(works.status, 200);
      await screenshot(page, 'admin');
    });
  });

  test('an admin adds an account and changes its role; its owner changes their password and ends another session; disabled, it cannot sign in', async () => {
    const wendy = { baseUrl: shipshape.baseUrl, username: 'wendy', password: 'wendys first password' };
    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/admin`);
      await waitForHydration(page);
      await page.fill('[data-testid="account-form"] input[name="username"]', wendy.username);
      await page.fill('[data-testid="account-form"] input[name="password"]', wendy.password);
      await page.selectOption('[data-testid="account-form"] select[name="role"]', 'viewer');
      await page.click('[data-testid="create-account"]');
      await page.locator('[data-testid="account-done"]', { hasText: 'Created the viewer account wendy.' }).waitFor({ timeout: 10_000 });
      const row = page.locator('[data-testid="account"][data-username="wendy"]');
      await row.waitFor();
      await row.locator('[data-testid="account-role"]').selectOption('operator');
      await row.locator('[data-testid="change-role"]').click();
      await page.locator('[data-testid="account-done"]', { hasText: 'wendy is now operator.' }).waitFor({ timeout: 10_000 });
      assert.equal(await row.locator('[data-testid="account-role"]').inputValue(), 'operator');
      // The password typed into the form is not in the audit trail.
      const trail = await page.locator('[data-testid="audit"]').textContent();
      assert.match(trail, /create_account/);
      assert.ok(!trail.includes(wendy.password), trail);
      assert.ok(!trail.includes('load_admin'), `loading the page is a read, not audited:\n${trail}`);
    });

    await withPage(browser, { signIn: wendy }, async (page) => {
      // Wendy is also signed in somewhere else.
      const elsewhere = await fetch(`${shipshape.baseUrl}/auth/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: shipshape.baseUrl, 'user-agent': 'elsewhere/1.0' },
        body: new URLSearchParams({ username: wendy.username, password: wendy.password, next: '/' }),
      });
      const otherCookie = (elsewhere.headers.get('set-cookie') || '').split(';')[0];
      assert.ok(otherCookie, 'signed in elsewhere');

      await page.click('[data-testid="signed-in-as"]');
      await page.waitForURL(/\/account$/);
      await waitForHydration(page);
      assert.equal(await page.locator('[data-testid="account-summary"]').textContent(), 'Signed in as wendy, with the operator role.');
      const sessions = page.locator('[data-testid="my-session"]');
      assert.equal(await sessions.count(), 2);
      assert.equal(await page.locator('[data-testid="my-session"][data-current="true"]').count(), 1);
      assert.match(await page.locator('[data-testid="my-sessions"]').textContent(), /elsewhere\/1\.0/);
      await page.click('[data-testid="end-other-sessions"]');
      await page.locator('[data-testid="sessions-outcome"]', { hasText: 'Ended 1 other session(s).' }).waitFor({ timeout: 10_000 });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="my-session"]').length === 1);
      const ended = await fetch(`${shipshape.baseUrl}/api/v1/me/sessions`, { headers: { cookie: otherCookie } });
      assert.equal(ended.status, 401, 'the other session ended on the server');

      await page.fill('[data-testid="current-password"]', 'not my password');
      await page.fill('[data-testid="new-password"]', 'wendys second password');
      await page.click('[data-testid="change-password"]');
      await page.locator('[data-testid="password-outcome"]', { hasText: 'the current password is wrong' }).waitFor({ timeout: 10_000 });
      await page.fill('[data-testid="current-password"]', wendy.password);
      await page.fill('[data-testid="new-password"]', 'wendys second password');
      await page.click('[data-testid="change-password"]');
      await page.locator('[data-testid="password-outcome"]', { hasText: 'Changed your password' }).waitFor({ timeout: 10_000 });
      await screenshot(page, 'account');
    });
    wendy.password = 'wendys second password';

    await withPage(browser, shipshape.as('admin'), async (page) => {
      await page.goto(`${shipshape.baseUrl}/admin`);
      await waitForHydration(page);
      const row = page.locator('[data-testid="account"][data-username="wendy"]');
      await row.locator('[data-testid="toggle-disabled"]').click();
      await page.locator('[data-testid="account-done"]', { hasText: 'Disabled wendy and ended its sessions.' }).waitFor({ timeout: 10_000 });
      await page.locator('[data-testid="account"][data-username="wendy"][data-disabled="true"]').waitFor();
      // The only admin account cannot be disabled: the page says why.
      await page.locator('[data-testid="account"][data-username="admin"] [data-testid="toggle-disabled"]').click();
      await page.locator('[data-testid="account-problem"]', { hasText: '`admin` is the last enabled admin' }).waitFor({ timeout: 10_000 });
      await screenshot(page, 'admin-accounts');
    });

    await withPage(browser, {}, async (page) => {
      await page.goto(`${shipshape.baseUrl}/sign-in`);
      await waitForHydration(page);
      await page.fill('[data-testid="username"]', wendy.username);
      await page.fill('[data-testid="password"]', wendy.password);
      await page.click('[data-testid="sign-in"]');
      const problem = page.locator('[data-testid="sign-in-error"]');
      await problem.waitFor({ timeout: 10_000 });
      assert.equal(await problem.textContent(), 'This account is disabled: ask an admin to enable it.');
    });
  });
});
