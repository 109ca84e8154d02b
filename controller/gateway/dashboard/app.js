// The dbdump dashboard: plain ES modules loaded by the browser as they are.
// No build step and no runtime npm dependencies, on purpose: there is
// nothing to build or audit in the shipped controller, the assets are
// installed as plain files, and the page works under the gateway's strict
// Content-Security-Policy (no inline script or style, no eval, no external
// URL). Views render with dom.js (text nodes only, never innerHTML).
//
// Routing is by hash (#/backups/ID), so the controller serves one page and
// the API lives beside it under /v1.
import * as api from './api.js';
import { h, clear } from './dom.js';
import { setSession, session, can } from './session.js';
import { role as roleText } from './format.js';
import * as signin from './views/signin.js';
import * as overview from './views/overview.js';
import * as databases from './views/databases.js';
import * as backups from './views/backups.js';
import * as backup from './views/backup.js';
import * as jobs from './views/jobs.js';
import * as job from './views/job.js';
import * as schedules from './views/schedules.js';
import * as schedule from './views/schedule.js';
import * as storages from './views/storages.js';
import * as agents from './views/agents.js';
import * as audit from './views/audit.js';
import * as tokens from './views/tokens.js';

// [pattern, view, nav key]; :name segments become params.
const ROUTES = [
  ['/overview', overview, 'overview'],
  ['/databases', databases, 'databases'],
  ['/backups', backups, 'backups'],
  ['/backups/:id', backup, 'backups'],
  ['/jobs', jobs, 'jobs'],
  ['/jobs/:id', job, 'jobs'],
  ['/schedules', schedules, 'schedules'],
  ['/schedules/:name', schedule, 'schedules'],
  ['/storages', storages, 'storages'],
  ['/agents', agents, 'agents'],
  ['/audit', audit, 'audit'],
  ['/tokens', tokens, 'tokens'],
];

const NAV = [
  ['overview', 'Overview'],
  ['databases', 'Databases'],
  ['backups', 'Backups'],
  ['jobs', 'Jobs'],
  ['schedules', 'Schedules'],
  ['storages', 'Storage'],
  ['agents', 'Agents'],
  ['audit', 'Audit'],
  ['tokens', 'Tokens', 'tokens.view'],
];

// ---- theme: the system's preference unless the user picked one ----------

const THEME_KEY = 'dbdump.theme';

