// Modal dialogs on the native <dialog> element: a confirmation for every
// destructive action, and small forms. Each resolves with the answer (null
// when cancelled) and removes itself.
import { h } from './dom.js';

function open(dlg) {
  document.body.append(dlg);
  dlg.showModal();
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      const v = dlg.returnValue === 'ok' ? dlg.answer : null;
      dlg.remove();
      resolve(v);
    });
  });
}

// confirmAction({title, body, confirm: 'Delete', danger: true}) -> true|null
export function confirmAction({ title, body, confirm = 'Confirm', danger = false }) {
  const dlg = h('dialog.dialog', { 'aria-labelledby': 'dlg-title' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'dlg-title' }, title),
      h('div.dialog-body', body),
      h('div.dialog-actions',
        h('button.btn', { value: 'cancel', type: 'submit' }, 'Cancel'),
        h(`button.btn.${danger ? 'btn-danger' : 'btn-primary'}`,
          { value: 'ok', type: 'submit', 'data-test': 'confirm' }, confirm))));
  dlg.answer = true;
  return open(dlg);
}

// formDialog({title, fields: [{name, label, type, value, options, hint,
// required, pattern, title}], confirm}) -> {name: value} | null
export function formDialog({ title, intro, fields, confirm = 'OK', danger = false }) {
  const inputs = {};
  const rows = fields.map((f) => {
    let input;
    const id = `dlg-${f.name}`;
    if (f.type === 'select') {
      input = h('select', { id, name: f.name },
        f.options.map(([v, label]) => h('option', { value: v, selected: v === f.value }, label)));
    } else if (f.type === 'checkbox') {
      input = h('input', { id, name: f.name, type: 'checkbox', checked: !!f.value });
    } else {
      input = h('input', {
        id, name: f.name, type: f.type || 'text', value: f.value ?? '',
        required: f.required, placeholder: f.placeholder, min: f.min, max: f.max,
        pattern: f.pattern, title: f.title,
        autocomplete: 'off', spellcheck: 'false',
      });
    }
    inputs[f.name] = input;
    return h(`div.field${f.type === 'checkbox' ? '.field-check' : ''}`,
      h('label', { for: id }, f.label), input, f.hint ? h('small.hint', f.hint) : null);
  });
  const form = h('form', { method: 'dialog' },
    h('h2', title),
    intro ? h('div.dialog-body', intro) : null,
    rows,
    h('div.dialog-actions',
      h('button.btn', { value: 'cancel', type: 'submit', formnovalidate: true }, 'Cancel'),
      h(`button.btn.${danger ? 'btn-danger' : 'btn-primary'}`,
        { value: 'ok', type: 'submit', 'data-test': 'confirm' }, confirm)));
  const dlg = h('dialog.dialog', form);
  form.addEventListener('submit', () => {
    const answer = {};
    for (const [k, el] of Object.entries(inputs)) {
      answer[k] = el.type === 'checkbox' ? el.checked : el.value.trim();
    }
    dlg.answer = answer;
  });
  return open(dlg);
}

// Shows a secret once (a new token), with a copy button.
export function showSecret({ title, text, secret }) {
  const field = h('input.secret', { readonly: true, value: secret, 'data-test': 'secret' });
  const dlg = h('dialog.dialog',
    h('form', { method: 'dialog' },
      h('h2', title),
      h('div.dialog-body', h('p', text), field),
      h('div.dialog-actions',
        h('button.btn', {
          type: 'button',
          onclick: () => navigator.clipboard?.writeText(secret).catch(() => field.select()),
        }, 'Copy'),
        h('button.btn.btn-primary', { value: 'ok', type: 'submit' }, 'Done'))));
  dlg.answer = true;
  return open(dlg);
}
