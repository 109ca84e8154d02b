// "Run now" and enable/disable of a schedule, shared by the list and the
// schedule's page.
import * as api from '../api.js';
import { h } from '../dom.js';
import { can } from '../session.js';
import { confirmAction } from '../dialog.js';

export function scheduleActions(s, { navigate, notify, refresh }) {
  const out = [];
  const button = (label, test, cls, fn) => {
    const b = h(`button.btn.btn-small${cls}`, { type: 'button', 'data-test': test }, label);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await fn();
      } catch (e) {
        notify(e.message, 'error');
      } finally {
        b.disabled = false;
      }
    });
    return b;
  };
  if (can('schedule.run')) {
    out.push(button('Run now', 'schedule-run', '.btn-primary', async () => {
      const ok = await confirmAction({
        title: `Run ${s.name} now?`,
        body: h('p', `A backup of ${s.database} is queued now with this schedule’s settings.`),
        confirm: 'Run now',
      });
      if (!ok) return;
      const r = await api.post(`/v1/schedules/${api.seg(s.name)}:run`);
      notify(`Backup of ${s.database} queued as job ${r.job.id}`);
      navigate(`#/jobs/${encodeURIComponent(r.job.id)}`);
    }));
  }
  if (can('schedule.enable')) {
    out.push(button(s.enabled ? 'Disable' : 'Enable', 'schedule-toggle', '', async () => {
      if (s.enabled) {
        const ok = await confirmAction({
          title: `Disable ${s.name}?`,
          body: h('p', `No backup of ${s.database} runs on this schedule until it is enabled again.`),
          confirm: 'Disable',
          danger: true,
        });
        if (!ok) return;
      }
      await api.post(`/v1/schedules/${api.seg(s.name)}:setEnabled`, { enabled: !s.enabled });
      notify(`Schedule ${s.name} ${s.enabled ? 'disabled' : 'enabled'}`);
      refresh();
    }));
  }
  return out;
}
