// One job, live: the record, and a progress bar with rate and ETA fed by the
// job's Server-Sent Events stream until it ends.
//
// Progress counts bytes (bytes_in: raw bytes read from the dump tool for a
// backup, stored bytes read back for a restore) without a total, so the bar
// measures against an estimate: for a backup the raw size of the database's
// previous good backup, for a restore the backup's stored size. Without one
// (a first backup) the bar is indeterminate until the job ends.
import * as api from '../api.js';
import { h, clear, table, badge, facts } from '../dom.js';
import * as fmt from '../format.js';
import { can } from '../session.js';
import { confirmAction } from '../dialog.js';

async function estimate(job, signal) {
  try {
    if (job.kind === 'JOB_KIND_RESTORE' && job.backup_id) {
      const { backup } = await api.get(`/v1/backups/${api.seg(job.backup_id)}`, { signal });
      return backup.manifest ? { total: fmt.num(backup.manifest.stored_size_bytes), basis: 'the backup’s stored size' } : null;
    }
    if (job.kind === 'JOB_KIND_BACKUP' && job.database) {
      const r = await api.get(`/v1/backups${api.query({ database: job.database, state: 'BACKUP_STATE_COMPLETED', page_size: 5 })}`, { signal });
      const prev = (r.backups || []).find((b) => b.id !== job.backup_id && b.manifest);
      return prev ? { total: fmt.num(prev.manifest.raw_size_bytes), basis: `the previous backup (${fmt.bytes(prev.manifest.raw_size_bytes)})` } : null;
    }
  } catch (e) {
    if (e.name === 'AbortError') throw e;
  }
  return null;
}

// Rate over the last few seconds of samples (agent's elapsed time), so a
// slow start does not drag the ETA for the whole job.
class RateMeter {
  constructor(windowS = 6) {
    this.windowS = windowS;
    this.samples = [];
  }

  add(elapsed, bytesIn) {
    const last = this.samples[this.samples.length - 1];
    if (last && elapsed <= last.t) return;
    this.samples.push({ t: elapsed, b: bytesIn });
    while (this.samples.length > 2 && elapsed - this.samples[0].t > this.windowS) this.samples.shift();
  }

  rate() {
    if (this.samples.length < 2) {
      const s = this.samples[0];
      return s && s.t > 0 ? s.b / s.t : 0;
    }
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    return (b.b - a.b) / (b.t - a.t);
  }
}

function progressView() {
  const fill = h('div.progress-fill');
  const bar = h('div.progress', {
    role: 'progressbar', 'aria-label': 'Job progress', 'aria-valuemin': '0', 'aria-valuemax': '100', 'data-test': 'progress',
  }, fill);
  const pct = h('span.progress-pct', { 'data-test': 'progress-pct' });
  const stats = h('div.progress-stats');
  const note = h('p.muted.small');
  const root = h('section.card.progress-card', { 'aria-labelledby': 'progress-h' },
    h('div.card-head', h('h2', { id: 'progress-h' }, 'Progress'), pct), bar, stats, note);
  return { root, bar, fill, pct, stats, note };
}

