// One backup: its manifest, verification and test-restore results, and the
// actions the signed-in role may take on it. Every action that writes or
// removes something asks first.
import * as api from '../api.js';
import { h, table, badge, facts } from '../dom.js';
import * as fmt from '../format.js';
import { can } from '../session.js';
import { confirmAction, formDialog } from '../dialog.js';

// "encrypted (age, 2 recipients)" with the public keys as a tooltip; never a
// secret (the manifest holds none).
function encryptionText(e) {
  if (!e || !e.format) return 'none';
  if (e.passphrase) return 'encrypted (age, passphrase)';
  const n = (e.recipients || []).length;
  return h('span', { title: (e.recipients || []).join('\n') },
    `encrypted (age, ${n} recipient${n === 1 ? '' : 's'})`);
}

const isEncrypted = (b) => !!(b.manifest && b.manifest.encryption && b.manifest.encryption.format);

// Where a restore, dry run or test restore reads from, and for an encrypted
// backup where the restoring agent finds its identity (a reference on the
// agent's host: the dashboard never takes the key itself).
function sourceFields(b) {
  const fields = [];
  const committed = (b.copies || []).filter((c) => c.state === 'BACKUP_COPY_STATE_COMMITTED');
  if (committed.length) {
    fields.push({ name: 'from_storage', label: 'Read from', type: 'select', value: '',
      options: [['', `${b.storage} (primary)`], ...committed.map((c) => [c.storage, `${c.storage} (copy)`])] });
  }
  if (isEncrypted(b)) {
    const passphrase = b.manifest.encryption.passphrase;
    fields.push({
      name: 'identity_ref',
      label: passphrase ? 'Where the agent finds the passphrase' : 'Where the agent finds the age identity',
      required: true,
      placeholder: passphrase ? 'file:/etc/dbdump/backup.pass' : 'file:/etc/dbdump/backup.key',
      pattern: '(file:/|env:)\\S+',
      title: 'file:/absolute/path (mode 0600) or env:NAME on the restoring agent’s host',
      hint: 'A reference on the restoring agent’s host: file:/absolute/path (mode 0600) or env:NAME. Never the key itself.',
    });
  }
  return fields;
}

function sourceOf(answer) {
  return { from_storage: answer.from_storage || '', identity_ref: answer.identity_ref || '' };
}

function checksum(hex) {
  return hex ? h('code.hash', hex) : '—';
}

function manifestSection(m) {
  const o = m.dump_options || {};
  const selective = [
    o.format && `format ${o.format}`,
    o.schema_only && 'schema only',
    o.data_only && 'data only',
    (o.include_tables || []).length && `tables ${o.include_tables.join(', ')}`,
    (o.exclude_tables || []).length && `without tables ${o.exclude_tables.join(', ')}`,
    (o.include_schemas || []).length && `schemas ${o.include_schemas.join(', ')}`,
    (o.exclude_schemas || []).length && `without schemas ${o.exclude_schemas.join(', ')}`,
    o.globals && 'with globals',
    o.all_databases && 'all databases',
    (o.databases || []).length && `databases ${o.databases.join(', ')}`,
  ].filter(Boolean).join('; ');
  return h('section.card', { 'aria-labelledby': 'manifest-h' },
    h('h2', { id: 'manifest-h' }, 'Manifest'),
    facts([
      ['Engine', fmt.engine(m.engine)],
      ['Server version', m.server_version],
      ['Dump tool', m.tool_version],
      ['Format', m.dump_format],
      ['Options', selective],
      ['Compression', `${fmt.compression(m.compression)}${m.compression_level ? ` level ${m.compression_level}` : ''}`],
      ['Encryption', encryptionText(m.encryption)],
      ['Raw size', fmt.bytes(m.raw_size_bytes)],
      ['Stored size', `${fmt.bytes(m.stored_size_bytes)} (${fmt.ratio(m.raw_size_bytes, m.stored_size_bytes)})`],
      ['Raw SHA-256', checksum(m.raw_sha256)],
      ['Stored SHA-256', checksum(m.stored_sha256)],
      ['Object', h('code', m.dump_object)],
      ['Object lock', m.locked_until
        ? `${fmt.enumText(m.lock_mode, 'OBJECT_LOCK_MODE_')} until ${fmt.time(m.locked_until)}`
        : 'none'],
      ['Started', fmt.time(m.started_at)],
      ['Finished', fmt.time(m.finished_at)],
      ['Agent', m.agent],
      ['Format version', String(m.format_version ?? '')],
    ]),
    (m.extra_objects || []).length ? [
      h('h3', 'Further objects'),
      table([
        { title: 'Role', cell: (x) => x.role },
        { title: 'Object', cell: (x) => h('code', x.object) },
        { title: 'Stored', class: 'num', cell: (x) => fmt.bytes(x.stored_size_bytes) },
        { title: 'Stored SHA-256', cell: (x) => checksum(x.stored_sha256) },
      ], m.extra_objects),
    ] : null,
    (m.tables || []).length ? [
      h('h3', `Tables (${m.tables.length})`),
      table([
        { title: 'Table', cell: (t) => t.name },
        { title: 'Rows', class: 'num', cell: (t) => (fmt.num(t.rows) < 0 ? '—' : String(t.rows)) },
      ], m.tables),
    ] : null);
}

