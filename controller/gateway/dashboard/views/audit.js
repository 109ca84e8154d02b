// The audit log: who did what, newest first, and a check of its hash chain.
import * as api from '../api.js';
import { h, table, badge } from '../dom.js';
import * as fmt from '../format.js';

function rfc3339(local) {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export async function render({ query, signal, navigate, notify }) {
  const f = {
    actor: query.actor || '', rpc: query.rpc || '', outcome: query.outcome || '',
    since: query.since || '', until: query.until || '',
  };
  const r = await api.get(`/v1/audit${api.query({
    actor: f.actor, rpc_contains: f.rpc, outcome: f.outcome,
    since: rfc3339(f.since), until: rfc3339(f.until), limit: 200,
  })}`, { signal });
  const field = (name, label, attrs) => h('div.field', h('label', { for: `a-${name}` }, label),
    h('input', { id: `a-${name}`, name, value: f[name], ...attrs }));
  const form = h('form.filters', { 'aria-label': 'Filters' },
    field('actor', 'Actor', { placeholder: 'token:ops' }),
    field('rpc', 'Call contains', { placeholder: 'Restore' }),
    field('outcome', 'Outcome', { placeholder: 'ok' }),
    field('since', 'Since', { type: 'datetime-local' }),
    field('until', 'Until', { type: 'datetime-local' }),
    h('div.field.field-buttons', h('button.btn.btn-primary', { type: 'submit' }, 'Apply'), h('a.btn', { href: '#/audit' }, 'Reset')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    navigate(`#/audit${api.query(Object.fromEntries(new FormData(form)))}`);
  });

  const verifyResult = h('span.verify-result', { 'aria-live': 'polite' });
  const verify = h('button.btn', { type: 'button' }, 'Verify the chain');
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    try {
      const v = await api.post('/v1/audit:verify');
      const problems = v.problems || [];
      verifyResult.replaceChildren(problems.length
        ? badge(`${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => `#${p.seq} ${p.what}`).join('; ')}`, 'bad')
        : badge(`${fmt.num(v.entries_checked)} entries intact`, 'good'));
    } catch (e) {
      notify(e.message, 'error');
    } finally {
      verify.disabled = false;
    }
  });

  const entries = r.entries || [];
  return h('div',
    h('div.title-row', h('h1', 'Audit log'), h('span.badges', verify, verifyResult)),
    h('section.card', form),
    h('section.card', table([
      { title: '#', class: 'num', cell: (e) => String(e.seq) },
      { title: 'When', cell: (e) => h('span', { title: fmt.time(e.at) }, fmt.shortTime(e.at)) },
      { title: 'Actor', cell: (e) => e.actor },
      {
        title: 'Call',
        cell: (e) => {
          // "/dbdump.v1.BackupService/StartRestore": the method, its service beneath.
          const m = /^\/(?:dbdump\.v1\.)?([^/]+)\/(.+)$/.exec(e.rpc || '');
          return m ? h('span.zoned', { title: e.rpc }, h('code', m[2]), h('span.muted.small', m[1])) : h('code', e.rpc);
        },
      },
      { title: 'Target', class: 'wrap', cell: (e) => e.target },
      { title: 'Outcome', cell: (e) => badge(e.outcome, e.outcome === 'ok' ? 'good' : 'bad') },
      { title: 'Detail', class: 'wrap', cell: (e) => e.detail },
    ], entries, { empty: 'No entries match.' }),
    entries.length === 200 ? h('p.muted.small', 'The newest 200 entries; narrow the filters to see older ones.') : null));
}
