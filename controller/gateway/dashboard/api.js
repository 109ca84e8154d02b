// The controller's HTTP/JSON gateway as the dashboard calls it: every call
// carries the API token as a bearer header; errors are google.rpc.Status
// bodies whose message is shown to the user as it is.

const TOKEN_KEY = 'dbdump.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// An error answer of the gateway (or a network failure, code 14 UNAVAILABLE).
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Listeners told when the gateway refuses the token (401), so the app can
// go back to the sign-in page.
const unauthorizedListeners = new Set();
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
}

function headers(extra) {
  const h = { Accept: 'application/json', ...extra };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function errorOf(resp) {
  let code = 2;
  let message = `${resp.status} ${resp.statusText}`.trim();
  try {
    const body = await resp.json();
    if (body && typeof body.message === 'string' && body.message) message = body.message;
    if (body && Number.isInteger(body.code)) code = body.code;
  } catch {
    // Not JSON (a proxy's page): the HTTP status is all there is to say.
  }
  return new ApiError(resp.status, code, message);
}

// Query string of the set fields of params (empty strings and undefined
// are left out, as the gateway treats a missing field as its default).
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function call(method, path, body, { signal } = {}) {
  const init = { method, headers: headers(), signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 14, `cannot reach the controller: ${e.message}`);
  }
  if (!resp.ok) {
    const err = await errorOf(resp);
    if (resp.status === 401) unauthorizedListeners.forEach((fn) => fn(err));
    throw err;
  }
  const text = await resp.text();
  return text ? JSON.parse(text) : {};
}

export const get = (path, opts) => call('GET', path, undefined, opts);
// Routes declared with `body: "*"` take a JSON body (pass {} for none);
// the others (e.g. :verify, :run, :revoke) take none at all.
export const post = (path, body, opts) => call('POST', path, body, opts);
export const del = (path, opts) => call('DELETE', path, undefined, opts);

// Path segment of a resource name or id.
export const seg = (s) => encodeURIComponent(s);

// Follows a job's Server-Sent Events stream (GET /v1/jobs/{id}:follow) with
// fetch, so the token travels in the Authorization header rather than in the
// URL. onJob gets each Job; resolves with the last one when the stream ends
// ("event: end"); rejects with an ApiError on "event: error" or a broken
// stream. Abort with signal.
export async function followJob(id, onJob, { signal } = {}) {
  let resp;
  try {
    resp = await fetch(`/v1/jobs/${seg(id)}:follow`, {
      headers: headers({ Accept: 'text/event-stream' }),
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 14, `cannot reach the controller: ${e.message}`);
  }
  if (!resp.ok) throw await errorOf(resp);
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last = null;
  let event = 'message';
  let data = [];
  // One event ends at a blank line; "event:" names it, "data:" lines join
  // with newlines; lines starting with ":" are comments (keep-alives).
  const dispatch = () => {
    if (data.length === 0) {
      event = 'message';
      return false;
    }
    const payload = data.join('\n');
    const name = event;
    event = 'message';
    data = [];
    if (name === 'job') {
      const msg = JSON.parse(payload);
      last = msg.job || msg;
      onJob(last);
    } else if (name === 'error') {
      let status = {};
      try {
        status = JSON.parse(payload);
      } catch {
        status = { message: payload };
      }
      throw new ApiError(200, status.code ?? 2, status.message || 'the job stream failed');
    } else if (name === 'end') {
      return true;
    }
    return false;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone CR at the end may be the first half of a CRLF split across reads.
      if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (dispatch()) {
          reader.cancel().catch(() => {});
          return last;
        }
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (field === 'event') event = val;
      else if (field === 'data') data.push(val);
    }
  }
  // The stream closed without "event: end": say so, the caller retries.
  throw new ApiError(0, 14, 'the job stream ended early');
}
