// Schedules: when each database is backed up, in its own time zone.
import * as api from '../api.js';
import { h, table, badge } from '../dom.js';
import * as fmt from '../format.js';
import { scheduleActions } from './schedule_actions.js';

export function resultBadge(s) {
  if (!s.last_result || s.last_result === 'SCHEDULE_RUN_RESULT_UNSPECIFIED') return h('span.muted', 'not run yet');
  return badge(fmt.enumText(s.last_result, 'SCHEDULE_RUN_RESULT_'), fmt.tone(s.last_result));
}

// A time in the schedule's zone, with UTC beneath.
export function zoned(t, zone) {
  if (!t) return '—';
  const local = fmt.shortTime(t, { zone });
  const inUtc = fmt.shortTime(t, { zone: 'UTC' });
  if (local === inUtc) return h('span', { title: fmt.utc(t) }, local);
  return h('span.zoned', { title: `${fmt.time(t, { zone })} = ${fmt.utc(t)}` },
    h('span', local), h('span.muted.small', inUtc));
}

export async function render(ctx) {
  const r = await api.get('/v1/schedules', { signal: ctx.signal });
  const list = [...(r.schedules || [])].sort((a, b) => a.name.localeCompare(b.name));
  const columns = [
    { title: 'Name', cell: (s) => h('a', { href: `#/schedules/${encodeURIComponent(s.name)}` }, s.name) },
    { title: 'Database', cell: (s) => s.database },
    { title: 'When', cell: (s) => h('span.zoned', h('code', s.cron), h('span.muted.small', s.time_zone)) },
    { title: 'Enabled', cell: (s) => (s.enabled ? badge('enabled', 'good') : badge('disabled', 'neutral')) },
    { title: 'Next run', cell: (s) => (s.enabled ? zoned(s.next_run_at, s.time_zone) : '—') },
    { title: 'Last run', cell: (s) => zoned(s.last_run_at, s.time_zone) },
    { title: 'Last result', class: 'wrap', cell: (s) => h('span', { title: s.last_outcome }, resultBadge(s)) },
    { title: 'Actions', class: 'actions', cell: (s) => scheduleActions(s, ctx) },
  ];
  return h('div',
    h('h1', 'Schedules'),
    h('section.card', table(columns, list, {
      empty: 'No schedules yet: add one with dbdumpctl schedule add.',
      rowAttrs: (s) => ({ 'data-schedule': s.name }),
    })));
}
