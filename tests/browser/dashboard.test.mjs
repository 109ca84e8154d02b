// The dashboard in a real browser (Debian's chromium driven by
// playwright-core) against a real controller, agent and database started by
// tests/e2e/dashboard.sh, which passes what it set up in the environment:
//
//   DASH_URL              https://127.0.0.1:PORT of the controller's gateway
//   DASH_ADMIN_TOKEN, DASH_OPERATOR_TOKEN, DASH_VIEWER_TOKEN
//   DASH_DATABASE         a SQLite database with one good backup already
//   DASH_STALE_DATABASE   a database whose schedule runs but never succeeds
//   DASH_RESTORE_TARGET   a file path (on the agent host) to restore into
//   DASH_SCREENSHOTS      where the screenshots go
//   DASH_STALE_TIMEOUT_S  how long to wait for the stale database (default 300)
//
// Every page is screenshotted; the page must never hit the gateway's
// Content-Security-Policy nor throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function env(name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} must be set (tests/e2e/dashboard.sh sets it)`);
  return v;
}

const BASE = env('DASH_URL');
const TOKENS = {
  admin: env('DASH_ADMIN_TOKEN'),
  operator: env('DASH_OPERATOR_TOKEN'),
  viewer: env('DASH_VIEWER_TOKEN'),
};
const DB = env('DASH_DATABASE');
const STALE_DB = env('DASH_STALE_DATABASE');
const RESTORE_TARGET = env('DASH_RESTORE_TARGET');
const PG_DB = env('DASH_PG_DATABASE');
const PG_TARGET = env('DASH_PG_TARGET');
const ENC_DB = env('DASH_ENC_DATABASE');
const ENC_IDENTITY_REF = env('DASH_ENC_IDENTITY_REF');
const ENC_TARGET = env('DASH_ENC_TARGET');
const COPY_STORAGE = env('DASH_COPY_STORAGE');
const LATER_STORAGE = env('DASH_LATER_STORAGE');
const SHOTS = env('DASH_SCREENSHOTS');
const STALE_TIMEOUT_MS = Number(env('DASH_STALE_TIMEOUT_S', '300')) * 1000;
const JOB_TIMEOUT_MS = 180_000;

mkdirSync(SHOTS, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'dbdump-chromium-'));
const problems = []; // console errors, CSP violations, uncaught exceptions

let context;
let page;
let backupId = '';

// Notices of earlier steps would cover the page's top right corner.
async function dismissNotices() {
  // All at once: they also go by themselves, so none is waited for.
  await page.evaluate(() => document.querySelectorAll('.notice-close').forEach((b) => b.click()));
}

async function shot(name, { fullPage = true } = {}) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

// A page of the dashboard, once its view has rendered.
// Going to the URL the page is already at would change nothing (no
// hashchange): that one is reloaded.
async function open(hash) {
  const url = `${BASE}/${hash}`;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await settled();
}

// The view of the current URL has rendered (not the previous page's, which
// may still be there right after a click changed the URL).
async function settled() {
  await page.waitForFunction(() => {
    const p = document.querySelector('.page[data-page]');
    return p && !p.hasAttribute('aria-busy') && p.dataset.route === location.hash;
  }, null, { timeout: 30_000 });
}

async function signIn(who) {
  await page.goto(`${BASE}/#/signin`);
  await page.fill('#token', TOKENS[who]);
  await page.click('form.signin-form button[type=submit]');
  await page.waitForSelector('nav.nav', { timeout: 15_000 });
  await settled();
  const role = (await page.textContent('.role-chip')).trim();
  assert.equal(role, who, `signed in as ${who}, the header says ${role}`);
}

async function signOut() {
  await page.click('[data-test=signout]');
  await page.waitForSelector('#token');
}

const jobState = () => page.getAttribute('[data-test=job-page]', 'data-state');

