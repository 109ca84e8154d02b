// Backups: the catalogue, newest first, filtered by database, state and
// time, a page at a time (page_token from the previous page's
// next_page_token; the browser's back button returns to the newer page).
import * as api from '../api.js';
import { h, table, badge } from '../dom.js';
import * as fmt from '../format.js';

const STATES = [
  ['', 'Any state'],
  ['BACKUP_STATE_COMPLETED', 'Completed'],
  ['BACKUP_STATE_FAILED', 'Failed'],
  ['BACKUP_STATE_DELETED', 'Deleted'],
];
const PAGE_SIZES = ['25', '50', '100', '250'];

// A datetime-local value (the browser's zone) as RFC 3339 UTC.
function rfc3339(local) {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function hashOf(params) {
  const q = api.query(params);
  return `#/backups${q}`;
}

export function verifyText(b) {
  if (!b.verified_at) return null;
  return b.verify_error ? badge('verify failed', 'bad') : badge('verified', 'good');
}

export async function render({ query, signal, navigate }) {
  const filters = {
    database: query.database || '',
    state: query.state || '',
    since: query.since || '',
    until: query.until || '',
    // Any size the API takes (1-1000) may come in the URL; the menu offers a few.
    page_size: /^\d+$/.test(query.page_size || '') && +query.page_size >= 1 && +query.page_size <= 1000 ? String(+query.page_size) : '50',
  };
  const [dbs, page] = await Promise.all([
    api.get('/v1/databases', { signal }),
    api.get(`/v1/backups${api.query({
      database: filters.database,
      state: filters.state,
      created_after: rfc3339(filters.since),
      created_before: rfc3339(filters.until),
      page_size: filters.page_size,
      page_token: query.page_token,
    })}`, { signal }),
  ]);

  const names = (dbs.databases || []).map((d) => d.target.name).sort();
  const select = (name, options, value, label) => h('div.field',
    h('label', { for: `f-${name}` }, label),
    h('select', { id: `f-${name}`, name }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l))));
  const form = h('form.filters', { 'aria-label': 'Filters' },
    select('database', [['', 'All databases'], ...names.map((n) => [n, n])], filters.database, 'Database'),
    select('state', STATES, filters.state, 'State'),
    h('div.field', h('label', { for: 'f-since' }, 'Since'),
      h('input', { id: 'f-since', name: 'since', type: 'datetime-local', value: filters.since })),
    h('div.field', h('label', { for: 'f-until' }, 'Until'),
      h('input', { id: 'f-until', name: 'until', type: 'datetime-local', value: filters.until })),
    select('page_size', [...new Set([...PAGE_SIZES, filters.page_size])].sort((a, b) => a - b).map((n) => [n, n]), filters.page_size, 'Per page'),
    h('div.field.field-buttons',
      h('button.btn.btn-primary', { type: 'submit' }, 'Apply'),
      h('a.btn', { href: '#/backups' }, 'Reset')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    navigate(hashOf(data));
  });

  const rows = page.backups || [];
  const list = table([
    { title: 'Backup', cell: (b) => h('a.mono', { href: `#/backups/${encodeURIComponent(b.id)}`, 'data-test': 'backup-link' }, b.id) },
    { title: 'Database', cell: (b) => b.database },
    { title: 'State', cell: (b) => h('span.badges', badge(fmt.backupState(b.state), fmt.tone(b.state)), verifyText(b)) },
    { title: 'Created', cell: (b) => h('span', { title: fmt.time(b.created_at) }, fmt.shortTime(b.created_at)) },
    { title: 'Stored', class: 'num', cell: (b) => (b.manifest ? fmt.bytes(b.manifest.stored_size_bytes) : '—') },
    { title: 'Ratio', class: 'num', cell: (b) => (b.manifest ? fmt.ratio(b.manifest.raw_size_bytes, b.manifest.stored_size_bytes) : '—') },
    { title: 'Duration', class: 'num', cell: (b) => fmt.duration(b.duration_s) },
  ], rows, {
    empty: 'No backups match these filters.',
    rowAttrs: (b) => ({ class: 'clickable', 'data-backup': b.id }),
  });
  // A click anywhere on a row opens the backup (the id stays a real link).
  list.addEventListener?.('click', (ev) => {
    const tr = ev.target.closest('tr[data-backup]');
    if (tr && !ev.target.closest('a, button')) navigate(`#/backups/${encodeURIComponent(tr.dataset.backup)}`);
  });

  const base = { ...filters };
  const pager = h('nav.pager', { 'aria-label': 'Pages' },
    query.page_token ? h('a.btn', { href: hashOf(base) }, '« Newest') : null,
    h('span.muted', `${rows.length} backup${rows.length === 1 ? '' : 's'} on this page`),
    page.next_page_token
      ? h('a.btn', { href: hashOf({ ...base, page_token: page.next_page_token }), 'data-test': 'next-page' }, 'Older »')
      : null);

  return h('div',
    h('h1', 'Backups'),
    h('section.card', form),
    h('section.card', list, pager));
}
