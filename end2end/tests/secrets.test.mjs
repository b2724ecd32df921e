// No secret leaks: a whole run with a GitHub token, a webhook URL that
// carries a token, a webhook signing secret, an SMTP password, a health
// endpoint's header, account passwords, API tokens and a subscription
// secret, where deliveries fail and pages and API answers are read. None
// of those values may appear in the server's log, a page or an answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launchBrowser, startShipshape, waitForHydration, withPage } from './harness.mjs';

let shipshape;
let browser;
let receiver;
const received = [];

const secrets = {
  github: 'ghp_e2eGitHubTokenThatMustNotLeak0001',
  webhookPath: 'T0KEN-in-the-webhook-path-0002',
  webhookSigning: 'whsec-signing-secret-0003',
  smtp: 'smtp-password-0004',
  healthHeader: 'Bearer health-header-token-0005',
  subscription: 'subscription-secret-0006',
  subscriptionPath: 'sub-path-token-0007',
};

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

before(async () => {
  // A webhook receiver that fails every delivery, so errors are logged.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ url: req.url, headers: req.headers, body });
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('receiver is down');
    });
  });
  const hookPort = await listen(receiver);
  // Nothing listens here: e-mail delivery fails to connect.
  const closed = createServer();
  const smtpPort = await listen(closed);
  await new Promise((r) => closed.close(r));

  shipshape = await startShipshape({
    fastHealth: true,
    env: {
      E2E_GITHUB_TOKEN: secrets.github,
      E2E_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hooks/${secrets.webhookPath}`,
      E2E_WEBHOOK_SECRET: secrets.webhookSigning,
      E2E_SMTP_PASSWORD: secrets.smtp,
      E2E_HEALTH_TOKEN: secrets.healthHeader,
    },
    configure: (text) => text
      .replace(/^group_wait = ".*"$/m, 'group_wait = "1s"')
      .replace(/(url = "http:\/\/127\.0\.0\.1:\d+\/_internal_\/healthcheck")/, '$1\n  headers = { authorization = { env = "E2E_HEALTH_TOKEN" } }')
      + `
[github]
token_env = "E2E_GITHUB_TOKEN"

[outbound]
deny = ["169.254.0.0/16"]
deny_own_addresses = false

[[alerts.channel]]
name = "ops-webhook"
kind = "webhook"
url_env = "E2E_WEBHOOK_URL"
secret_env = "E2E_WEBHOOK_SECRET"

[[alerts.channel]]
name = "oncall-mail"
kind = "email"
to = ["oncall@example.com"]

[alerts.smtp]
host = "127.0.0.1"
port = ${smtpPort}
security = "none"
username = "shipshape"
password_env = "E2E_SMTP_PASSWORD"
from = "Shipshape <shipshape@example.com>"

[[alerts.route]]
channels = ["ops-webhook", "oncall-mail"]
`,
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await shipshape?.stop();
  receiver?.close();
});

describe('secrets', () => {
  test('no secret of a whole run shows in the log, a page or an API answer', async () => {
    const answers = [];
    const keep = async (response) => {
      answers.push(`${response.status} ${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${await response.text()}`);
      return response;
    };

    // A subscriber with a secret and a token in its URL, and a service on
    // the fake GitHub read with the token.
    const sub = await keep(await shipshape.api('/api/v1/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${receiver.address().port}/subs/${secrets.subscriptionPath}`, secret: secrets.subscription }),
    }));
    assert.equal(sub.status, 201);
    const registered = await keep(await shipshape.api('/api/v1/services', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'payments-api', team: 'payments', repository: 'github:demo-org/payments-api' }),
    }));
    assert.equal(registered.status, 201);

    // A service goes down: the alert goes to the failing webhook and the
    // unreachable mail server, and the subscriber gets the events.
    await fetch(`http://127.0.0.1:${shipshape.demoPorts[7104]}/_demo/down`, { method: 'POST' });
    const deadline = Date.now() + 60_000;
    const log = () => shipshape.log.join('');
    while (!(received.some((r) => r.url.startsWith('/hooks/')) && received.some((r) => r.url.startsWith('/subs/')) && /oncall-mail/.test(log()))) {
      if (Date.now() > deadline) throw new Error(`no delivery was tried: ${JSON.stringify(received.map((r) => r.url))}\n${log()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const hook = received.find((r) => r.url.startsWith('/hooks/'));
    assert.match(hook.headers['x-shipshape-signature-256'], /^sha256=[0-9a-f]{64}$/, 'the signing secret was used');

    // Pages, as the admin sees them.
    const pages = [];
    await withPage(browser, shipshape.as('admin'), async (page) => {
      for (const path of ['/', '/alerts', '/admin', '/services/checkout-api', '/services/payments-api', '/upgrades', '/dependencies', '/status']) {
        await page.goto(`${shipshape.baseUrl}${path}`);
        await waitForHydration(page);
        pages.push(await page.content());
      }
    });
    for (const path of ['/api/v1/alerts', '/api/v1/subscriptions', '/api/v1/services', '/api/v1/services/checkout-api', '/api/v1/services/payments-api/drift',
      '/api/v1/health', '/api/v1/events?limit=500', '/api/v1/tokens', '/api/v1/audit', '/api/v1/accounts', '/metrics']) {
      const response = await keep(await shipshape.api(path));
      assert.equal(response.status, 200, path);
    }
    await keep(await fetch(`${shipshape.baseUrl}/api/v1/services`, { headers: { authorization: 'Bearer shipshape_not-a-token' } }));

    const everything = [log(), ...pages, ...answers].join('\n');
    const used = {
      ...secrets,
      adminPassword: shipshape.accounts.admin.password,
      operatorPassword: shipshape.accounts.operator.password,
      viewerPassword: shipshape.accounts.viewer.password,
      apiToken: shipshape.apiToken,
    };
    for (const [name, value] of Object.entries(used)) {
      assert.ok(!everything.includes(value), `the ${name} leaked`);
    }
    // And the run did what it should: failures were logged, by channel name.
    assert.match(log(), /ops-webhook/);
  });
});
