// One schedule: its settings, retention rules and next runs shown in the
// schedule's own time zone and in UTC.
import * as api from '../api.js';
import { h, table, badge, facts } from '../dom.js';
import * as fmt from '../format.js';
import { scheduleActions } from './schedule_actions.js';
import { resultBadge, zoned } from './schedules.js';

function retentionText(r) {
  if (!r) return 'keep everything';
  const parts = [
    fmt.num(r.keep_last) && `last ${r.keep_last}`,
    fmt.num(r.keep_within_s) && `everything younger than ${fmt.duration(fmt.num(r.keep_within_s))}`,
    fmt.num(r.keep_daily) && `${r.keep_daily} daily`,
    fmt.num(r.keep_weekly) && `${r.keep_weekly} weekly`,
    fmt.num(r.keep_monthly) && `${r.keep_monthly} monthly`,
    fmt.num(r.keep_yearly) && `${r.keep_yearly} yearly`,
  ].filter(Boolean);
  return parts.length ? `keep ${parts.join(', ')}` : 'keep everything';
}

export async function render(ctx) {
  const { schedule: s } = await api.get(`/v1/schedules/${api.seg(ctx.params.name)}?next_runs=5`, { signal: ctx.signal });
  const actions = scheduleActions(s, ctx);
  return h('div',
    h('p.crumbs', h('a', { href: '#/schedules' }, 'Schedules'), ' / ', s.name),
    h('div.title-row', h('h1', s.name), h('span.badges', s.enabled ? badge('enabled', 'good') : badge('disabled', 'neutral'))),
    actions.length ? h('div.actions-bar', actions) : null,
    h('section.card',
      facts([
        ['Database', h('a', { href: `#/backups?database=${encodeURIComponent(s.database)}` }, s.database)],
        ['Cron', h('code', s.cron)],
        ['Time zone', s.time_zone],
        ['Compression', `${fmt.compression(s.compression)}${s.compression_level ? ` level ${s.compression_level}` : ''}`],
        ['Retention', retentionText(s.retention)],
        ['Attempts', String(Math.max(1, fmt.num(s.max_attempts)))],
        ['Retry backoff', fmt.duration(fmt.num(s.retry_backoff_s) || 60)],
        ['Timeout', fmt.num(s.timeout_s) ? fmt.duration(s.timeout_s) : 'none'],
        ['Verify', s.verify_cron ? h('span', h('code', s.verify_cron), s.next_verify_at ? h('span.muted', ` next ${fmt.time(s.next_verify_at, { zone: s.time_zone })}`) : '') : 'not on a schedule'],
        ['Last run', s.last_run_at ? zoned(s.last_run_at, s.time_zone) : 'never'],
        ['Last result', h('span', resultBadge(s), s.last_outcome ? h('span.muted', ` ${s.last_outcome}`) : '')],
        ['Last job', s.last_job_id ? h('a.mono', { href: `#/jobs/${encodeURIComponent(s.last_job_id)}` }, s.last_job_id) : ''],
        ['Created', fmt.time(s.created_at)],
      ])),
    h('section.card', { 'aria-labelledby': 'next-h' },
      h('h2', { id: 'next-h' }, 'Next runs'),
      s.enabled ? null : h('p.muted', 'Disabled: these runs happen only once it is enabled again.'),
      table([
        { title: `In ${s.time_zone}`, cell: (t) => fmt.time(t, { zone: s.time_zone }) },
        { title: 'UTC', cell: (t) => fmt.utc(t) },
        { title: 'From now', cell: (t) => `in ${fmt.duration((new Date(t) - Date.now()) / 1000)}` },
      ], s.next_runs || [], { empty: 'No next runs.' })));
}