const COPY_TONES = {
  BACKUP_COPY_STATE_COMMITTED: 'good',
  BACKUP_COPY_STATE_PENDING: 'busy',
  BACKUP_COPY_STATE_FAILED: 'bad',
};
const NOT_COPIED = 'BACKUP_COPY_STATE_UNSPECIFIED';

// The same stored stream in further destinations: each with its own state,
// attempts and Object Lock. A pending copy is retried by a copy job on its
// own; `rows` also holds the database's destinations this backup has no
// copy in yet (added since), and `copyButton` offers a copy now.
function copiesSection(b, rows, copyButton) {
  return h('section.card', { 'aria-labelledby': 'copies-h', 'data-test': 'copies' },
    h('h2', { id: 'copies-h' }, `Copies (${b.copies.length})`),
    h('p.muted', `The primary is in ${b.storage}; each copy is the same stored bytes with its own manifest.`),
    table([
      { title: 'Storage', cell: (c) => c.storage },
      { title: 'State', cell: (c) => badge(c.state === NOT_COPIED ? 'not copied' : fmt.enumText(c.state, 'BACKUP_COPY_STATE_'), COPY_TONES[c.state] || 'neutral') },
      { title: 'Attempts', class: 'num', cell: (c) => String(c.attempts || 0) },
      { title: 'Stored', class: 'num', cell: (c) => (fmt.num(c.stored_size_bytes) ? fmt.bytes(c.stored_size_bytes) : '—') },
      { title: 'Object lock', cell: (c) => (c.locked_until
        ? `${fmt.enumText(c.lock_mode, 'OBJECT_LOCK_MODE_')} until ${fmt.shortTime(c.locked_until)}` : 'none') },
      { title: 'Updated', cell: (c) => (c.deleted_at ? `deleted ${fmt.shortTime(c.deleted_at)}` : (c.updated_at ? fmt.shortTime(c.updated_at) : '')) },
      { title: 'Verified', cell: (c) => (c.verified_at
        ? h('span', { title: fmt.time(c.verified_at) }, c.verify_error ? badge('failed', 'bad') : badge('checksums match', 'good'), ' ', fmt.shortTime(c.verified_at))
        : 'never') },
      { title: 'Last error', cell: (c) => c.error || c.verify_error || '' },
      { title: '', cell: (c) => copyButton(c) },
    ], rows, { rowAttrs: (c) => ({ 'data-copy': c.storage, 'data-state': c.state }) }));
}

function reportSection(b) {
  const r = b.test_restore_report;
  const rows = [
    ['Verified', b.verified_at
      ? h('span', fmt.time(b.verified_at), ' ', b.verify_error ? badge('failed', 'bad') : badge('checksums match', 'good'))
      : 'never'],
    ['Verify error', b.verify_error],
    ['Test restored', b.test_restored_at
      ? h('span', fmt.time(b.test_restored_at), ' ', b.test_restore_error ? badge('failed', 'bad') : badge('passed', 'good'))
      : 'never'],
    ['Test restore error', b.test_restore_error],
    ['Summary', r && r.summary],
  ];
  return h('section.card', { 'aria-labelledby': 'checks-h' },
    h('h2', { id: 'checks-h' }, 'Checks'),
    facts(rows),
    r && (r.tables || []).length ? table([
      { title: 'Table', cell: (t) => t.name },
      { title: 'Expected rows', class: 'num', cell: (t) => (fmt.num(t.expected_rows) < 0 ? '—' : String(t.expected_rows)) },
      { title: 'Restored rows', class: 'num', cell: (t) => String(t.restored_rows) },
      { title: '', cell: (t) => (t.ok ? badge('ok', 'good') : badge('mismatch', 'bad')) },
    ], r.tables) : null);
}

