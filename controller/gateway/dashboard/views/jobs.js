// Jobs: the newest backups and restores, refreshed while any is running.
import * as api from '../api.js';
import { h, clear, table, badge } from '../dom.js';
import * as fmt from '../format.js';

const REFRESH_MS = 3000;

function elapsed(j) {
  const e = fmt.num(j.progress && j.progress.elapsed_s);
  if (e > 0) return fmt.duration(e);
  if (j.started_at && j.finished_at) return fmt.duration((new Date(j.finished_at) - new Date(j.started_at)) / 1000);
  return '—';
}

function jobsTable(jobs) {
  return table([
    { title: 'Job', cell: (j) => h('a.mono', { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id) },
    { title: 'Kind', cell: (j) => {
      const o = j.restore_options || {};
      if (j.kind !== 'JOB_KIND_RESTORE') return fmt.jobKind(j.kind);
      return o.test_restore ? 'test restore' : o.dry_run ? 'dry run' : 'restore';
    } },
    { title: 'Database', cell: (j) => j.database },
    { title: 'State', cell: (j) => badge(fmt.jobState(j.state), fmt.tone(j.state)) },
    { title: 'Created', cell: (j) => h('span', { title: fmt.time(j.created_at) }, fmt.shortTime(j.created_at)) },
    { title: 'Elapsed', class: 'num', cell: elapsed },
    { title: 'Read', class: 'num', cell: (j) => fmt.bytes(j.progress && j.progress.bytes_in) },
    { title: 'Error', class: 'wrap', cell: (j) => (j.error ? h('span.error-text', j.error) : '') },
  ], jobs, { empty: 'No jobs yet.', rowAttrs: (j) => ({ 'data-job': j.id }) });
}

export async function render({ query, signal, navigate }) {
  const load = () => api.get(`/v1/jobs${api.query({ database: query.database, limit: 100 })}`, { signal });
  const [first, dbs] = await Promise.all([load(), api.get('/v1/databases', { signal })]);
  const names = (dbs.databases || []).map((d) => d.target.name).sort();
  const select = h('select', { id: 'f-db', name: 'database' },
    [['', 'All databases'], ...names.map((n) => [n, n])].map(([v, l]) => h('option', { value: v, selected: v === (query.database || '') }, l)));
  select.addEventListener('change', () => navigate(`#/jobs${api.query({ database: select.value })}`));
  const holder = h('div');
  const show = (r) => clear(holder).append(jobsTable(r.jobs || []));
  show(first);

  // Refresh while something is queued or running; stops when the page goes.
  const active = (r) => (r.jobs || []).some((j) => !fmt.TERMINAL_JOB_STATES.has(j.state));
  let last = first;
  const timer = setInterval(async () => {
    if (!active(last)) return;
    try {
      last = await load();
      show(last);
    } catch {
      // The next tick tries again; the page keeps what it has.
    }
  }, REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });

  return h('div',
    h('h1', 'Jobs'),
    h('section.card', h('form.filters', h('div.field', h('label', { for: 'f-db' }, 'Database'), select))),
    h('section.card', holder));
}
