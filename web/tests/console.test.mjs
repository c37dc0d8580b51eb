// The operator console in Debian's chromium (headless, driven by playwright-core) against a
// seeded `fleetgate serve`: sign-in, every page with real data and no console error, a transfer
// approved by two people in two browser contexts, an eu-only operator who sees no cn car
// anywhere, writes refused without the CSRF header, sign-out, session expiry, and axe-core on
// every page (no serious or critical violation).
//   node console.test.mjs FLEETGATE_BINARY
// With FLEETGATE_CONSOLE_SCREENSHOTS=DIR it also saves a screenshot of each page there
// (tools/console-screenshots.sh, for the README).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { fleetgateCli, scratch, startServe, stopAll } from '../../tests/js_support/processes.mjs';

const CHROMIUM = process.env.FLEETGATE_CHROMIUM ?? '/usr/bin/chromium';
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.error('console browser test: playwright-core is missing; run ./dev setup (npm ci in web/)');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`console browser test: no browser at ${CHROMIUM}; run ./dev setup (it installs Debian's chromium)`);
  process.exit(1);
}
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const [fleetgate] = process.argv.slice(2);
if (!fleetgate) {
  console.error('usage: node console.test.mjs FLEETGATE_BINARY');
  process.exit(2);
}
const shots = process.env.FLEETGATE_CONSOLE_SCREENSHOTS;

const CN_VIN = 'LRW3E7FA0SC518230';  // sold in China: home region cn
const EU_VIN = 'LRW3E7EA8PC390117';  // Shanghai-built, sold in Germany: home region eu
const US_VIN = '5YJ3E1EA1PF412087';

function config(dir, sessionSeconds) {
  const file = join(dir, 'fleetgate.toml');
  writeFileSync(file, `
[server]
listen = "127.0.0.1"
data_dir = "${join(dir, 'data')}"

[console]
session_seconds = ${sessionSeconds}

[[regions]]
id = "cn"
name = "China"
chain = ["onboard"]

[[regions]]
id = "us"
name = "United States"
chain = ["onboard"]

[[regions]]
id = "eu"
name = "European Union"
chain = ["onboard"]

[markets]
CN = "cn"
US = "us"
DE = "eu"

[[providers]]
id = "onboard"
kind = "onboard"
location = "vehicle"
models = ["fleetgate-onboard"]
`);
  return file;
}

const tokens = {};
let euCar;  // the eu car's vehicle token
let base;  // http://127.0.0.1:PORT
let transferId;
let browser;