// Saves the download: streamed straight to a file where the browser lets
// the page pick one, otherwise collected into a Blob first. A plain link
// cannot carry the bearer token.
async function download(b, notify) {
  const name = `${b.database}-${b.id}${b.manifest && b.manifest.dump_object ? b.manifest.dump_object.replace(/^.*?(\.[^/]*)$/, '$1') : ''}`;
  const resp = await fetch(`/v1/backups/${api.seg(b.id)}:download`, {
    headers: { Authorization: `Bearer ${api.token()}` },
  });
  if (!resp.ok) {
    let message = `${resp.status} ${resp.statusText}`;
    try { message = (await resp.json()).message || message; } catch { /* not JSON */ }
    throw new Error(message);
  }
  if (window.showSaveFilePicker) {
    let handle;
    try {
      handle = await window.showSaveFilePicker({ suggestedName: name });
    } catch (e) {
      if (e.name === 'AbortError') { resp.body.cancel(); return; }
      throw e;
    }
    await resp.body.pipeTo(await handle.createWritable());
  } else {
    const url = URL.createObjectURL(await resp.blob());
    const a = h('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }
  notify(`Downloaded ${name}`);
}

async function startRestore(b, options, target, via, source = {}) {
  const body = { options: { ...options } };
  if (target) body.target = target;
  if (via) body.via_database = via;
  if (source.from_storage) body.from_storage = source.from_storage;
  if (source.identity_ref) body.options.identity_ref = source.identity_ref;
  const r = await api.post(`/v1/backups/${api.seg(b.id)}:restore`, body);
  return r.job;
}

export async function render({ params, signal, navigate, notify, refresh }) {
  const { backup: b } = await api.get(`/v1/backups/${api.seg(params.id)}`, { signal });
  // The database's copy destinations this backup has no copy in (added
  // since it was made); none when the database was removed.
  let destinationsNow = [];
  try {
    const { database } = await api.get(`/v1/databases/${api.seg(b.database)}`, { signal });
    destinationsNow = database.copies || [];
  } catch (e) {
    if (e.name === 'AbortError') throw e;
  }
  const destinations = destinationsNow.filter((name) => !(b.copies || []).some((c) => c.storage === name));
  const copyRows = [...(b.copies || []), ...destinations.map((storage) => ({ storage, state: NOT_COPIED }))];
  const restorable = b.state === 'BACKUP_STATE_COMPLETED';
  const isSqlite = b.manifest && b.manifest.engine === 'ENGINE_SQLITE';

  // Runs an action with its button disabled; errors become a notice.
  const act = (label, fn, test, cls = '') => {
    const btn = h(`button.btn${cls}`, { type: 'button', 'data-test': test }, label);
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await fn();
      } catch (e) {
        notify(e.message, 'error');
      } finally {
        btn.disabled = false;
      }
    });
    return btn;
  };
  const toJob = (job, what) => {
    notify(`${what} queued as job ${job.id}`);
    navigate(`#/jobs/${encodeURIComponent(job.id)}`);
  };

  // Asks only "sure?" unless there is a copy to pick or an identity to name.
  const askSource = async ({ title, text, confirm }) => {
    const fields = sourceFields(b);
    if (!fields.length) return (await confirmAction({ title, body: h('p', text), confirm })) ? {} : null;
    return formDialog({ title, intro: h('p', text), confirm, fields });
  };

  // On a committed copy: verify it there. Otherwise a copy from the primary
  // now, into a destination the database still has: for a copy pending or
  // failed, or a destination added since.
  const copyButton = (c) => {
    if (c.state === 'BACKUP_COPY_STATE_COMMITTED') {
      if (!can('backup.verify')) return null;
      return act('Verify', async () => {
        notify(`Verifying the copy in ${c.storage}…`);
        const r = await api.post(`/v1/backups/${api.seg(b.id)}:verify${api.query({ storage: c.storage })}`);
        const v = ((r.backup || {}).copies || []).find((x) => x.storage === c.storage) || {};
        notify(v.verify_error ? `Verification of the copy in ${c.storage} failed: ${v.verify_error}` : `The copy in ${c.storage} is verified: the checksums match.`, v.verify_error ? 'error' : 'info');
        refresh();
      }, 'verify-copy', '.btn-small');
    }
    const copyable = [NOT_COPIED, 'BACKUP_COPY_STATE_PENDING', 'BACKUP_COPY_STATE_FAILED'].includes(c.state)
      && destinationsNow.includes(c.storage);
    if (!restorable || !copyable || !can('backup.copy')) return null;
    return act('Copy now', async () => {
      const ok = await confirmAction({
        title: `Copy this backup to ${c.storage}?`,
        body: h('p', `The agent reads the backup from ${b.storage}, checks both checksums and writes the same stored bytes to ${c.storage}, with their own manifest. Nothing is dumped again.`),
        confirm: 'Copy',
      });
      if (!ok) return;
      const r = await api.post(`/v1/backups/${api.seg(b.id)}:copy`, { storage: c.storage });
      toJob(r.job, `Copy to ${c.storage}`);
    }, 'copy-now', '.btn-small');
  };

  const actions = [];
  if (restorable && can('backup.verify')) {
    actions.push(act('Verify', async () => {
      const ok = await confirmAction({
        title: 'Verify this backup?',
        body: h('p', 'The agent re-reads the stored objects and checks both checksums against the manifest. Nothing is changed.'),
        confirm: 'Verify',
      });
      if (!ok) return;
      notify('Verifying…');
      const r = await api.post(`/v1/backups/${api.seg(b.id)}:verify`);
      const v = r.backup || {};
      notify(v.verify_error ? `Verification failed: ${v.verify_error}` : 'Verified: the checksums match.', v.verify_error ? 'error' : 'info');
      refresh();
    }, 'verify'));
  }
  if (restorable && can('backup.test_restore')) {
    actions.push(act('Test restore', async () => {
      const answer = await askSource({
        title: 'Test-restore this backup?',
        text: 'The agent restores it into a scratch database it creates, checks the tables, and drops it. Your databases are not touched.',
        confirm: 'Start test restore',
      });
      if (answer) toJob(await startRestore(b, { test_restore: true }, '', '', sourceOf(answer)), 'Test restore');
    }, 'test-restore'));
  }
  if (restorable && can('backup.dry_run')) {
    actions.push(act('Dry run', async () => {
      const answer = await askSource({
        title: 'Dry-run a restore?',
        text: 'The agent downloads the backup, checks both checksums and lists it with the engine’s own tool. Nothing is restored.',
        confirm: 'Start dry run',
      });
      if (answer) toJob(await startRestore(b, { dry_run: true }, '', '', sourceOf(answer)), 'Dry run');
    }, 'dry-run'));
  }
  if (restorable && can('backup.restore')) {
    actions.push(act('Restore…', async () => {
      const answer = await formDialog({
        title: `Restore ${b.id}`,
        intro: h('p', isSqlite
          ? 'SQLite: give a new file path on the agent host; an existing file is never overwritten unless you ask to clean it.'
          : 'Give the database to restore into; it is created when missing. Empty: the backup’s own database.'),
        confirm: 'Restore',
        danger: true,
        fields: [
          { name: 'target', label: isSqlite ? 'Target file path' : 'Target database', required: isSqlite, placeholder: isSqlite ? '/var/lib/app/restored.db' : b.database },
          { name: 'via', label: 'Connection of database', placeholder: b.database, hint: 'Whose host, port, user and agent are used; empty: this backup’s database.' },
          { name: 'clean', label: 'Drop existing objects first (clean)', type: 'checkbox' },
          { name: 'no_create', label: 'Fail if the target does not exist', type: 'checkbox' },
          ...restoreElsewhereFields(b),
          ...sourceFields(b),
        ],
      });
      if (!answer) return;
      const sure = await confirmAction({
        title: 'Restore now?',
        body: h('p', `Backup ${b.id} of ${b.database}${answer.from_storage ? ` (its copy in ${answer.from_storage})` : ''} will be written into ${answer.target || b.database}${answer.clean ? ', dropping its existing objects first' : ''}.`),
        confirm: 'Restore',
        danger: true,
      });
      if (!sure) return;
      const options = restoreElsewhereOptions(answer);
      if (answer.clean) options.clean = true;
      if (answer.no_create) options.no_create = true;
      toJob(await startRestore(b, options, answer.target, answer.via, sourceOf(answer)), 'Restore');
    }, 'restore', '.btn-primary'));
  }
  if (restorable && can('backup.download')) {
    actions.push(act('Download', () => download(b, notify), 'download'));
  }
  if (b.state !== 'BACKUP_STATE_DELETED' && can('backup.delete')) {
    actions.push(act('Delete…', async () => {
      const ok = await confirmAction({
        title: 'Delete this backup?',
        body: [h('p', `The stored objects of ${b.id} (${b.database}) are removed from storage. This cannot be undone.`),
          h('p.muted', 'The catalogue keeps the entry, marked deleted.')],
        confirm: 'Delete backup',
        danger: true,
      });
      if (!ok) return;
      await api.del(`/v1/backups/${api.seg(b.id)}`);
      notify(`Backup ${b.id} deleted`);
      navigate('#/backups');
    }, 'delete', '.btn-danger'));
  }

  return h('div',
    h('p.crumbs', h('a', { href: '#/backups' }, 'Backups'), ' / ',
      h('a', { href: `#/backups?database=${encodeURIComponent(b.database)}` }, b.database)),
    h('div.title-row',
      h('h1.mono', b.id),
      h('span.badges', badge(fmt.backupState(b.state), fmt.tone(b.state)))),
    actions.length ? h('div.actions-bar', { 'data-test': 'backup-actions' }, actions) : null,
    h('section.card',
      facts([
        ['Database', b.database],
        ['Storage', b.storage],
        ['Created', fmt.time(b.created_at) === fmt.utc(b.created_at) ? fmt.time(b.created_at) : h('span', fmt.time(b.created_at), h('span.muted', ` · ${fmt.utc(b.created_at)}`))],
        ['Duration', fmt.duration(b.duration_s)],
        ['Job', b.job_id ? h('a.mono', { href: `#/jobs/${encodeURIComponent(b.job_id)}` }, b.job_id) : ''],
        ['Deleted', b.deleted_at ? fmt.time(b.deleted_at) : ''],
      ])),
    reportSection(b),
    copyRows.length ? copiesSection(b, copyRows, copyButton) : null,
    b.manifest ? manifestSection(b.manifest) : h('section.card', h('p.muted', 'No manifest: this backup did not complete.')));
}

