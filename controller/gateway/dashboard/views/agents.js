// Agents: which are online, their version and engines; admins enroll new
// agents (a one-time join token) and revoke old ones.
import * as api from '../api.js';
import { h, table, badge, facts } from '../dom.js';
import * as fmt from '../format.js';
import { can } from '../session.js';
import { confirmAction, formDialog, showSecret } from '../dialog.js';

export async function render({ signal, notify, refresh }) {
  const r = await api.get('/v1/agents', { signal });
  const list = [...(r.agents || [])].sort((a, b) => a.name.localeCompare(b.name));

  const enroll = async () => {
    const answer = await formDialog({
      title: 'Enroll an agent',
      confirm: 'Make join token',
      fields: [
        { name: 'name', label: 'Agent name', required: true, placeholder: 'db-host-1' },
        { name: 'ttl', label: 'Valid for (minutes)', type: 'number', value: '60', min: 1, max: 10080 },
      ],
    });
    if (!answer) return;
    try {
      const t = await api.post(`/v1/agents/${api.seg(answer.name)}:joinToken`, { ttl_minutes: Number(answer.ttl) || 0 });
      await showSecret({
        title: `Join token for ${answer.name}`,
        text: `Shown once; valid until ${fmt.time(t.expires_at)}. On the agent's host, pass it through the environment: DBDUMP_JOIN_TOKEN=… dbdump-agent --name=${answer.name} --join=env:DBDUMP_JOIN_TOKEN --ca-fingerprint=${t.ca_fingerprint}`,
        secret: t.join_token,
      });
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  const revoke = async (a) => {
    const ok = await confirmAction({
      title: `Revoke agent ${a.name}?`,
      body: h('p', 'Every certificate issued to it is revoked: its calls are refused at once and no job is sent to it. It must enroll again to come back.'),
      confirm: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      const res = await api.post(`/v1/agents/${api.seg(a.name)}:revoke`);
      notify(`Agent ${a.name} revoked (${fmt.num(res.certificates_revoked)} certificates)`);
      refresh();
    } catch (e) {
      notify(e.message, 'error');
    }
  };

  const columns = [
    { title: 'Name', cell: (a) => a.name },
    { title: 'Status', cell: (a) => (a.revoked ? badge('revoked', 'bad') : a.online ? badge('online', 'good') : badge('offline', 'bad')) },
    { title: 'Version', cell: (a) => a.version || '—' },
    { title: 'Engines', class: 'wrap', cell: (a) => (a.engines || []).map(fmt.engine).join(', ') || '—' },
    { title: 'Address', cell: (a) => h('code', a.address) },
    { title: 'Last heartbeat', cell: (a) => (a.last_heartbeat ? h('span', { title: fmt.time(a.last_heartbeat) }, fmt.ago(a.last_heartbeat)) : '—') },
    { title: 'Registered', cell: (a) => fmt.shortTime(a.registered_at) },
  ];
  if (can('agent.revoke')) {
    columns.push({
      title: 'Actions', class: 'actions',
      cell: (a) => (a.revoked ? '' : h('button.btn.btn-small.btn-danger', { type: 'button', onclick: () => revoke(a), 'data-test': 'agent-revoke' }, 'Revoke')),
    });
  }
  const online = list.filter((a) => a.online && !a.revoked).length;
  return h('div',
    h('div.title-row', h('h1', 'Agents'),
      can('agent.enroll') ? h('button.btn.btn-primary', { type: 'button', onclick: enroll, 'data-test': 'agent-enroll' }, 'Enroll agent…') : null),
    h('section.card', facts([['Online', `${online} of ${list.length}`]]),
      table(columns, list, { empty: 'No agents yet.', rowAttrs: (a) => ({ 'data-agent': a.name }) })));
}
