// Sign in with an API token. The token is kept in sessionStorage only (gone
// when the tab closes) and sent as a bearer header on every call.
import * as api from '../api.js';
import { h } from '../dom.js';

export function render({ navigate, loadSession }) {
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off',
    spellcheck: 'false', placeholder: 'dbdt_…', 'aria-describedby': 'token-hint',
  });
  const error = h('p.error-text', { role: 'alert', hidden: true });
  const button = h('button.btn.btn-primary', { type: 'submit' }, 'Sign in');
  const form = h('form.signin-form', { autocomplete: 'off' },
    h('h1', 'Sign in'),
    h('div.field',
      h('label', { for: 'token' }, 'API token'),
      input,
      h('small.hint', { id: 'token-hint' },
        'Paste a token made with ', h('code', 'dbdumpctl token create NAME --role=viewer|operator|admin'),
        '. It is kept in this tab only, until you sign out or close it.')),
    error,
    button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    button.disabled = true;
    error.hidden = true;
    api.setToken(value);
    try {
      await loadSession();
      navigate('#/overview');
    } catch (e) {
      api.setToken('');
      error.textContent = e.status === 401 || e.status === 403
        ? `This token was refused: ${e.message}` : e.message;
      error.hidden = false;
      button.disabled = false;
      input.focus();
    }
  });
  queueMicrotask(() => input.focus());
  return h('div.signin', h('div.signin-card', h('div.brand.brand-large', h('span.brand-mark', 'db'), 'dump'), form));
}
