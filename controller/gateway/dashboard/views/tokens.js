// API tokens (admin only): who can call the API with which role. A new
// token's secret is shown once.
import * as api from '../api.js';
import { h, table, badge } from '../dom.js';
import * as fmt from '../format.js';
import { can, session } from '../session.js';
import { confirmAction, formDialog, showSecret } from '../dialog.js';

export async function render({ signal, notify, refresh }) {
  if (!can('tokens.view')) {
    return h('div', h('h1', 'Tokens'), h('p', 'Only admins can see API tokens.'));
  }
  const r = await api.get('/v1/tokens', { signal });
  const list = [...(r.tokens || [])].sort((a, b) => a.name.localeCompare(b.name));

  const create = async () => {
    const answer = await formDialog({
      title: 'Create an API token',
      confirm: 'Create',
      fields: [
        { name: 'name', label: 'Name', required: true, placeholder: 'ci-reader' },
        { name: 'role', label: 'Role', type: 'select', value: 'ROLE_VIEWER', options: [['ROLE_VIEWER', 'viewer (read only)'], ['ROLE_OPERATOR', 'operator (backups, verify, test restores, schedules)'], ['ROLE_ADMIN', 'admin (everything)']] },
        { name: 'ttl', label: 'Expires after (hours)', type: 'number', value: '', min: 0, placeholder: 'never', hint: 'Empty or 0: never expires.' },
      ],
    });
    if (!answer) return;
    try {
      const t = await api.post('/v1/tokens', { name: answer.name, role: answer.role, ttl_hours: Number(answer.ttl) || 0 });
      await showSecret({
        title: `Token ${t.token.name}`,
        text: 'Copy it now: it is shown only once, and only its hash is stored.',
        secret: t.secret,
      });
      refresh();
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  const revoke = async (t) => {
    const own = t.name === (session() || {}).name;
    const ok = await confirmAction({
      title: `Revoke token ${t.name}?`,
      body: [h('p', 'Calls made with it are refused from now on. This cannot be undone.'),
        own ? h('p.error-text', 'This is the token you are signed in with: you will be signed out.') : null],
      confirm: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/v1/tokens/${api.seg(t.name)}`);
      notify(`Token ${t.name} revoked`);
      refresh();
    } catch (e) {
      notify(e.message, 'error');
    }
  };

  const status = (t) => {
    if (t.revoked_at) return badge('revoked', 'bad');
    if (t.expires_at && new Date(t.expires_at) < Date.now()) return badge('expired', 'bad');
    return badge('active', 'good');
  };
  return h('div',
    h('div.title-row', h('h1', 'Tokens'),
      can('tokens.manage') ? h('button.btn.btn-primary', { type: 'button', onclick: create, 'data-test': 'token-create' }, 'Create token…') : null),
    h('section.card', table([
      { title: 'Name', cell: (t) => [t.name, t.name === (session() || {}).name ? h('span.muted', ' (you)') : null] },
      { title: 'Role', cell: (t) => fmt.role(t.role) },
      { title: 'Status', cell: status },
      { title: 'Created', cell: (t) => h('span', fmt.shortTime(t.created_at), t.created_by ? h('span.muted', ` by ${t.created_by}`) : '') },
      { title: 'Expires', cell: (t) => (t.expires_at ? fmt.shortTime(t.expires_at) : 'never') },
      { title: 'Last used', cell: (t) => (t.last_used_at ? h('span', { title: fmt.time(t.last_used_at) }, fmt.ago(t.last_used_at)) : 'never') },
      { title: 'Actions', class: 'actions', cell: (t) => (t.revoked_at || !can('tokens.manage') ? '' : h('button.btn.btn-small.btn-danger', { type: 'button', onclick: () => revoke(t) }, 'Revoke')) },
    ], list, { empty: 'No tokens.', rowAttrs: (t) => ({ 'data-token': t.name }) })));
}