function updateProgress(pv, job, est, meter) {
  const p = job.progress || {};
  const bytesIn = fmt.num(p.bytes_in);
  const bytesOut = fmt.num(p.bytes_out);
  const elapsed = fmt.num(p.elapsed_s);
  meter.add(elapsed, bytesIn);
  const rate = meter.rate();
  const terminal = fmt.TERMINAL_JOB_STATES.has(job.state);
  let value = null; // percent, or null for indeterminate
  if (job.state === 'JOB_STATE_SUCCEEDED') value = 100;
  else if (est && est.total > 0) value = Math.min(99, Math.floor((bytesIn / est.total) * 100));
  else if (job.state === 'JOB_STATE_QUEUED') value = 0;
  else if (terminal) value = 0;

  pv.bar.classList.toggle('indeterminate', value === null);
  pv.bar.classList.toggle('progress-bad', terminal && job.state !== 'JOB_STATE_SUCCEEDED');
  pv.bar.classList.toggle('progress-done', job.state === 'JOB_STATE_SUCCEEDED');
  pv.bar.dataset.state = job.state;
  if (value === null) {
    pv.bar.removeAttribute('aria-valuenow');
    pv.bar.setAttribute('aria-valuetext', `${fmt.bytes(bytesIn)} read`);
    pv.fill.style.removeProperty('width');
    pv.pct.textContent = fmt.bytes(bytesIn);
  } else {
    pv.bar.setAttribute('aria-valuenow', String(value));
    pv.bar.setAttribute('aria-valuetext', `${value} %`);
    pv.fill.style.setProperty('width', `${value}%`);
    pv.pct.textContent = `${value} %`;
  }

  let eta = '—';
  if (job.state === 'JOB_STATE_RUNNING') {
    if (est && est.total > bytesIn && rate > 0) eta = fmt.duration((est.total - bytesIn) / rate);
    else if (est && rate > 0) eta = 'any moment';
    else eta = 'unknown';
  } else if (job.state === 'JOB_STATE_QUEUED') {
    eta = 'waiting for an agent';
  } else if (terminal) {
    eta = 'done';
  }
  clear(pv.stats).append(facts([
    ['State', badge(fmt.jobState(job.state), fmt.tone(job.state))],
    [job.kind === 'JOB_KIND_RESTORE' ? 'Read' : 'Read (raw)', fmt.bytes(bytesIn)],
    [job.kind === 'JOB_KIND_RESTORE' ? 'Restored' : 'Written (stored)', fmt.bytes(bytesOut)],
    ['Elapsed', fmt.duration(elapsed)],
    ['Rate', job.state === 'JOB_STATE_RUNNING' && rate > 0 ? fmt.rate(rate) : (elapsed > 0 ? fmt.rate(bytesIn / elapsed) : '—')],
    ['ETA', h('span', { 'data-test': 'eta' }, eta)],
  ]));
  pv.note.textContent = est
    ? `Percent and ETA are measured against ${est.basis}.`
    : (terminal ? '' : 'No earlier backup of this database to measure against: percent and ETA appear from its second backup on.');
}