// Restore options for another server, by engine: the source's roles
// (PostgreSQL) or definer accounts (MySQL/MariaDB) may be missing there.
function restoreElsewhereFields(b) {
  const engine = b.manifest && b.manifest.engine;
  if (engine === 'ENGINE_POSTGRES') {
    const hasGlobals = (b.manifest.extra_objects || []).some((o) => o.role === 'globals');
    return [
      { name: 'no_owner', label: 'Leave out the source’s owners (no owner)', type: 'checkbox' },
      { name: 'no_privileges', label: 'Leave out grants and revokes (no privileges)', type: 'checkbox' },
      { name: 'owner', label: 'Owner of everything restored', placeholder: 'role name',
        hint: 'For a server without the backup’s roles: leave out owners and grants; objects then belong to the restoring user, or to this role (it must exist).' },
      ...(hasGlobals ? [{ name: 'globals', label: 'Roles from the backup’s globals', type: 'select', value: '',
        options: [['', 'Do not apply'], ['missing', 'Create missing roles, keep existing ones'],
          ['replace', 'Create missing roles and replace existing ones (passwords too)']] }] : []),
      { name: 'no_database_settings', label: 'Skip the database’s own settings, ACL and comment', type: 'checkbox' },
    ];
  }
  if (engine === 'ENGINE_MYSQL') {
    return [{ name: 'definers', label: 'Views, routines, triggers and events', type: 'select', value: '',
      options: [['', 'Keep their definers (fail if an account is missing)'],
        ['current-user', 'Define them as the restoring user']] }];
  }
  return [];
}

function restoreElsewhereOptions(answer) {
  const options = {};
  if (answer.no_owner) options.no_owner = true;
  if (answer.no_privileges) options.no_privileges = true;
  if (answer.owner) options.owner = answer.owner;
  if (answer.no_database_settings) options.no_database_settings = true;
  if (answer.globals === 'missing') options.globals = 'GLOBALS_MODE_MISSING';
  if (answer.globals === 'replace') options.globals = 'GLOBALS_MODE_REPLACE';
  if (answer.definers === 'current-user') options.definers = 'DEFINER_MODE_CURRENT_USER';
  return options;
}
