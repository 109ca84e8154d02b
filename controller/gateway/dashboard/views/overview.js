// Overview: is every database backed up recently? Health, the age of each
// database's last good backup (red when older than its schedule allows),
// success rate, storage used, and backup size and duration over time.
import * as api from '../api.js';
import { h, table, badge, facts } from '../dom.js';
import * as fmt from '../format.js';
import { timeChart } from '../chart.js';

// The newest backups plotted: enough for a few weeks of hourly backups,
// few enough pages that the overview stays quick on a large catalogue.
const CHART_PAGE_SIZE = 250;
const CHART_PAGES = 2;

async function recentBackups(signal) {
  const out = [];
  let token = '';
  for (let i = 0; i < CHART_PAGES; i++) {
    const r = await api.get(`/v1/backups${api.query({ page_size: CHART_PAGE_SIZE, page_token: token })}`, { signal });
    out.push(...(r.backups || []));
    token = r.next_page_token;
    if (!token) break;
  }
  return out;
}

function tile(label, value, { tone, test } = {}) {
  return h(`div.tile${tone ? `.tile-${tone}` : ''}`, { 'data-test': test },
    h('div.tile-value', value), h('div.tile-label', label));
}

// The overview stays current while it is open: it is built again every
// REFRESH_MS in place (no "Loading…" flash, the scroll position kept).
const REFRESH_MS = 30000;

export async function render({ signal }) {
  const root = h('div', await build(signal));
  const timer = setInterval(async () => {
    try {
      const next = await build(signal);
      if (!signal.aborted) root.replaceChildren(next);
    } catch {
      // Shown as it was; the next tick tries again.
    }
  }, REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  return root;
}

async function build(signal) {
  const [health, stats, list] = await Promise.all([
    api.get('/v1/health', { signal }),
    api.get('/v1/stats', { signal }),
    recentBackups(signal),
  ]);
  const overall = stats.overall || {};
  const dbs = [...(stats.databases || [])].sort((a, b) =>
    (b.stale - a.stale) || a.database.localeCompare(b.database));
  const ok = health.status === 'ok';

  const healthCard = h('section.card', { 'aria-labelledby': 'health-h' },
    h('div.card-head',
      h('h2', { id: 'health-h' }, 'Health'),
      h('span', { 'data-test': 'health-status' }, badge(health.status || 'unknown', ok ? 'good' : 'bad'))),
    facts([
      ['Controller', `${health.version || '?'} (schema ${health.schema_version ?? '?'})`],
      ['Up for', fmt.duration(health.uptime_s)],
      ['Agents', `${fmt.num(health.agents_online)} online, ${fmt.num(health.agents_offline)} offline`],
      ['Jobs', `${fmt.num(health.jobs_running)} running, ${fmt.num(health.jobs_queued)} queued`],
      ['Stale databases', String(fmt.num(health.stale_databases))],
    ]),
    (health.problems || []).length
      ? h('ul.problems', { 'aria-label': 'Problems' }, health.problems.map((p) => h('li', p)))
      : h('p.muted', 'No problems.'));

  const tiles = h('section.tiles', { 'aria-label': 'Totals' },
    tile('Databases', String(dbs.length)),
    tile('Stale', String(dbs.filter((d) => d.stale).length), { tone: dbs.some((d) => d.stale) ? 'bad' : 'good', test: 'stale-count' }),
    tile('Success rate', fmt.num(overall.backups_total) ? fmt.percent(overall.success_rate) : '—', { test: 'success-rate' }),
    tile('Storage used', fmt.bytes(overall.bytes_stored), { test: 'storage-used' }),
    tile('Backups', String(fmt.num(overall.backups_total))),
    tile('Compression', overall.avg_compression_ratio ? `${fmt.num(overall.avg_compression_ratio).toFixed(2)}×` : '—'));

  const dbTable = table([
    { title: 'Database', cell: (d) => h('a', { href: `#/backups?database=${encodeURIComponent(d.database)}` }, d.database) },
    {
      title: 'Last good backup',
      cell: (d) => (fmt.num(d.last_good_age_s) < 0
        ? h('span', 'never')
        : h('span', { title: fmt.time(d.last_good_backup_at) }, fmt.ago(fmt.num(d.last_good_age_s)))),
    },
    { title: 'Status', cell: (d) => (d.stale ? badge('stale', 'bad') : badge('fresh', 'good')) },
    { title: 'Success', class: 'num', cell: (d) => (fmt.num(d.backups_total) ? fmt.percent(d.success_rate) : '—') },
    { title: 'Backups', class: 'num', cell: (d) => `${fmt.num(d.backups_succeeded)} / ${fmt.num(d.backups_total)}` },
    { title: 'Stored', class: 'num', cell: (d) => fmt.bytes(d.bytes_stored) },
    { title: 'Avg duration', class: 'num', cell: (d) => (fmt.num(d.backups_succeeded) ? fmt.duration(d.avg_duration_s) : '—') },
  ], dbs, {
    empty: 'No databases yet: add one with dbdumpctl database add.',
    rowAttrs: (d) => ({ class: d.stale ? 'row-stale' : '', 'data-database': d.database, 'data-stale': String(!!d.stale) }),
  });

  const good = list.filter((b) => b.state !== 'BACKUP_STATE_FAILED' && b.manifest);
  const points = (f) => good.map((b) => ({ t: new Date(b.created_at), v: f(b), label: b.database }))
    .filter((p) => !Number.isNaN(p.t.getTime()));
  const charts = h('section.charts', { 'aria-label': 'Backups over time' },
    timeChart({ title: 'Backup size (stored)', points: points((b) => fmt.num(b.manifest.stored_size_bytes)), format: fmt.bytes, series: 'size', binary: true }),
    timeChart({ title: 'Backup duration', points: points((b) => fmt.num(b.duration_s)), format: (v) => fmt.duration(v), series: 'duration' }));

  return h('div',
    h('h1', 'Overview'),
    h('div.overview-top', healthCard, tiles),
    h('section.card', { 'aria-labelledby': 'dbs-h' }, h('h2', { id: 'dbs-h' }, 'Databases'), dbTable),
    charts,
    good.length ? h('p.muted.small', `Charts: the newest ${good.length} good backups.`) : null);
}