function effectiveTheme() {
  const chosen = localStorage.getItem(THEME_KEY);
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function applyTheme() {
  const chosen = localStorage.getItem(THEME_KEY);
  if (chosen) document.documentElement.dataset.theme = chosen;
  else delete document.documentElement.dataset.theme;
  const btn = document.getElementById('theme-toggle');
  if (btn) {
    const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
    btn.textContent = next === 'dark' ? '☾' : '☀';
    btn.setAttribute('aria-label', `Switch to the ${next} theme`);
    btn.title = `Switch to the ${next} theme`;
  }
}

function toggleTheme() {
  localStorage.setItem(THEME_KEY, effectiveTheme() === 'dark' ? 'light' : 'dark');
  applyTheme();
}

// ---- notices: one line at the top of the page -----------------------------

export function notify(message, tone = 'info') {
  const area = document.getElementById('notices');
  const n = h(`div.notice.notice-${tone}`, { role: tone === 'error' ? 'alert' : 'status' },
    h('span', message),
    h('button.notice-close', { type: 'button', 'aria-label': 'Dismiss', onclick: () => n.remove() }, '×'));
  area.append(n);
  while (area.children.length > MAX_NOTICES) area.firstElementChild.remove();
  if (tone !== 'error') setTimeout(() => n.remove(), 6000);
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---- the frame: header, navigation, the signed-in user -----------------

function renderFrame(active) {
  const header = document.getElementById('header');
  clear(header);
  const s = session();
  header.append(
    h('a.brand', { href: '#/overview' }, h('span.brand-mark', 'db'), 'dump'),
    s ? h('nav.nav', { 'aria-label': 'Main' },
      NAV.filter(([, , need]) => !need || can(need)).map(([key, label]) =>
        h('a', { href: `#/${key}`, class: key === active ? 'active' : '', 'aria-current': key === active ? 'page' : null }, label)))
      : h('span.nav-spacer'),
    h('div.header-tools',
      s ? h('span.whoami', { title: s.actor }, h('span.whoami-name', s.name), h('span.role-chip', roleText(s.role))) : null,
      h('button.icon-btn', { id: 'theme-toggle', type: 'button', onclick: toggleTheme }),
      s ? h('button.btn.btn-small', { type: 'button', onclick: signOut, 'data-test': 'signout' }, 'Sign out') : null));
  applyTheme();
}

// At most this many notices at once; the oldest goes first.
const MAX_NOTICES = 3;

function signOut() {
  clear(document.getElementById('notices'));
  api.setToken('');
  setSession(null);
  navigate('#/signin');
}

// ---- routing ----------------------------------------------------------------

function match(path) {
  for (const [pattern, view, key] of ROUTES) {
    const pp = pattern.split('/');
    const parts = path.split('/');
    if (pp.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < pp.length; i++) {
      if (pp[i].startsWith(':')) params[pp[i].slice(1)] = decodeURIComponent(parts[i]);
      else if (pp[i] !== parts[i]) ok = false;
    }
    if (ok) return { view, key, params };
  }
  return null;
}

let current = null; // AbortController of the shown view

// Learns the role of the stored token (once per page load or sign-in).
export async function loadSession() {
  const s = await api.get('/v1/session');
  setSession(s);
  return s;
}

async function route() {
  if (current) current.abort();
  const ctrl = new AbortController();
  current = ctrl;
  const raw = location.hash.replace(/^#/, '') || '/overview';
  const [path, qs] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(qs || ''));
  const main = document.getElementById('main');

  if (path !== '/signin' && !api.token()) {
    location.replace('#/signin');
    return;
  }
  if (path === '/signin') {
    setSession(null);
    renderFrame('');
    clear(main).append(signin.render({ navigate, notify, loadSession, query }));
    document.title = 'Sign in · dbdump';
    return;
  }
  if (!session()) {
    try {
      await loadSession();
    } catch (e) {
      if (ctrl.signal.aborted) return;
      if (e.status === 401) return; // onUnauthorized goes to the sign-in page
      renderFrame('');
      clear(main).append(h('div.page', h('h1', 'Cannot load the dashboard'), h('p.error-text', e.message),
        h('button.btn', { type: 'button', onclick: route }, 'Try again')));
      return;
    }
  }
  const m = match(path);
  if (!m) {
    renderFrame('');
    clear(main).append(h('div.page', h('h1', 'Not found'), h('p', `No page at ${path}.`),
      h('a', { href: '#/overview' }, 'Go to the overview')));
    return;
  }
  renderFrame(m.key);
  // data-route: which URL this page shows (tests wait for it to match).
  const page = h('div.page', { 'data-page': m.key, 'data-route': location.hash, 'aria-busy': 'true' }, h('p.loading', 'Loading…'));
  clear(main).append(page);
  try {
    const node = await m.view.render({
      params: m.params, query, signal: ctrl.signal, navigate, notify, refresh: route,
    });
    if (ctrl.signal.aborted) return;
    clear(page).append(node);
    page.removeAttribute('aria-busy');
    const h1 = page.querySelector('h1');
    document.title = `${h1 ? h1.textContent : 'dbdump'} · dbdump`;
  } catch (e) {
    if (ctrl.signal.aborted || e.name === 'AbortError') return;
    clear(page).append(h('h1', 'Something went wrong'), h('p.error-text', { role: 'alert' }, e.message),
      h('button.btn', { type: 'button', onclick: route }, 'Try again'));
    page.removeAttribute('aria-busy');
  }
}

// A refused token elsewhere than on the sign-in page (which says so itself)
// ends the session: expired or revoked tokens land back there.
api.onUnauthorized((err) => {
  if (location.hash.startsWith('#/signin')) return;
  api.setToken('');
  setSession(null);
  notify(`Signed out: ${err.message}`, 'error');
  navigate('#/signin');
});

matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
window.addEventListener('hashchange', route);
applyTheme();
route();
