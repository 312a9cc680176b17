// api/routes/console/app.js: the console's shell — sign-in (Clerk cookie or
// an API key kept in sessionStorage for this tab), the hash router, the
// 5-second refresh with its pause control and last-refresh time, and the
// banner that shows an API or Redis failure instead of a blank page.

import { api, apiKey, setApiKey, clearApiKey, hasCredentials, ApiError } from './api.js';
import { h, can, overview, queueView, jobView, workersView, integrationsView, businessView } from './views.js';

const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);

const app = { role: null, view: null, timer: null, paused: false, busy: false, flashTimer: null };

const ctx = {
  get role() {
    return app.role;
  },
  flash(text) {
    showBanner(text, 'info');
    clearTimeout(app.flashTimer);
    app.flashTimer = setTimeout(() => hideBanner('info'), 4000);
  },
  fail(e) {
    showError(e, 'action');
  },
  refreshNow() {
    refresh();
  },
};

function showBanner(text, kind) {
  const b = $('banner');
  b.textContent = text;
  b.className = `banner ${kind}`;
  b.dataset.kind = kind;
  b.hidden = false;
}

function hideBanner(kind) {
  const b = $('banner');
  if (!kind || b.dataset.kind === kind) b.hidden = true;
}

// kind 'error': a refresh failed (a later good refresh hides it); 'action':
// a command failed (stays until the next command or page).
function showError(e, kind = 'error') {
  if (e instanceof ApiError && (e.status === 401 || e.status === 403) && e.code !== 'forbidden') {
    signedOut(e.code === 'token_expired' ? 'Your session expired: sign in again.' : 'The API no longer accepts these credentials.');
    return;
  }
  const what = e instanceof ApiError ? e.describe() : String(e);
  const redis = e instanceof ApiError && e.code.startsWith('redis');
  if (kind === 'action') showBanner(`The command failed — ${what}.`, 'error action');
  else showBanner(`${redis ? 'Redis is unavailable' : 'The API failed'} — ${what}. Showing the last data; retrying every 5 s.`, 'error');
}

// ---- sign-in -----------------------------------------------------------------

function signedOut(message) {
  clearApiKey();
  app.role = null;
  app.view = null;
  $('nav').hidden = true;
  $('session').hidden = true;
  hideBanner();
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h('form', {
    class: 'signin', 'aria-labelledby': 'h-signin',
    onsubmit: (e) => {
      e.preventDefault();
      setApiKey(input.value.trim());
      start();
    },
  },
  h('h1', { id: 'h-signin' }, 'Sign in to Sentia'),
  message ? h('p', { class: 'notice', role: 'status' }, message) : null,
  h('p', {}, 'Signed-in dashboard users are recognised automatically. Otherwise paste an API key (sentia-admin keys create); it is kept for this tab only.'),
  h('label', { for: 'api-key' }, 'API key'), input,
  h('button', { type: 'submit' }, 'Sign in'));
  $('main').replaceChildren(form);
  input.focus();
}

async function start() {
  if (!hasCredentials()) {
    signedOut(null);
    return;
  }
  let me;
  try {
    me = await api('GET', '/api/v1/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signedOut(apiKey() ? 'That API key was refused.' : 'Your session is not valid any more: sign in again.');
    } else if (e instanceof ApiError && e.status === 403) {
      signedOut('Signed in, no role: ask an admin for one.');
    } else {
      $('main').replaceChildren(h('p', { class: 'notice' }, 'The API cannot be reached right now.'));
      showError(e);
      setTimeout(start, REFRESH_MS);
    }
    return;
  }
  app.role = me.role;
  $('who').textContent = `${me.subject} · ${me.role}`;
  $('who').dataset.role = me.role;
  for (const a of $('nav').querySelectorAll('a')) a.hidden = Boolean(a.dataset.minRole) && !can(ctx, a.dataset.minRole);
  $('nav').hidden = false;
  $('session').hidden = false;
  route();
}

// ---- routing and refresh -------------------------------------------------------

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query || '') };
}

function viewFor(parts, params) {
  switch (parts[0]) {
    case 'queue': return can(ctx, 'operator') && parts[1] ? queueView(ctx, parts[1], params) : null;
    case 'job': return can(ctx, 'operator') && parts[2] ? jobView(ctx, parts[1], parts[2]) : null;
    case 'workers': return can(ctx, 'operator') ? workersView(ctx) : null;
    case 'integrations': return integrationsView(ctx);
    case 'business': return businessView(ctx);
    default: return null;
  }
}

function route() {
  if (!app.role) return;
  const { parts, params } = parseHash();
  const view = viewFor(parts, params) || overview(ctx);
  const page = ['queue', 'job'].includes(parts[0]) ? 'overview' : parts[0] || 'overview';
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  app.view = view;
  hideBanner();
  $('main').replaceChildren(view.el);
  refresh();
}

async function refresh() {
  clearTimeout(app.timer);
  const view = app.view;
  if (!view) return;
  if (document.querySelector('dialog[open]')) {
    schedule();
    return;
  }
  try {
    await view.refresh();
    if (view !== app.view) return;
    hideBanner('error');
    const now = new Date();
    $('main').dataset.loaded = location.hash;
    $('refreshed').textContent = `Last refresh ${now.toLocaleTimeString()}`;
    $('refreshed').dataset.at = now.toISOString();
  } catch (e) {
    if (view === app.view) showError(e);
  }
  if (view === app.view) schedule();
}

function schedule() {
  clearTimeout(app.timer);
  if (!app.paused) app.timer = setTimeout(refresh, REFRESH_MS);
}

function togglePause() {
  app.paused = !app.paused;
  const b = $('pause');
  b.setAttribute('aria-pressed', String(app.paused));
  b.textContent = app.paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
  if (app.paused) clearTimeout(app.timer);
  else refresh();
}

// A key handed over in the URL (./dev run prints /console#key=…) goes to
// sessionStorage and leaves the address bar and history at once.
function takeKeyFromUrl() {
  const m = /^#key=([^&]+)/.exec(location.hash);
  if (!m) return;
  setApiKey(decodeURIComponent(m[1]));
  history.replaceState(null, '', `${location.pathname}#/overview`);
}

function main() {
  takeKeyFromUrl();
  $('pause').addEventListener('click', togglePause);
  $('signout').addEventListener('click', () => {
    clearTimeout(app.timer);
    signedOut('Signed out.');
  });
  window.addEventListener('hashchange', route);
  start();
}

main();
