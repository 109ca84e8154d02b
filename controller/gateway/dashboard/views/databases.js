// Databases: every target the controller backs up, and "Back up now".
import * as api from '../api.js';
import { h, table, badge } from '../dom.js';
import * as fmt from '../format.js';
import { can } from '../session.js';
import { formDialog } from '../dialog.js';

function where(t) {
  if (t.engine === 'ENGINE_SQLITE') return t.path;
  const hostPort = t.port ? `${t.host}:${t.port}` : t.host;
  return [hostPort, t.database].filter(Boolean).join(' / ');
}

// Asks for the compression (the default sends an empty body: the
// controller's default) and starts the backup; resolves with the job.
export async function backUpNow(name) {
  const answer = await formDialog({
    title: `Back up ${name} now`,
    confirm: 'Start backup',
    fields: [
      {
        name: 'compression', label: 'Compression', type: 'select', value: '',
        options: [['', 'Default (zstd)'], ['COMPRESSION_ZSTD', 'zstd'], ['COMPRESSION_GZIP', 'gzip'], ['COMPRESSION_NONE', 'none']],
      },
      { name: 'level', label: 'Level', type: 'number', value: '', placeholder: 'default', min: 0, max: 22, hint: 'Empty: the codec’s default.' },
    ],
  });
  if (!answer) return null;
  const body = {};
  if (answer.compression) body.compression = answer.compression;
  if (answer.level !== '') body.compression_level = Number(answer.level);
  const r = await api.post(`/v1/databases/${api.seg(name)}:backup`, body);
  return r.job;
}

export async function render({ signal, navigate, notify }) {
  const [list, stats] = await Promise.all([
    api.get('/v1/databases', { signal }),
    api.get('/v1/stats', { signal }),
  ]);
  const byName = new Map((stats.databases || []).map((d) => [d.database, d]));
  const dbs = [...(list.databases || [])].sort((a, b) => a.target.name.localeCompare(b.target.name));

  const start = async (name, button) => {
    button.disabled = true;
    try {
      const job = await backUpNow(name);
      if (job) {
        notify(`Backup of ${name} queued as job ${job.id}`);
        navigate(`#/jobs/${encodeURIComponent(job.id)}`);
      }
    } catch (e) {
      notify(e.message, 'error');
    } finally {
      button.disabled = false;
    }
  };

  const columns = [
    { title: 'Name', cell: (d) => h('a', { href: `#/backups?database=${encodeURIComponent(d.target.name)}` }, d.target.name) },
    { title: 'Engine', cell: (d) => fmt.engine(d.target.engine) },
    { title: 'Where', class: 'wrap', cell: (d) => h('code', where(d.target)) },
    { title: 'Agent', cell: (d) => d.target.agent },
    { title: 'Storage', cell: (d) => d.storage },
    { title: 'Server', cell: (d) => d.server_version || '—' },
    {
      title: 'Last good backup',
      cell: (d) => {
        const st = byName.get(d.target.name);
        if (!st || fmt.num(st.last_good_age_s) < 0) return st && st.stale ? badge('never', 'bad') : 'never';
        const text = fmt.ago(fmt.num(st.last_good_age_s));
        return st.stale ? badge(`${text} (stale)`, 'bad') : text;
      },
    },
  ];
  if (can('backup.run')) {
    columns.push({
      title: 'Actions', class: 'actions',
      cell: (d) => {
        const b = h('button.btn.btn-small.btn-primary', { type: 'button', 'data-test': 'backup-now' }, 'Back up now');
        b.addEventListener('click', () => start(d.target.name, b));
        return b;
      },
    });
  }
  return h('div',
    h('h1', 'Databases'),
    h('section.card', table(columns, dbs, {
      empty: 'No databases yet: add one with dbdumpctl database add.',
      rowAttrs: (d) => ({ 'data-database': d.target.name }),
    })));
}