async function call(token, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

before(async () => {
  const work = scratch('fleetgate-console-');
  const file = config(work, 3600);
  const fg = (...args) => fleetgateCli(fleetgate, file, ...args);
  fg('fleet', 'register', CN_VIN, '--market', 'CN', '--label', 'shanghai test car');
  fg('fleet', 'register', EU_VIN, '--market', 'DE', '--label', 'berlin test car');
  fg('fleet', 'register', US_VIN, '--market', 'US');
  const users = {
    ops: ['operator', '*'], eve: ['operator', 'eu'], olga: ['operator', 'cn'], abe: ['approver', 'cn'],
    dora: ['dpo', 'cn'], aud: ['auditor', '*'],
  };
  for (const [name, [role, region]] of Object.entries(users)) {
    fg('user', 'add', name, '--role', role, '--region', region);
    tokens[name] = fg('user', 'token', name);
  }
  euCar = fg('fleet', 'token', EU_VIN);
  base = (await startServe(fleetgate, file)).replace(/\/v1$/, '');
  const now = Date.now();
  const frames = [0, 1, 2].map((i) => ({
    vin: EU_VIN, created_at: now - 3000 + i * 1000, seq: i + 1,
    data: [{ field: 'speed', value: 40 + i }, { field: 'gear', value: 'D' }],
  }));
  await call(euCar, 'POST', '/v1/telemetry', frames);
  ({ id: transferId } = await call(tokens.olga, 'POST', '/v1/transfers', {
    source_region: 'cn', dest_region: 'eu', data_class: 'desensitised', fields: ['speed'],
    purpose: 'lane-keeping evaluation', legal_basis: 'standard contract', assessment_ref: 'SA-1',
    expires_at_ms: now + 86_400_000,
  }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
});

after(async () => {
  await browser?.close();
  await stopAll();
});

// For the screenshots: the eu car reports a growing batch of frames once a second.
async function feedTelemetry(seconds) {
  let seq = 1000;
  for (let s = 1; s <= seconds; ++s) {
    const frames = Array.from({ length: 10 * s }, () => ({
      vin: EU_VIN, created_at: Date.now(), seq: ++seq, data: [{ field: 'speed', value: 50 }],
    }));
    await call(euCar, 'POST', '/v1/telemetry', frames);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// A signed-in page of its own browser context, recording console errors and page errors.
async function signedIn(user, { serverBase = base, language = 'en', viewport = { width: 1280, height: 860 } } = {}) {
  const context = await browser.newContext({ viewport, locale: language });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${serverBase}/console`);
  await page.getByLabel(/user token/i).fill(tokens[user]);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.getByTestId('user').waitFor();
  return { context, page, errors };
}

async function open(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

async function screenshot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

// axe-core's serious and critical violations on one page (`hash`, shown once `ready` is there;
// no user: the sign-in page), in a context that lets its script in (the console's policy
// forbids injected scripts).
async function axeViolations(user, hash, ready) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${base}/console`);
  await page.getByLabel(/user token/i).waitFor();
  if (user) {
    await page.getByLabel(/user token/i).fill(tokens[user]);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByTestId('user').waitFor();
    await open(page, hash);
    await page.locator(ready).first().waitFor();
  }
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => (await globalThis.axe.run()).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`));
  await context.close();
  return result;
}

describe('console', () => {
  test('every page renders real data with no console error', async () => {
    const { context, page, errors } = await signedIn('ops');
    for (const region of ['cn', 'us', 'eu']) await page.getByTestId(`records-${region}`).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=records-eu]')?.textContent === '3');
    assert.equal(await page.getByTestId('pending-cn').textContent(), '1');
    if (shots) await feedTelemetry(10);  // a few seconds of the live series in the picture
    await screenshot(page, 'overview');

    await open(page, '#/fleet');
    await page.getByTestId('vehicles').waitFor();
    for (const vin of [CN_VIN, EU_VIN, US_VIN]) assert.ok(await page.getByRole('link', { name: vin }).isVisible());
    await screenshot(page, 'fleet');
    await page.getByRole('link', { name: EU_VIN }).click();
    await page.getByTestId('car').waitFor();
    assert.match(await page.getByTestId('car').textContent(), /berlin test car/);
    assert.match(await page.getByTestId('decoded').textContent(), /Shanghai/);
    await page.getByTestId('latest').waitFor();
    assert.match(await page.getByTestId('latest').textContent(), shots ? /speed50/ : /speed42gearD/);
    await screenshot(page, 'car');

    await open(page, '#/transfers');
    await page.getByTestId('transfers').waitFor();
    assert.match(await page.getByTestId('transfers').textContent(), new RegExp(transferId));
    await screenshot(page, 'transfers');

    await open(page, '#/learning');
    await page.getByTestId('no-datasets').waitFor();  // console_test lists stored ones
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('auditors browse and verify the audit chain', async () => {
    const { context, page, errors } = await signedIn('aud');
    await open(page, '#/audit');
    await page.getByTestId('audit').waitFor();
    assert.match(await page.getByTestId('audit').textContent(), /user\.add/);
    assert.match(await page.getByTestId('audit').textContent(), /console\.session\.start/);
    await page.getByRole('button', { name: /verify/i }).click();
    await page.getByTestId('verification').waitFor();
    assert.match(await page.getByTestId('verification').textContent(), /^Intact/);
    await screenshot(page, 'audit');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('two different people approve a transfer in two browsers', async () => {
    const abe = await signedIn('abe');
    const dora = await signedIn('dora');
    const row = (p) => p.page.locator(`[data-transfer="${transferId}"]`);
    await open(abe.page, '#/transfers');
    await row(abe).getByRole('button', { name: 'Approve' }).click();
    await row(abe).getByTestId('approvals').filter({ hasText: 'abe (approver' }).waitFor();
    assert.match(await row(abe).getByTestId('missing').textContent(), /a dpo/);

    await open(dora.page, '#/transfers');
    await row(dora).getByTestId('approvals').filter({ hasText: 'abe (approver' }).waitFor();
    await row(dora).getByRole('button', { name: 'Approve' }).click();
    await row(dora).locator('.state-approved').waitFor();
    assert.match(await row(dora).getByTestId('approvals').textContent(), /abe \(approver.*dora \(dpo/);
    assert.equal(await row(dora).getByTestId('missing').textContent(), '');
    assert.deepEqual([...abe.errors, ...dora.errors], []);
    await abe.context.close();
    await dora.context.close();
  });

  test('an eu-only operator sees no cn car anywhere', async () => {
    const { context, page, errors } = await signedIn('eve');
    await page.getByTestId('records-eu').waitFor();
    assert.equal(await page.locator('[data-region]').count(), 1);
    assert.equal(await page.getByTestId('records-cn').count(), 0);
    await open(page, '#/fleet');
    await page.getByTestId('vehicles').waitFor();
    assert.ok(await page.getByRole('link', { name: EU_VIN }).isVisible());
    assert.equal(await page.locator('tr[data-region="cn"]').count(), 0);
    assert.doesNotMatch(await page.locator('body').textContent(), new RegExp(CN_VIN));
    await open(page, `#/fleet/${CN_VIN}`);
    await page.getByRole('alert').waitFor();
    assert.doesNotMatch(await page.getByRole('alert').textContent(), /shanghai/);
    await open(page, '#/transfers');  // the cn -> eu transfer is eve's to see: it names no car
    await page.getByTestId('transfers').waitFor();
    assert.doesNotMatch(await page.locator('body').textContent(), new RegExp(CN_VIN));
    // The one refusal above (404 for the cn car) is the browser's only complaint.
    assert.ok(errors.every((e) => /404/.test(e)), errors.join('\n'));
    await context.close();
  });

  test('writes without the CSRF header are refused; sign-out ends the session', async () => {
    const { context, page } = await signedIn('dora');
    const status = await page.evaluate(async (id) => (await fetch(`/v1/transfers/${id}/reject`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'forged' }),
    })).status, transferId);
    assert.equal(status, 403);
    await page.getByRole('button', { name: /sign out/i }).click();
    await page.getByLabel(/user token/i).waitFor();
    const after = await page.evaluate(async () => (await fetch('/v1/transfers')).status);
    assert.equal(after, 401);
    await page.reload();
    await page.getByLabel(/user token/i).waitFor();
    await context.close();
  });

  test('an expired session goes back to sign-in', async () => {
    const work = scratch('fleetgate-console-expiry-');
    const file = config(work, 2);
    fleetgateCli(fleetgate, file, 'user', 'add', 'ops', '--role', 'operator', '--region', '*');
    const token = fleetgateCli(fleetgate, file, 'user', 'token', 'ops');
    const shortBase = (await startServe(fleetgate, file)).replace(/\/v1$/, '');
    const saved = tokens.ops;
    tokens.ops = token;
    const { context, page } = await signedIn('ops', { serverBase: shortBase });
    tokens.ops = saved;
    // The overview's stream ends with the session, and the page returns to sign-in.
    await page.getByLabel(/user token/i).waitFor({ timeout: 30_000 });
    await context.close();
  });

  test('the text comes in Chinese and German too', async () => {
    for (const [language, overview, fleet] of [['zh', '概览', '车队'], ['de', 'Übersicht', 'Flotte']]) {
      const { context, page, errors } = await signedIn('ops');
      await page.getByLabel('Language').selectOption(language);
      await page.getByRole('link', { name: overview }).waitFor();
      assert.ok(await page.getByRole('link', { name: fleet }).isVisible());
      assert.equal(await page.evaluate(() => document.documentElement.lang), language === 'zh' ? 'zh-CN' : 'de');
      await screenshot(page, `overview-${language}`);
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test('pages fit a tablet held upright: nothing scrolls the page sideways', async () => {
    const { context, page, errors } = await signedIn('ops', { viewport: { width: 768, height: 1024 } });
    for (const [hash, ready] of [['#/overview', '[data-region]'], ['#/fleet', '[data-testid=vehicles]'],
      ['#/transfers', '[data-testid=transfers]']]) {
      await open(page, hash);
      await page.locator(ready).first().waitFor();
      const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
      assert.ok(scroll <= width, `${hash}: ${scroll}px wide in a ${width}px window`);
    }
    await screenshot(page, 'tablet-transfers');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('axe-core finds no serious or critical violation', async () => {
    for (const [user, hash, ready] of [[null, '', 'form'], ['ops', '#/overview', '[data-region]'],
      ['ops', '#/fleet', '[data-testid=vehicles]'], ['ops', `#/fleet/${EU_VIN}`, '[data-testid=latest]'],
      ['dora', '#/transfers', '[data-testid=transfers]'], ['aud', '#/audit', '[data-testid=audit]'],
      ['aud', '#/ledger', 'form'], ['ops', '#/learning', '[data-testid=no-datasets]']]) {
      assert.deepEqual(await axeViolations(user, hash, ready), [], `${user ?? 'signed out'} ${hash}`);
    }
  });
});