// Waits on the job page until the job is terminal; returns the states and
// progress values seen (aria-valuenow, null while indeterminate).
async function watchJob({ inProgressShot } = {}) {
  await page.waitForSelector('[data-test=job-page]');
  const seen = [];
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  let shotTaken = false;
  for (;;) {
    const state = await jobState();
    const now = await page.getAttribute('[data-test=progress]', 'aria-valuenow');
    const value = now === null ? null : Number(now);
    const last = seen[seen.length - 1];
    if (!last || last.state !== state || last.value !== value) seen.push({ state, value, eta: await page.textContent('[data-test=eta]') });
    if (inProgressShot && !shotTaken && state === 'JOB_STATE_RUNNING' && value > 0 && value < 100) {
      await shot(inProgressShot);
      shotTaken = true;
    }
    if (['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_LOST'].includes(state)) break;
    if (Date.now() > deadline) throw new Error(`job did not end in time; seen ${JSON.stringify(seen)}`);
    await page.waitForTimeout(100);
  }
  return seen;
}

async function confirmDialog() {
  await page.click('dialog[open] [data-test=confirm]');
}

test('dashboard against a real controller', { timeout: 15 * 60_000 }, async (t) => {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
    // The gateway serves HTTPS with the controller's certificate from the
    // deployment's own CA, which this fresh profile does not trust; the
    // test is about the page, not the chain (dashboard.sh checks the chain
    // with curl --cacert).
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
  });
  page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => {
    const text = m.text();
    // A refused token is expected where the test tries one; the network
    // error itself says nothing about the page.
    if (m.type() === 'error' && !text.startsWith('Failed to load resource')) problems.push(`console: ${text}`);
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));

  try {
    await t.test('served with the strict CSP; a wrong token is refused with the gateway\'s message', async () => {
      const resp = await page.goto(`${BASE}/`);
      assert.equal(resp.status(), 200);
      const csp = resp.headers()['content-security-policy'] || '';
      assert.match(csp, /default-src 'self'/, `CSP header of /: ${csp}`);
      await page.waitForSelector('#token');
      await shot('01-signin');
      await page.fill('#token', 'not-a-token');
      await page.click('form.signin-form button[type=submit]');
      const err = page.locator('.signin-form .error-text');
      await err.waitFor({ state: 'visible' });
      assert.match(await err.textContent(), /refused/);
    });

    await t.test('the event-stream reader takes events split anywhere, CRLF, comments and errors', async () => {
      // api.js's own reader, in the page, fed by a stand-in fetch that cuts
      // a stream into awkward pieces (what proxies and TCP may do).
      const result = await page.evaluate(async () => {
        const api = await import('./api.js');
        const realFetch = window.fetch;
        const feed = (pieces) => {
          window.fetch = async () => new Response(new ReadableStream({
            start(c) {
              const enc = new TextEncoder();
              for (const p of pieces) c.enqueue(enc.encode(p));
              c.close();
            },
          }), { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
        };
        const out = {};
        try {
          const jobs = [];
          const stream = ': keep-alive\r\n\r\nevent: job\r\ndata: {"job":{"id":"j","state":"JOB_STATE_RUNNING",'
            + '"progress":{"bytes_in":"5"}}}\r\n\r\nevent: job\ndata: {"job":\ndata: {"id":"j","state":"JOB_STATE_SUCCEEDED"}}\n\n'
            + 'event: end\ndata: {}\n\n';
          // Cut after every character: CRLF split across reads included.
          feed(stream.split(''));
          const last = await api.followJob('j', (j) => jobs.push(j.state));
          out.states = jobs;
          out.last = last.state;
          feed(['event: error\ndata: {"code":5,"message":"job x not found","details":[]}\n\n']);
          try {
            await api.followJob('x', () => {});
          } catch (e) {
            out.error = `${e.code} ${e.message}`;
          }
          feed(['event: job\ndata: {"job":{"id":"j","state":"JOB_STATE_RUNNING"}}\n\n']);
          try {
            await api.followJob('j', () => {});
          } catch (e) {
            out.early = e.message;
          }
        } finally {
          window.fetch = realFetch;
        }
        return out;
      });
      assert.deepEqual(result, {
        states: ['JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED'],
        last: 'JOB_STATE_SUCCEEDED',
        error: '5 job x not found',
        early: 'the job stream ended early',
      });
    });

    await t.test('operator starts a backup and watches its progress bar reach 100 %', async () => {
      await signIn('operator');
      await open('#/databases');
      await shot('03-databases');
      const row = page.locator(`tr[data-database="${DB}"]`);
      await row.locator('[data-test=backup-now]').click();
      // gzip at level 9 makes the backup slow enough to watch.
      await page.selectOption('dialog[open] #dlg-compression', 'COMPRESSION_GZIP');
      await page.fill('dialog[open] #dlg-level', '9');
      await confirmDialog();
      await page.waitForURL(/#\/jobs\/job-/);
      const seen = await watchJob({ inProgressShot: '06-job-in-progress' });
      const states = seen.map((s) => s.state);
      assert.equal(states[states.length - 1], 'JOB_STATE_SUCCEEDED', `states seen: ${JSON.stringify(seen)}`);
      const partial = seen.filter((s) => s.state === 'JOB_STATE_RUNNING' && s.value > 0 && s.value < 100);
      assert.ok(partial.length >= 2, `the bar moved through running values: ${JSON.stringify(seen)}`);
      assert.ok(partial.some((s) => /\d/.test(s.eta)), `an ETA was shown while running: ${JSON.stringify(seen)}`);
      for (let i = 1; i < partial.length; i++) assert.ok(partial[i].value >= partial[i - 1].value, 'the bar never goes back');
      assert.equal(await page.getAttribute('[data-test=progress]', 'aria-valuenow'), '100');
      assert.equal((await page.textContent('[data-test=progress-pct]')).trim(), '100 %');
      await page.waitForTimeout(600); // the bar's last step is animated
      await shot('07-job-done');
      console.log(`# progress seen: ${seen.map((s) => `${s.state.replace('JOB_STATE_', '').toLowerCase()}:${s.value ?? '-'}`).join(' ')}`);
      // The finished job links its backup.
      await page.click('[data-test=job-page] a[href^="#/backups/"]');
      await settled();
      backupId = decodeURIComponent(page.url().split('#/backups/')[1]);
      assert.ok(backupId, 'backup id from the job page');
    });

    await t.test('operator sees verify and test restore but not restore; both work', async () => {
      await open(`#/backups/${encodeURIComponent(backupId)}`);
      assert.equal(await page.locator('[data-test=verify]').count(), 1);
      assert.equal(await page.locator('[data-test=test-restore]').count(), 1);
      assert.equal(await page.locator('[data-test=restore]').count(), 0, 'restore is for admins');
      assert.equal(await page.locator('[data-test=delete]').count(), 0, 'delete is for admins');
      assert.equal(await page.locator('nav.nav a[href="#/tokens"]').count(), 0, 'tokens are for admins');
      await page.click('[data-test=verify]');
      await confirmDialog();
      await page.waitForSelector('text=checksums match', { timeout: 60_000 });
      await page.click('[data-test=test-restore]');
      await confirmDialog();
      await page.waitForURL(/#\/jobs\/job-/);
      const seen = await watchJob();
      assert.equal(seen[seen.length - 1].state, 'JOB_STATE_SUCCEEDED', `test restore: ${JSON.stringify(seen)}`);
      assert.match(await page.textContent('[data-test=job-page]'), /test restore/);
      // Schedules: disable (asks first) and enable again.
      await open('#/schedules');
      const row = page.locator('tr[data-schedule="app-nightly"]');
      await row.locator('[data-test=schedule-toggle]').click();
      await confirmDialog();
      await page.waitForSelector('tr[data-schedule="app-nightly"] >> text=disabled');
      await page.locator('tr[data-schedule="app-nightly"] [data-test=schedule-toggle]').click();
      await page.waitForSelector('tr[data-schedule="app-nightly"] >> text=enabled');
      await signOut();
    });

    await t.test('admin restores the backup into a new file', async () => {
      await signIn('admin');
      await open(`#/backups/${encodeURIComponent(backupId)}`);
      await shot('05-backup-details');
      for (const a of ['verify', 'test-restore', 'restore', 'download', 'delete']) {
        assert.equal(await page.locator(`[data-test=${a}]`).count(), 1, `admin has ${a}`);
      }
      await page.click('[data-test=restore]');
      await page.fill('dialog[open] #dlg-target', RESTORE_TARGET);
      await confirmDialog();
      await page.waitForSelector('dialog[open] >> text=Restore now?');
      await confirmDialog();
      await page.waitForURL(/#\/jobs\/job-/);
      const seen = await watchJob();
      assert.equal(seen[seen.length - 1].state, 'JOB_STATE_SUCCEEDED', `restore: ${JSON.stringify(seen)}`);
      assert.equal(await page.getAttribute('[data-test=progress]', 'aria-valuenow'), '100');
      await page.waitForTimeout(600);
      await shot('08-restore-done');
    });

    await t.test('admin restores a PostgreSQL backup without its owners and grants', async () => {
      await open(`#/backups?database=${encodeURIComponent(PG_DB)}`);
      await page.locator('[data-test=backup-link]').first().click();
      await settled();
      await page.click('[data-test=restore]');
      await page.fill('dialog[open] #dlg-target', PG_TARGET);
      await page.check('dialog[open] #dlg-no_owner');
      await page.check('dialog[open] #dlg-no_privileges');
      await shot('08b-restore-elsewhere-dialog', { fullPage: false });
      await confirmDialog();
      await page.waitForSelector('dialog[open] >> text=Restore now?');
      await confirmDialog();
      await page.waitForURL(/#\/jobs\/job-/);
      const seen = await watchJob();
      assert.equal(seen[seen.length - 1].state, 'JOB_STATE_SUCCEEDED', `restore: ${JSON.stringify(seen)}`);
      await page.waitForTimeout(600);
      const text = await page.textContent('[data-test=job-page]');
      assert.match(text, /no owner, no privileges/);
      assert.match(text, new RegExp(`database settings applied to ${PG_TARGET}`));
      await shot('08c-restore-elsewhere-done');
    });

    await t.test('a destination added since the backup: "not copied", then copied from the page', async () => {
      await open(`#/backups?database=${encodeURIComponent(PG_DB)}`);
      await page.locator('[data-test=backup-link]').first().click();
      await settled();
      const row = () => page.locator(`[data-test=copies] tr[data-copy="${LATER_STORAGE}"]`);
      assert.equal(await row().getAttribute('data-state'), 'BACKUP_COPY_STATE_UNSPECIFIED');
      assert.match(await row().textContent(), /not copied/);
      await row().locator('[data-test=copy-now]').click();
      await page.waitForSelector(`dialog[open] >> text=Copy this backup to ${LATER_STORAGE}?`);
      await confirmDialog();
      await page.waitForURL(/#\/jobs\/job-/);
      const seen = await watchJob();
      assert.equal(seen[seen.length - 1].state, 'JOB_STATE_SUCCEEDED', `copy: ${JSON.stringify(seen)}`);
      await page.goBack();
      await settled();
      await page.waitForSelector(`[data-test=copies] tr[data-copy="${LATER_STORAGE}"][data-state=BACKUP_COPY_STATE_COMMITTED]`);
      assert.equal(await row().locator('[data-test=copy-now]').count(), 0, 'a committed copy offers no copy');
      await shot('08f-copied-to-a-later-destination');
    });

    await t.test('an encrypted backup with a copy: test restore and restore from the copy, the identity named by reference', async () => {
      await open(`#/backups?database=${encodeURIComponent(ENC_DB)}`);
      await page.locator('[data-test=backup-link]').first().click();
      await settled();
      const copy = page.locator(`[data-test=copies] tr[data-copy="${COPY_STORAGE}"]`);
      assert.equal(await copy.count(), 1, 'the copy is listed');
      assert.equal(await copy.getAttribute('data-state'), 'BACKUP_COPY_STATE_COMMITTED');
      assert.match(await copy.textContent(), /committed/);
      assert.match(await page.textContent('#manifest-h + dl'), /encrypted \(age, 1 recipient\)/);
      // The copy is verified where it is (the primary was moved away).
      await copy.locator('[data-test=verify-copy]').click();
      await page.waitForSelector(`[data-test=copies] tr[data-copy="${COPY_STORAGE}"] >> text=checksums match`, { timeout: 60_000 });
      await shot('08d-encrypted-backup-with-copy');

      // The key itself is not a reference: the form does not send it.
      await page.click('[data-test=test-restore]');
      await page.waitForSelector('dialog[open] #dlg-identity_ref');
      await page.fill('dialog[open] #dlg-identity_ref', 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ');
      await confirmDialog();
      assert.equal(await page.locator('dialog[open] #dlg-identity_ref:invalid').count(), 1,
        'a pasted key is held back by the form');
      await page.fill('dialog[open] #dlg-identity_ref', ENC_IDENTITY_REF);
      await page.selectOption('dialog[open] #dlg-from_storage', COPY_STORAGE);
      await shot('08e-test-restore-from-copy-dialog', { fullPage: false });
      await confirmDialog();
      await page.waitForURL(/#\/jobs\/job-/);
      let seen = await watchJob();
      assert.equal(seen[seen.length - 1].state, 'JOB_STATE_SUCCEEDED', `test restore: ${JSON.stringify(seen)}`);
      assert.match(await page.textContent('[data-test=job-page]'), /test restore/);

      await page.goBack();
      await settled();
      await page.click('[data-test=restore]');
      await page.fill('dialog[open] #dlg-target', ENC_TARGET);
      await page.fill('dialog[open] #dlg-identity_ref', ENC_IDENTITY_REF);
      await page.selectOption('dialog[open] #dlg-from_storage', COPY_STORAGE);
      await confirmDialog();
      await page.waitForSelector(`dialog[open] >> text=its copy in ${COPY_STORAGE}`);
      await confirmDialog();
      await page.waitForURL(/#\/jobs\/job-/);
      seen = await watchJob();
      assert.equal(seen[seen.length - 1].state, 'JOB_STATE_SUCCEEDED', `restore: ${JSON.stringify(seen)}`);
    });

    await t.test('admin downloads the backup (its SHA-256 is the manifest\'s) and deletes an older one', async () => {
      await open(`#/backups/${encodeURIComponent(backupId)}`);
      const want = (await page.locator('dt', { hasText: 'Stored SHA-256' }).locator('xpath=following-sibling::dd[1]').textContent()).trim();
      // Chromium would ask where to save through its native dialog, which a
      // headless browser cannot answer: without it the page takes the path
      // other browsers take (the bytes into a Blob, then a download link).
      await page.evaluate(() => { delete window.showSaveFilePicker; });
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=download]')]);
      const file = join(profile, 'download.bin');
      await download.saveAs(file);
      const got = createHash('sha256').update(readFileSync(file)).digest('hex');
      assert.equal(got, want, `downloaded ${download.suggestedFilename()}`);

      await open(`#/backups?database=${encodeURIComponent(DB)}`);
      const older = page.locator('[data-test=backup-link]').last();
      const olderId = (await older.textContent()).trim();
      assert.notEqual(olderId, backupId);
      await older.click();
      await settled();
      await page.click('[data-test=delete]');
      await confirmDialog();
      await page.waitForURL(/#\/backups$/);
      await settled();
      assert.match(await page.locator(`tr[data-backup="${olderId}"]`).textContent(), /deleted/);
    });

    await t.test('every page renders (screenshots)', async () => {
      await dismissNotices();
      await open(`#/backups?database=${encodeURIComponent(DB)}`);
      assert.ok(await page.locator('[data-test=backup-link]').count() >= 2, 'the backups of the database are listed');
      await shot('04-backups');
      // A page at a time: the newest, then the next through next_page_token.
      await open(`#/backups?database=${encodeURIComponent(DB)}&page_size=1`);
      assert.equal(await page.locator('[data-test=backup-link]').count(), 1);
      const newest = (await page.locator('[data-test=backup-link]').textContent()).trim();
      assert.equal(newest, backupId, 'newest first');
      await page.click('[data-test=next-page]');
      await page.waitForURL(/page_token=/);
      await settled();
      assert.equal(await page.locator('[data-test=backup-link]').count(), 1);
      assert.notEqual((await page.locator('[data-test=backup-link]').textContent()).trim(), newest);
      await open('#/jobs');
      await shot('09-jobs');
      await open('#/schedules');
      await shot('10-schedules');
      const first = page.locator('tbody tr[data-schedule] a').first();
      await first.click();
      await settled();
      assert.ok(await page.locator('#next-h').count() === 1);
      await shot('11-schedule-next-runs');
      await open('#/storages');
      await shot('12-storages');
      await open('#/agents');
      assert.equal(await page.locator('tr[data-agent] .badge-good').first().textContent(), 'online');
      await shot('13-agents');
      await open('#/audit');
      assert.ok(await page.locator('text=StartRestore').count() >= 1, 'the restore is in the audit log');
      await shot('14-audit');
      await open('#/tokens');
      assert.ok(await page.locator('tr[data-token]').count() >= 2);
      await shot('15-tokens');
    });

    await t.test('viewer sees the backup without any action button', async () => {
      await signOut();
      await signIn('viewer');
      await open(`#/backups/${encodeURIComponent(backupId)}`);
      assert.equal(await page.locator('[data-test=restore]').count(), 0, 'no restore button for a viewer');
      assert.equal(await page.locator('[data-test=backup-actions]').count(), 0, 'no actions at all for a viewer');
      assert.ok(await page.locator('text=Manifest').count() >= 1, 'the details are there');
      await shot('16-viewer-backup');
      await open('#/databases');
      assert.equal(await page.locator('[data-test=backup-now]').count(), 0, 'no "Back up now" for a viewer');
      await open('#/schedules');
      assert.equal(await page.locator('[data-test=schedule-run]').count(), 0, 'no "Run now" for a viewer');
      assert.equal(await page.locator('nav.nav a[href="#/tokens"]').count(), 0);
    });

    await t.test('a database whose backups stopped is shown red', async () => {
      const deadline = Date.now() + STALE_TIMEOUT_MS;
      const row = page.locator(`tr[data-database="${STALE_DB}"]`);
      for (;;) {
        await open('#/overview');
        if (await row.getAttribute('data-stale') === 'true') break;
        if (Date.now() > deadline) throw new Error(`${STALE_DB} never became stale`);
        await page.waitForTimeout(5000);
      }
      const color = await row.locator('td').first().evaluate((td) => getComputedStyle(td).color);
      const [r, g, b] = color.match(/\d+/g).map(Number);
      assert.ok(r > 150 && g < 100 && b < 100, `stale row text is red: ${color}`);
      assert.match(await row.textContent(), /stale/);
      assert.equal(await page.locator(`tr[data-database="${DB}"]`).getAttribute('data-stale'), 'false');
      assert.match(await page.textContent('[data-test=health-status]'), /degraded/);
      assert.ok(await page.locator(`text=database ${STALE_DB} is stale`).count() >= 1, 'health names the stale database');
      await shot('02-overview');
    });

    await t.test('dark theme', async () => {
      await page.click('#theme-toggle');
      assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = bg.match(/\d+/g).map(Number);
      assert.ok(r + g + b < 150, `dark background: ${bg}`);
      await shot('17-overview-dark');
      await open(`#/jobs`);
      await shot('18-jobs-dark');
      await page.click('#theme-toggle');
      assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
    });

    await t.test('phone size: no sideways scrolling', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      for (const [hash, name] of [['#/overview', '19-phone-overview'], ['#/backups', '20-phone-backups'],
        [`#/backups/${encodeURIComponent(backupId)}`, '21-phone-backup'], ['#/jobs', '22-phone-jobs'], ['#/schedules', '23-phone-schedules']]) {
        await open(hash);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 392, `${hash} is ${width}px wide at 390px`);
        await shot(name);
      }
    });

    await t.test('no CSP violation, console error or uncaught exception', () => {
      assert.deepEqual(problems, []);
    });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