function recordView(job) {
  const o = job.restore_options || {};
  const how = [o.test_restore && 'test restore', o.dry_run && 'dry run', o.clean && 'clean', o.no_create && 'no create',
    fmt.num(o.jobs) > 1 && `${o.jobs} workers`, o.no_owner && 'no owner', o.no_privileges && 'no privileges',
    o.owner && `owner ${o.owner}`, o.globals === 'GLOBALS_MODE_MISSING' && 'globals (missing roles)',
    o.globals === 'GLOBALS_MODE_REPLACE' && 'globals (replace roles)',
    o.no_database_settings && 'no database settings',
    o.definers === 'DEFINER_MODE_CURRENT_USER' && 'definers: current user'].filter(Boolean).join(', ');
  const r = job.restore_report;
  return h('section.card', { 'aria-labelledby': 'record-h' },
    h('h2', { id: 'record-h' }, 'Record'),
    facts([
      ['Kind', fmt.jobKind(job.kind)],
      ['Database', job.database],
      ['Agent', job.agent],
      ['Backup', job.backup_id ? h('a.mono', { href: `#/backups/${encodeURIComponent(job.backup_id)}` }, job.backup_id) : ''],
      ['Restore into', job.restore_target],
      ['Restore options', how],
      ['Schedule', job.schedule ? h('a', { href: `#/schedules/${encodeURIComponent(job.schedule)}` }, job.schedule) : ''],
      ['Attempt', fmt.num(job.attempt) > 1 ? String(job.attempt) : ''],
      ['Not before', job.not_before ? fmt.time(job.not_before) : ''],
      ['Timeout', fmt.num(job.timeout_s) ? fmt.duration(job.timeout_s) : ''],
      ['Created', fmt.time(job.created_at)],
      ['Started', job.started_at ? fmt.time(job.started_at) : ''],
      ['Finished', job.finished_at ? fmt.time(job.finished_at) : ''],
      ['Error', job.error ? h('span.error-text', job.error) : ''],
      ['Outcome', job.outcome_pending ? 'pending: asked again when the agent answers' : ''],
      ['Lost contact', job.lost_at ? fmt.time(job.lost_at) : ''],
      ['Note', job.note || ''],
      ['Result', r && r.summary],
      ['Done besides the dump', r && r.notes && r.notes.length
        ? h('ul.plain', r.notes.map((n) => h('li', n))) : ''],
    ]),
    r && (r.tables || []).length ? table([
      { title: 'Table', cell: (t) => t.name },
      { title: 'Expected rows', class: 'num', cell: (t) => (fmt.num(t.expected_rows) < 0 ? '—' : String(t.expected_rows)) },
      { title: 'Restored rows', class: 'num', cell: (t) => String(t.restored_rows) },
      { title: '', cell: (t) => (t.ok ? badge('ok', 'good') : badge('mismatch', 'bad')) },
    ], r.tables) : null);
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

export async function render({ params, signal, notify }) {
  let { job } = await api.get(`/v1/jobs/${api.seg(params.id)}`, { signal });
  const est = await estimate(job, signal);
  const meter = new RateMeter();
  const pv = progressView();
  const title = h('h1', `${job.kind === 'JOB_KIND_RESTORE' ? 'Restore' : 'Backup'} of ${job.database}`);
  const stateBadge = h('span.badges');
  const cancel = can('job.cancel') ? h('button.btn.btn-small.btn-danger', { type: 'button', 'data-test': 'job-cancel' }, 'Cancel job') : null;
  cancel?.addEventListener('click', async () => {
    const ok = await confirmAction({
      title: 'Cancel this job?',
      body: h('p', job.state === 'JOB_STATE_RUNNING'
        ? 'Its agent stops it and removes what it wrote so far; nothing is catalogued.'
        : 'It leaves the queue and never runs.'),
      confirm: 'Cancel job',
      danger: true,
    });
    if (!ok) return;
    cancel.disabled = true;
    try {
      const r = await api.post(`/v1/jobs/${api.seg(job.id)}:cancel`, {});
      if (r.job) show(r.job);
      notify(`Job ${job.id}: cancel requested`);
    } catch (e) {
      notify(e.message, 'error');
      cancel.disabled = false;
    }
  });
  const record = h('div');
  const live = h('p.live.muted', { 'aria-live': 'polite' });
  const page = h('div', { 'data-test': 'job-page' },
    h('p.crumbs', h('a', { href: '#/jobs' }, 'Jobs'), ' / ', h('span.mono', job.id)),
    h('div.title-row', title, stateBadge, cancel),
    pv.root, live, record);

  const show = (j) => {
    job = j;
    page.dataset.state = j.state;
    clear(stateBadge).append(badge(fmt.jobState(j.state), fmt.tone(j.state)));
    if (cancel) cancel.hidden = fmt.TERMINAL_JOB_STATES.has(j.state);
    updateProgress(pv, j, est, meter);
    clear(record).append(recordView(j));
  };
  show(job);

  // Follows until the job ends or the page is left; a broken stream is
  // picked up again after a pause (the record is re-read meanwhile).
  (async () => {
    let pause = 1000;
    let followed = false;
    while (!signal.aborted && !fmt.TERMINAL_JOB_STATES.has(job.state)) {
      live.textContent = 'Live: following the job.';
      followed = true;
      try {
        const last = await api.followJob(job.id, show, { signal });
        if (last) show(last);
        pause = 1000;
      } catch (e) {
        if (signal.aborted || e.name === 'AbortError') return;
        live.textContent = `Reconnecting: ${e.message}`;
        await sleep(pause, signal);
        pause = Math.min(pause * 2, 10000);
        try {
          show((await api.get(`/v1/jobs/${api.seg(job.id)}`, { signal })).job);
        } catch (e2) {
          if (signal.aborted) return;
          live.textContent = `Reconnecting: ${e2.message}`;
        }
      }
    }
    if (signal.aborted || !followed) return;
    live.textContent = '';
    if (job.state === 'JOB_STATE_SUCCEEDED') notify(`Job ${job.id} succeeded`);
    else notify(`Job ${job.id} ${fmt.jobState(job.state)}${job.error ? `: ${job.error}` : ''}`, 'error');
  })();

  return page;
}
