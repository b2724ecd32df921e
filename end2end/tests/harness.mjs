// Starts the built `shipshape` binary on a free port with a fresh SQLite
// database and a copy of the demo fleet, and opens Debian's Chromium with
// Playwright. Any console error or uncaught exception in a page fails the
// test that caused it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const screenshotDir = join(repoRoot, 'end2end', 'screenshots');

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/// Starts Shipshape on the demo fleet. The demo's simulated healthchecks
/// move to free ports (`demoPorts` maps 7101… to them) so a demo running
/// on this machine does not answer for them; `fastHealth` polls every
/// endpoint each second and evaluates alert rules each second, so a state
/// change (and the alert it fires) shows within seconds.
/// `configure` rewrites the config text after the ports are moved; `env`
/// adds environment variables.
export async function startShipshape({ fastHealth = false, configure = (text) => text, env = {} } = {}) {
  const bin = process.env.SHIPSHAPE_BIN;
  const siteRoot = process.env.SHIPSHAPE_SITE_ROOT;
  if (!bin || !siteRoot) throw new Error('set SHIPSHAPE_BIN and SHIPSHAPE_SITE_ROOT (scripts/test does)');
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-e2e-'));
  // The demo fleet, with its repository paths pointing into this checkout.
  let fleet = readFileSync(join(repoRoot, 'shipshape.toml'), 'utf8')
    .replaceAll('repository = "examples/', `repository = "${repoRoot}/examples/`);
  const demoPorts = {};
  for (const port of [7101, 7102, 7103, 7104, 7105, 7106]) {
    demoPorts[port] = await freePort();
    fleet = fleet.replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${demoPorts[port]}`);
  }
  if (fastHealth) {
    fleet = fleet
      .replace(/^\s*interval = ".*"$/gm, '')
      // A timeout may not be longer than the interval; left out, it is.
      .replace(/^\s*timeout = ".*"$/gm, '')
      .replace(/^(\s*url = "http:\/\/127\.0\.0\.1:\d+\/.*")$/gm, '$1\n  interval = "1s"')
      .replace(/^evaluate_every = ".*"$/m, 'evaluate_every = "1s"');
    // Checks every second are below the default bound a real fleet gets.
    fleet += '\n[limits]\nmin_interval = "1s"\n';
  }
  // Services the tests register through the API read the fake GitHub's
  // organisation.
  fleet += '\n[registration]\ngithub_owners = ["demo-org"]\n';
  writeFileSync(join(dir, 'shipshape.toml'), configure(fleet));
  const port = await freePort();
  const log = [];
  // The registries answer from shipshape-fakes (built beside shipshape), so
  // drift is measured offline and the same on every run.
  const fakes = spawn(join(dirname(bin), 'shipshape-fakes'), ['127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const fakesUrl = await new Promise((resolveUrl, reject) => {
    fakes.once('error', reject);
    fakes.stdout.once('data', (d) => resolveUrl(String(d).trim().split('\n')[0]));
  });
  const registries = Object.fromEntries(
    [['CARGO', 'cargo'], ['NPM', 'npm'], ['PYTHON', 'pypi'], ['GO', 'go'], ['RUBY', 'ruby'], ['MAVEN', 'maven']]
      .map(([name, path]) => [`SHIPSHAPE_REGISTRY_${name}_URL`, `${fakesUrl}/${path}`]),
  );
  // The first admin comes from the environment on first start; the other
  // accounts and the API token are made through the API below.
  const password = () => randomBytes(18).toString('base64url');
  const accounts = {
    admin: { username: 'admin', password: password() },
    operator: { username: 'olivia', password: password() },
    viewer: { username: 'victor', password: password() },
  };
  const child = spawn(bin, ['--config', join(dir, 'shipshape.toml'), 'serve'], {
    cwd: dir,
    env: {
      ...process.env,
      SHIPSHAPE_ADMIN_USER: accounts.admin.username,
      SHIPSHAPE_ADMIN_PASSWORD: accounts.admin.password,
      SHIPSHAPE_LISTEN: `127.0.0.1:${port}`,
      SHIPSHAPE_DATABASE_URL: `sqlite://${join(dir, 'shipshape.db')}`,
      SHIPSHAPE_SITE_ROOT: siteRoot,
      SHIPSHAPE_GITHUB_API_URL: `${fakesUrl}/github`,
      ...registries,
      RUST_LOG: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    // The fakes go too, or the test process never ends.
    if (child.exitCode !== null) {
      fakes.kill();
      throw new Error(`shipshape exited early:\n${log.join('')}`);
    }
    try {
      const res = await fetch(`${baseUrl}/_internal_/healthcheck`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill();
      fakes.kill();
      throw new Error(`shipshape did not become healthy:\n${log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // Sign in as the admin like a browser form would, then make an admin API
  // token for the tests' own requests, and the other accounts.
  const signedIn = await fetch(`${baseUrl}/auth/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: baseUrl },
    body: new URLSearchParams({ ...accounts.admin, next: '/' }),
  });
  const cookie = (signedIn.headers.get('set-cookie') || '').split(';')[0];
  if (signedIn.status !== 303 || !cookie) throw new Error(`the admin could not sign in (${signedIn.status}):\n${log.join('')}`);
  const created = await fetch(`${baseUrl}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl, cookie },
    body: JSON.stringify({ name: 'end2end', role: 'admin' }),
  });
  if (created.status !== 201) throw new Error(`no API token (${created.status}): ${await created.text()}`);
  const token = (await created.json()).secret;
  const api = (path, init = {}) => fetch(`${baseUrl}${path}`, {
    ...init,
    headers: { ...(init.headers || {}), authorization: `Bearer ${token}` },
  });
  for (const role of ['operator', 'viewer']) {
    const made = await api('/api/v1/accounts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...accounts[role], role }),
    });
    if (made.status !== 201) throw new Error(`no ${role} account (${made.status}): ${await made.text()}`);
  }
  return {
    baseUrl,
    dir,
    log,
    demoPorts,
    accounts,
    /// `fetch` of a path on the server with the admin API token.
    api,
    apiToken: token,
    /// Waits until the start-up refresh has stored `service`'s first drift
    /// snapshot, so a page that lists its dependencies has some to list.
    async waitForDrift(service) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const body = await (await api(`/api/v1/services/${service}/drift`)).json();
        if (body.latest) return;
        if (Date.now() > deadline) throw new Error(`no drift snapshot for ${service} after 60 s:\n${log.join('')}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    /// Options for `withPage` that sign in as `role` before the test's body.
    as(role, options = {}) {
      return { ...options, signIn: { baseUrl, ...accounts[role] } };
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      fakes.kill('SIGTERM');
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.SHIPSHAPE_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/// A page that records console errors and page errors into `errors`.
export async function watchedPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return { page, errors };
}

/// Runs `body` with a fresh page of `browser` (context `options`) and fails
/// the test if the page logged any error.
export async function withPage(browser, options, body) {
  const { signIn: account, ...contextOptions } = options;
  const context = await browser.newContext(contextOptions);
  const { page, errors } = await watchedPage(context);
  try {
    if (account) await signIn(page, account);
    await body(page, errors);
    assert.deepEqual(errors, [], 'the page logged errors');
  } finally {
    await context.close();
  }
}

/// Signs in through the sign-in page's form, as a person would.
export async function signIn(page, { baseUrl, username, password }) {
  await page.goto(`${baseUrl}/sign-in`);
  await page.fill('[data-testid="username"]', username);
  await page.fill('[data-testid="password"]', password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/sign-in'),
    page.click('[data-testid="sign-in"]'),
  ]);
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/// Waits until the wasm bundle has hydrated the page (the layout's effect
/// sets the marker; effects never run on the server).
export async function waitForHydration(page) {
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 30_000 });
}
