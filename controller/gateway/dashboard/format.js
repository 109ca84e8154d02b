// How values of the API are shown: sizes, durations, times, enum names.
// int64/uint64 fields arrive as strings (protobuf JSON); num() reads both.

export function num(v) {
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

export function bytes(v) {
  let n = num(v);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[i]}`;
}

export function rate(bytesPerSecond) {
  return `${bytes(Math.round(bytesPerSecond))}/s`;
}

// 3725 -> "1 h 2 min"; 42.5 -> "42.5 s".
export function duration(seconds) {
  let s = num(seconds);
  if (s < 0) return '—';
  if (s === 0) return '0 s';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  s = Math.round(s);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (d) return `${d} d ${hh} h`;
  if (hh) return `${hh} h ${mm} min`;
  return `${mm} min ${ss} s`;
}

export function percent(fraction) {
  return `${(num(fraction) * 100).toFixed(1)} %`;
}

// An RFC 3339 time as the browser's local time, with the zone's name.
export function time(rfc3339, { zone } = {}) {
  if (!rfc3339) return '—';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  try {
    return new Intl.DateTimeFormat(undefined, {
      year: 'numeric', month: 'short', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
      timeZone: zone, timeZoneName: 'short',
    }).format(d);
  } catch {
    return rfc3339;
  }
}

// Compact form for tables: no seconds, the year only when not this year.
export function shortTime(rfc3339, { zone } = {}) {
  if (!rfc3339) return '—';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  try {
    const opts = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: zone, timeZoneName: 'short' };
    if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
    return new Intl.DateTimeFormat(undefined, opts).format(d);
  } catch {
    return rfc3339;
  }
}

export function utc(rfc3339) {
  return time(rfc3339, { zone: 'UTC' });
}

// "5 min ago" from a time or an age in seconds.
export function ago(rfc3339OrAge) {
  const age = typeof rfc3339OrAge === 'number'
    ? rfc3339OrAge
    : (Date.now() - new Date(rfc3339OrAge).getTime()) / 1000;
  if (!Number.isFinite(age)) return '—';
  if (age < 0) return 'just now';
  return `${duration(age)} ago`;
}

// "BACKUP_STATE_COMPLETED" -> "completed" (the prefix is the enum's name).
export function enumText(value, prefix) {
  if (!value) return '—';
  const v = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return v.toLowerCase().replace(/_/g, ' ');
}

export const jobState = (v) => enumText(v, 'JOB_STATE_');
export const jobKind = (v) => enumText(v, 'JOB_KIND_');
export const backupState = (v) => enumText(v, 'BACKUP_STATE_');
export const engine = (v) => enumText(v, 'ENGINE_');
export const compression = (v) => enumText(v, 'COMPRESSION_');
export const storageKind = (v) => enumText(v, 'STORAGE_KIND_');
export const role = (v) => enumText(v, 'ROLE_');

// Badge tone of a state.
export function tone(state) {
  switch (state) {
    case 'JOB_STATE_SUCCEEDED':
    case 'BACKUP_STATE_COMPLETED':
    case 'SCHEDULE_RUN_RESULT_SUCCEEDED':
      return 'good';
    case 'JOB_STATE_FAILED':
    case 'JOB_STATE_LOST':
    case 'BACKUP_STATE_FAILED':
    case 'SCHEDULE_RUN_RESULT_FAILED':
    case 'SCHEDULE_RUN_RESULT_NOT_QUEUED':
      return 'bad';
    case 'JOB_STATE_RUNNING':
    case 'JOB_STATE_QUEUED':
    case 'SCHEDULE_RUN_RESULT_QUEUED':
    case 'SCHEDULE_RUN_RESULT_RETRYING':
      return 'busy';
    default:
      return 'neutral';
  }
}

export function ratio(raw, stored) {
  const r = num(raw);
  const st = num(stored);
  if (!st) return '—';
  return `${(r / st).toFixed(2)}×`;
}

export const TERMINAL_JOB_STATES = new Set([
  'JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_LOST',
]);
