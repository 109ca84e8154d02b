// Storage destinations: where backups are written. Credentials are never
// shown because the API never holds them (only references to them).
import * as api from '../api.js';
import { h, table } from '../dom.js';
import * as fmt from '../format.js';

function location(st) {
  if (st.kind === 'STORAGE_KIND_LOCAL') return [st.path, st.prefix].filter(Boolean).join(' · prefix ');
  const endpoint = st.endpoint || 'AWS';
  return `s3://${st.bucket}/${st.prefix || ''} (${endpoint}${st.region ? `, ${st.region}` : ''})`;
}

function access(st) {
  if (st.kind === 'STORAGE_KIND_LOCAL') return 'the agent’s file system';
  return [
    st.role_arn && `assumes ${st.role_arn}${st.external_id ? ' (external id)' : ''}`,
    st.credentials_ref && `keys from ${st.credentials_ref}`,
    !st.role_arn && !st.credentials_ref && 'the agent’s credential chain',
    st.sse && `SSE ${st.sse}`,
    st.storage_class && st.storage_class,
    st.path_style && 'path-style',
  ].filter(Boolean).join(', ');
}

// S3 Object Lock of what is written there, e.g. "compliance, 30 d 0 h".
function objectLock(st) {
  const lock = st.object_lock;
  if (!lock || !lock.mode || lock.mode === 'OBJECT_LOCK_MODE_UNSPECIFIED') return '—';
  const mode = fmt.enumText(lock.mode, 'OBJECT_LOCK_MODE_');
  const period = Number(lock.retain_s || 0) > 0 ? fmt.duration(lock.retain_s) : '';
  if (lock.until_retention) {
    return `${mode}, until retention would delete${period ? ` (at least ${period})` : ''}`;
  }
  return `${mode}, ${period}`;
}

export async function render({ signal }) {
  const [r, stats, dbs] = await Promise.all([
    api.get('/v1/storages', { signal }),
    api.get('/v1/stats', { signal }),
    api.get('/v1/databases', { signal }),
  ]);
  // Bytes stored per destination: the databases that write to it.
  const perDb = new Map((stats.databases || []).map((d) => [d.database, fmt.num(d.bytes_stored)]));
  const used = new Map();
  const users = new Map();
  for (const d of dbs.databases || []) {
    used.set(d.storage, (used.get(d.storage) || 0) + (perDb.get(d.target.name) || 0));
    users.set(d.storage, [...(users.get(d.storage) || []), d.target.name]);
  }
  const list = [...(r.storages || [])].sort((a, b) => a.name.localeCompare(b.name));
  return h('div',
    h('h1', 'Storage'),
    h('section.card', table([
      { title: 'Name', cell: (st) => st.name },
      { title: 'Kind', cell: (st) => fmt.storageKind(st.kind) },
      { title: 'Location', class: 'wrap', cell: (st) => h('code', location(st)) },
      { title: 'Access', class: 'wrap', cell: access },
      { title: 'Object lock', class: 'wrap', cell: objectLock },
      { title: 'Databases', class: 'wrap', cell: (st) => (users.get(st.name) || []).join(', ') || '—' },
      { title: 'Stored', class: 'num', cell: (st) => fmt.bytes(used.get(st.name) || 0) },
    ], list, { empty: 'No storage destinations yet: add one with dbdumpctl storage add.', rowAttrs: (st) => ({ 'data-storage': st.name }) })));
}
