// The operator console in Debian's chromium (headless, driven by playwright-core) against a
// seeded `fleetgate serve`: sign-in, every page with real data and no console error, a car
// registered, rehomed, given a token and a certificate from its own request, then both revoked,
// a car's plots and track, revenue imported (line-numbered refusals first) and a period closed,
// a transfer approved by two people in two browser contexts, an eu-only operator who sees no cn
// car anywhere, writes refused without the CSRF header, sign-out, session expiry, and axe-core on
// every page (no serious or critical violation).
//   node console.test.mjs FLEETGATE_BINARY
// With FLEETGATE_CONSOLE_SCREENSHOTS=DIR it also saves a screenshot of each page there
// (tools/console-screenshots.sh, for the README).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const NEW_VIN = 'XP7YGCEK7PB021447';  // Gruenheide-built, registered in the console by the test
const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

// The month before this one, "YYYY-MM": ended, so it may be closed.
function lastMonth() {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

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
FR = "eu"

[[providers]]
id = "onboard"
kind = "onboard"
location = "vehicle"
models = ["fleetgate-onboard"]
`);
  // The ledger (and its routes) runs when its terms sit beside the config.
  copyFileSync(join(REPO, 'config/ledger.toml'), join(dir, 'ledger.toml'));
  return file;
}

const tokens = {};
let euCar;  // the eu car's vehicle token
let base;  // http://127.0.0.1:PORT
let transferId;
let browser;
let work;
let fg;  // the fleetgate CLI with the test's config (through the running service once it serves)

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
  work = scratch('fleetgate-console-');
  const file = config(work, 3600);
  fg = (...args) => fleetgateCli(fleetgate, file, ...args);
  fg('fleet', 'register', CN_VIN, '--market', 'CN', '--label', 'shanghai test car');
  fg('fleet', 'register', EU_VIN, '--market', 'DE', '--label', 'berlin test car');
  fg('fleet', 'register', US_VIN, '--market', 'US');
  const users = {
    ops: ['operator', '*'], eve: ['operator', 'eu'], olga: ['operator', 'cn'], abe: ['approver', 'cn'],
    dora: ['dpo', 'cn'], aud: ['auditor', '*'], root: ['admin', '*'],
  };
  for (const [name, [role, region]] of Object.entries(users)) {
    fg('user', 'add', name, '--role', role, '--region', region);
    tokens[name] = fg('user', 'token', name);
  }
  euCar = fg('fleet', 'token', EU_VIN);
  base = (await startServe(fleetgate, file)).replace(/\/v1$/, '');
  const now = Date.now();
  // Three fixes across Berlin, a cell apart, with the charge falling.
  const frames = [0, 1, 2].map((i) => ({
    vin: EU_VIN, created_at: now - 3000 + i * 1000, seq: i + 1,
    data: [{ field: 'speed', value: 40 + i }, { field: 'gear', value: 'D' },
      { field: 'location', value: { lat: 52.5 + 0.02 * i, lon: 13.4 + 0.03 * i } }, { field: 'state_of_charge', value: 80 - i }],
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
    // Plots of the fields the user ticks, and the coarsened track on the offline map.
    await page.getByTestId('chart-speed').waitFor();
    assert.match(await page.getByTestId('chart-speed').textContent(), shots ? /speed: \d+ values/ : /speed: 3 values from 40 to 42/);
    await page.getByTestId('chart-state_of_charge').waitFor();
    await page.getByRole('checkbox', { name: 'state_of_charge' }).uncheck();
    await page.getByTestId('chart-state_of_charge').waitFor({ state: 'detached' });
    await page.getByRole('checkbox', { name: 'state_of_charge' }).check();
    await page.getByLabel('Window').selectOption({ label: 'Last hour' });
    await page.getByTestId('chart-state_of_charge').waitFor();
    assert.match(await page.getByTestId('chart-state_of_charge').textContent(), /3 values from 78 to 80/);
    await page.getByTestId('track').waitFor();
    assert.match(await page.getByTestId('track').textContent(), new RegExp(`Track of ${EU_VIN}: 3 cells`));
    assert.ok((await page.locator('[data-testid=track] path.land').count()) > 100, 'the countries are drawn');
    assert.ok(await page.locator('[data-testid=track] path.route').getAttribute('d'));
    await screenshot(page, 'car');

    await open(page, '#/transfers');
    await page.getByTestId('transfers').waitFor();
    assert.match(await page.getByTestId('transfers').textContent(), new RegExp(transferId));
    await screenshot(page, 'transfers');

    await open(page, '#/learning');
    await page.getByTestId('no-datasets').waitFor();  // console_test lists stored ones
    await page.getByTestId('no-models').waitFor();  // none until the region trains one (next test)
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the live overview moves while `fleetgate sim run` streams', async () => {
    const { context, page, errors } = await signedIn('ops');
    await page.getByTestId('records-cn').waitFor();
    const before = Number((await page.getByTestId('records-cn').textContent()).replace(/\D/g, ''));
    const simTokens = join(work, 'sim-cn.tokens');
    fg('sim', 'fleet', '--vehicles', '2', '--region', 'cn', '--first-serial', '700001', '--tokens', simTokens);
    const sim = spawn(fleetgate, ['sim', 'run', '--tokens', simTokens, '--url', `${base.replace(/^http/, 'ws')}/v1/telemetry/ws`,
      '--rate', '20', '--duration', '6'], { stdio: 'ignore' });
    const ended = new Promise((resolve) => sim.on('exit', resolve));
    // No reload: the page's event stream brings the connected cars and their records.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=cars-cn]')?.textContent) >= 1, null,
      { timeout: 15_000 });
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid=records-cn]')?.textContent.replace(/\D/g, '')) > n, before,
      { timeout: 15_000 });
    assert.equal(await ended, 0, 'sim run exits 0');
    await page.waitForFunction(() => document.querySelector('[data-testid=cars-cn]')?.textContent === '0', null,
      { timeout: 15_000 });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the learning page shows each region\'s datasets, training runs and their evaluation', async () => {
    // Four eu cars drive 90 s each, braking hard three times; the region curates and trains on it.
    const drivers = ['XP7YGCEK8RB112908', 'WVWZZZE19PW004512', 'WVGZZZE27RW013877', 'LRW3E7EA8RC402236'];
    const start = Date.now() - 120_000;
    for (const [n, vin] of drivers.entries()) {
      await call(tokens.ops, 'POST', '/v1/vehicles', { vin, market: n === 3 ? 'FR' : 'DE' });
      const { token } = await call(tokens.ops, 'POST', `/v1/vehicles/${vin}/token`);
      let speed = 50;
      const frames = Array.from({ length: 90 }, (_, i) => {
        speed = (i + n) % 30 === 20 ? 15 : Math.min(60, speed + 4);  // a brake of ~10 m/s², then away
        return {
          vin, created_at: start + i * 1000, seq: i + 1,
          data: [{ field: 'speed', value: speed }, { field: 'location', value: { lat: 48.1 + n * 0.01, lon: 11.5 + i * 0.0003 } }],
        };
      });
      await call(token, 'POST', '/v1/telemetry', frames);
    }
    fg('train', 'curate', '--region', 'eu', '--seed', '5');
    fg('train', 'local', '--region', 'eu', '--epochs', '5');

    const { context, page, errors } = await signedIn('eve');
    await open(page, '#/learning');
    await page.getByTestId('datasets').waitFor();
    assert.match(await page.getByTestId('datasets').textContent(), /eu.*hard_brake/);
    await page.getByTestId('models').waitFor();
    const runs = await page.locator('[data-testid=models] tbody tr').allTextContents();
    assert.equal(runs.length, 1, runs.join('\n'));
    assert.match(runs[0], /^eulocal \(local\)v\d+local, 5 epochs, 32 hidden units/);
    const evaluation = await page.locator('[data-testid=evaluation] tbody tr').allTextContents();
    assert.equal(evaluation.length, 1);
    assert.match(evaluation[0], /^eu(\d\.\d{3}|n\/a) \(\d\.\d{3}\)——$/, 'local scored; no federated model yet');
    await screenshot(page, 'learning');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('an operator registers, rehomes, keys and certifies a car, then revokes its credentials', async () => {
    const { context, page, errors } = await signedIn('eve');
    await open(page, '#/fleet');
    await page.locator('input[name=new-vin]').fill(NEW_VIN);
    await page.locator('input[name=new-market]').fill('de');
    await page.locator('input[name=new-label]').fill('registered in the console');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByTestId('car').filter({ hasText: 'registered in the console' }).waitFor();
    assert.match(await page.getByTestId('car').textContent(), /eu.*DE/);

    await page.getByLabel('New market').fill('FR');
    await page.getByLabel('Reason (audited)').fill('sold to a French fleet');
    await page.getByRole('button', { name: 'Rehome', exact: true }).click();
    assert.equal(await page.getByTestId('rehomed').textContent(), 'Rehomed from DE (eu) to FR (eu).');
    await page.getByTestId('car').filter({ hasText: 'FR' }).waitFor();
    await page.getByLabel('New market').fill('CN');
    await page.getByRole('button', { name: 'Rehome', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: "region 'cn'" }).waitFor();  // outside eve's grant

    await page.getByRole('button', { name: 'Mint a new token' }).click();
    const token = await page.getByTestId('vehicle-token').textContent();
    assert.match(token, /^fgv_eu_/);
    const asCar = async () => (await fetch(`${base}/v1/vehicles/${NEW_VIN}`, { headers: { authorization: `Bearer ${token}` } })).status;
    assert.equal(await asCar(), 200, 'the minted token is the car');
    await page.getByRole('button', { name: 'Revoke the token' }).click();
    await page.getByTestId('token-revoked').waitFor();
    assert.equal(await asCar(), 401, 'a revoked token is nobody');

    // The car makes its key and request; only the request reaches the console.
    const csr = join(work, 'car.csr');
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(work, 'car.key'), '-subj', `/CN=${NEW_VIN}`, '-out', csr], { stdio: 'ignore' });
    await page.getByLabel('Request file').setInputFiles(csr);
    await page.waitForFunction(() => document.querySelector('textarea[name=csr]')?.value.includes('BEGIN CERTIFICATE REQUEST'));
    await page.getByRole('button', { name: 'Sign the request' }).click();
    const serial = await page.getByTestId('certificate-serial').textContent();
    assert.match(serial, /^[0-9A-F]+$/);
    assert.match(await page.getByTestId('certificate').textContent(), new RegExp(`CN=${NEW_VIN}`));
    const certificate = await page.locator('[data-testid=certificate] textarea').inputValue();
    writeFileSync(join(work, 'car.crt'), certificate);
    const modulus = (args) => execFileSync('openssl', args).toString();
    assert.equal(modulus(['x509', '-in', join(work, 'car.crt'), '-noout', '-pubkey']),
      modulus(['pkey', '-in', join(work, 'car.key'), '-pubout']), 'the certificate is for the car\'s own key');
    await page.getByLabel('Serial').fill(serial);
    await page.getByRole('button', { name: 'Revoke the certificate' }).click();
    assert.equal(await page.getByTestId('certificate-revoked').textContent(), `Certificate ${serial} revoked: it is refused from now on.`);

    const trail = await call(tokens.aud, 'GET', '/v1/audit?from_seq=1&limit=1000');
    const mine = trail.entries.filter((e) => e.subject === NEW_VIN).map((e) => `${e.actor} ${e.action}`);
    assert.deepEqual(mine, ['user:eve vehicle.register', 'user:eve vehicle.rehome', 'user:eve vehicle.token.issue',
      'user:eve vehicle.token.revoke', 'user:eve vehicle.cert.issue', 'user:eve vehicle.cert.revoke']);
    // The one refusal above (403 for a cn market) is the browser's only complaint.
    assert.ok(errors.every((e) => /403/.test(e)), errors.join('\n'));
    await context.close();
  });

  test('an admin imports revenue, sees bad rows by line, settles and closes a period', async () => {
    const { context, page, errors } = await signedIn('root');
    const month = lastMonth();
    const header = 'id,time,type,feature,market,currency,amount\n';
    const bad = join(work, 'revenue-bad.csv');
    writeFileSync(bad, `${header}s-1,${month}-03T10:00:00Z,subscription,fsd,US,USD,99.00\ns-2,${month}-04T10:00:00Z,subscription,fsd,US,USD,-5\ns-3,${month}-05T10:00:00Z,gift,fsd,US,USD,1.00\n`);
    await open(page, '#/ledger');
    await page.getByLabel('Revenue file').setInputFiles(bad);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByTestId('bad-rows').waitFor();
    const rows = await page.locator('[data-testid=bad-rows] tbody tr').allTextContents();
    assert.equal(rows.length, 2, rows.join('\n'));
    assert.match(rows[0], /^line 3.*amount/);
    assert.match(rows[1], /^line 4.*gift/);
    assert.match(await page.getByRole('alert').first().textContent(), /Nothing imported: 2 bad row/);

    const good = join(work, 'revenue.csv');
    writeFileSync(good, `${header}s-1,${month}-03T10:00:00Z,subscription,fsd,US,USD,99.00\n`);
    await page.getByLabel('Revenue file').setInputFiles(good);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    assert.equal(await page.getByTestId('imported').textContent(), 'Imported: 1 new, 0 unchanged, 0 adjusting closed periods.');

    await page.getByRole('button', { name: 'Settle', exact: true }).click();
    await page.getByTestId('settlement').waitFor();
    assert.match(await page.getByTestId('settlement-status').textContent(), new RegExp(`${month} settled; still open`));
    assert.match(await page.getByTestId('settlement').textContent(), /xAI \(xai\).*USD/);
    await screenshot(page, 'ledger');
    assert.ok(await page.getByRole('button', { name: 'Close the period' }).isDisabled(), 'closing needs the confirmation');
    await page.getByLabel('Closing makes the period immutable').check();
    await page.getByRole('button', { name: 'Close the period' }).click();
    await page.getByTestId('settlement-status').filter({ hasText: 'is closed' }).waitFor();
    const closed = await call(tokens.aud, 'POST', '/v1/ledger/settle', { period: month });
    assert.equal(closed.status, 'closed');
    assert.deepEqual(errors.filter((e) => !/400/.test(e)), [], 'only the refused import complains');
    await context.close();
  });

  test('auditors browse and verify the audit chain', async () => {
    const { context, page, errors } = await signedIn('aud');
    await open(page, '#/audit');
    await page.getByTestId('audit').waitFor();
    assert.match(await page.getByTestId('audit').textContent(), /user\.add/);
    assert.match(await page.getByTestId('audit').textContent(), /console\.session\.start/);
    // Each entry shows its links: newest first, so a row's previous hash is the next row's own.
    const links = await page.getByTestId('hash-links').evaluateAll((spans) =>
      spans.map((s) => [...s.querySelectorAll('code')].map((c) => c.title)));
    assert.ok(links.length >= 3);
    for (let i = 0; i + 1 < links.length; ++i) assert.equal(links[i][0], links[i + 1][1], `row ${i}'s link`);
    assert.match(links[0][1], /^[0-9a-f]{64}$/);
    await page.getByRole('button', { name: /verify/i }).click();
    await page.getByTestId('verification').waitFor();
    assert.match(await page.getByTestId('verification').textContent(), /^Intact/);
    await screenshot(page, 'audit');
    // Filtered by the server: only user.* actions, oldest first; "Show all" goes back.
    await page.locator('input[name=filter-action]').fill('user.');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText(/matching entries among/).waitFor();
    const actions = await page.getByTestId('audit').locator('tbody tr td:nth-child(4)').allTextContents();
    assert.ok(actions.length >= 2, `user actions: ${actions}`);
    for (const a of actions) assert.match(a, /^user\./);
    await page.getByRole('button', { name: 'Show all' }).click();
    await page.getByText(/^Entries \d+–\d+ of \d+$/).waitFor();
    assert.match(await page.getByTestId('audit').textContent(), /console\.session\.start/);
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

    // The requester exports it: the server writes the signed bundle, verifies it, and says where.
    const olga = await signedIn('olga');
    await open(olga.page, '#/transfers');
    await row(olga).getByRole('button', { name: 'Export' }).click();
    await row(olga).getByTestId('exported').waitFor();
    assert.match(await row(olga).getByTestId('exported').textContent(), /^Exported, signed and verified: \d+ records of \d+ vehicles in .*exports/);
    await row(olga).locator('.state-exported').waitFor();
    assert.deepEqual(olga.errors, []);
    await olga.context.close();
  });

  test('an operator requests a transfer; a refused request shows why', async () => {
    const { context, page, errors } = await signedIn('olga');
    await open(page, '#/transfers');
    await page.getByTestId('transfers').waitFor();
    const before = await page.locator('[data-transfer]').count();
    await page.getByText('Request a transfer').click();
    await page.locator('input[name=request-dest_region]').fill('cn');  // the source region itself
    await page.locator('input[name=request-purpose]').fill('brake tuning');
    await page.locator('input[name=request-legal_basis]').fill('standard contract');
    await page.locator('input[name=request-assessment_ref]').fill('SA-9');
    await page.getByRole('button', { name: 'Request', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'source and destination are the same region' }).waitFor();
    await page.locator('input[name=request-dest_region]').fill('eu');
    await page.getByRole('button', { name: 'Request', exact: true }).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-transfer]').length === n + 1, before);
    const all = await call(tokens.olga, 'GET', '/v1/transfers');
    const made = all.transfers.find((tr) => tr.request.purpose === 'brake tuning');
    assert.ok(made, 'the request is stored');
    assert.equal(made.state, 'requested');
    assert.equal(made.requester, 'olga');
    assert.deepEqual(made.request.fields, ['speed']);
    assert.deepEqual(errors.filter((e) => !/400/.test(e)), [], 'only the refused request complains');
    await context.close();
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
    for (const [user, pages] of [['ops', [['#/overview', '[data-region]'], ['#/fleet', '[data-testid=vehicles]'],
      [`#/fleet/${EU_VIN}`, '[data-testid=track]'], ['#/transfers', '[data-testid=transfers]'],
      ['#/learning', '[data-testid=evaluation]']]], ['root', [['#/ledger', 'input[name=revenue-file]'], ['#/audit', '[data-testid=audit]']]]]) {
      const { context, page, errors } = await signedIn(user, { viewport: { width: 768, height: 1024 } });
      for (const [hash, ready] of pages) {
        await open(page, hash);
        await page.locator(ready).first().waitFor();
        const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
        assert.ok(scroll <= width, `${hash}: ${scroll}px wide in a ${width}px window`);
        if (hash === '#/transfers') await screenshot(page, 'tablet-transfers');
      }
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test('axe-core finds no serious or critical violation', async () => {
    for (const [user, hash, ready] of [[null, '', 'form'], ['ops', '#/overview', '[data-region]'],
      ['ops', '#/fleet', '[data-testid=vehicles]'], ['ops', `#/fleet/${EU_VIN}`, '[data-testid=track]'],
      ['dora', '#/transfers', '[data-testid=transfers]'], ['aud', '#/audit', '[data-testid=audit]'],
      ['aud', '#/ledger', 'form'], ['root', '#/ledger', 'input[name=revenue-file]'],
      ['ops', '#/learning', '[data-testid=evaluation]']]) {
      assert.deepEqual(await axeViolations(user, hash, ready), [], `${user ?? 'signed out'} ${hash}`);
    }
  });
});
