// api/routes/console/api.js: the console's only way to the server — the
// public dashboard API (docs/openapi.yaml) with the caller's credentials:
// the Clerk __session cookie (same origin) or an API key kept in this tab's
// sessionStorage and sent as a Bearer token.

const KEY = 'sentia.console.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function clearApiKey() {
  sessionStorage.removeItem(KEY);
}

// True when a credential may be present: a key in this tab or a Clerk
// session cookie (readable by scripts, as Clerk's own frontend reads it).
export function hasCredentials() {
  return Boolean(apiKey()) || document.cookie.split(';').some((c) => c.trim().startsWith('__session='));
}

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId || null;
  }

  describe() {
    const where = this.status ? `HTTP ${this.status} ${this.code}` : this.code;
    return `${where}: ${this.message}` + (this.requestId ? ` (request ${this.requestId})` : '');
  }
}

// Calls the API; resolves to the JSON document, rejects with an ApiError.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network_error', 'the API cannot be reached');
  }
  const text = await res.text();
  let doc = null;
  try {
    doc = text ? JSON.parse(text) : null;
  } catch (e) {
    doc = null;
  }
  if (!res.ok) {
    const err = (doc && doc.error) || {};
    throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || res.statusText, err.request_id);
  }
  return doc;
}

export function get(path, params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const s = qs.toString();
  return api('GET', s ? `${path}?${s}` : path);
}

export const q = encodeURIComponent;
