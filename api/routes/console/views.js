// api/routes/console/views.js: the console's pages. Each view is
// render(ctx) → {el, refresh()}: el is shown at once, refresh() loads the
// data (called on entry and every 5 s unless paused) and rejects with an
// ApiError the app shows as a banner. Everything is built with DOM calls
// (text never parsed as HTML); controls show by role, the API refuses them
// anyway.

import { api, get, q, ApiError } from './api.js';
import { lineChart, sparkline } from './charts.js';

const RANK = { viewer: 1, operator: 2, manager: 3, admin: 4 };
export const can = (ctx, role) => (RANK[ctx.role] || 0) >= RANK[role];

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

export function age(ms) {
  if (ms === null || ms === undefined) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

const time = (t) => (t ? new Date(t).toLocaleString() : '—');
const hhmm = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const num = (v, d = 0) => (v === null || v === undefined ? '—' : Number(v).toLocaleString(undefined, { maximumFractionDigits: d }));

function table(caption, headers, rows, cls) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: cls || '' }, h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'Nothing here.')))));
}

function notice(text) {
  return h('p', { class: 'notice' }, text);
}

// ---- confirmation dialog ---------------------------------------------------

// Asks with a modal <dialog>; resolves true when confirmed.
export function confirmDialog(title, text, action) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: 'danger', 'data-action': 'confirm' }, action);
    const cancel = h('button', { type: 'button', 'data-action': 'cancel' }, 'Cancel');
    const dlg = h('dialog', { class: 'confirm', 'aria-labelledby': 'dlg-title' },
      h('h2', { id: 'dlg-title' }, title), h('p', { class: 'dlg-text' }, text), h('div', { class: 'buttons' }, cancel, ok));
    const done = (v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    ok.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

async function act(ctx, label, fn) {
  try {
    const res = await fn();
    ctx.flash(label(res));
  } catch (e) {
    ctx.fail(e);
  }
  ctx.refreshNow();
}

// ---- overview --------------------------------------------------------------

function queueRow(ctx, s) {
  const cell = (field, text) => h('td', { class: 'n', 'data-queue': s.queue, 'data-field': field }, text);
  const actions = can(ctx, 'operator')
    ? h('td', {}, h('button', {
      type: 'button', class: 'small', 'data-action': s.paused ? 'resume' : 'pause', 'aria-label': `${s.paused ? 'Resume' : 'Pause'} queue ${s.queue}`,
      onclick: () => act(ctx, (r) => `Queue ${r.queue} ${r.paused ? 'paused' : 'resumed'}`,
        () => api('POST', `/api/v1/queues/${q(s.queue)}/${s.paused ? 'resume' : 'pause'}`, {})),
    }, s.paused ? 'Resume' : 'Pause'))
    : null;
  return h('tr', { 'data-queue-row': s.queue },
    h('th', { scope: 'row' }, h('a', { href: `#/queue/${q(s.queue)}` }, s.queue)),
    cell('ready', num(s.ready)), cell('delayed', num(s.delayed)), cell('active', num(s.active)),
    cell('dead', num(s.dead)), cell('paused', s.paused ? 'paused' : 'no'),
    cell('oldest_ready_age_ms', s.ready ? age(s.oldest_ready_age_ms) : '—'), cell('workers', num(s.workers)), actions);
}

function throughputChart(doc) {
  const pts = (f) => doc.points.map((p) => [Date.parse(p.t), p[f]]);
  const long = doc.window === '24h';
  return lineChart(
    [{ name: 'processed / min', cls: 's-completed', points: pts('completed') }, { name: 'failed / min', cls: 's-failed', points: pts('failed') }],
    [], { title: `Queue ${doc.queue}: jobs processed and failed per minute, last ${long ? '24 hours' : 'hour'}`, xFormat: hhmm });
}

export function overview(ctx) {
  if (!can(ctx, 'operator')) {
    return {
      el: h('section', { 'aria-labelledby': 'h-over' }, h('h1', { id: 'h-over' }, 'Overview'),
        notice(`Signed in as ${ctx.role}: queues, throughput and workers need the operator role. Integrations and Business are open to you.`)),
      refresh: async () => {},
    };
  }
  const state = { queue: null, window: '1h' };
  const stats = h('div', { id: 'queues' });
  const chart = h('div', { class: 'chart-slot', id: 'throughput' });
  const pick = h('select', { id: 'tp-queue', onchange: () => { state.queue = pick.value; view.refresh(); } });
  const win = (w, label) => h('button', {
    type: 'button', class: 'seg', 'data-window': w, 'aria-pressed': String(state.window === w),
    onclick: () => {
      state.window = w;
      for (const b of winBox.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.window === w));
      view.refresh();
    },
  }, label);
  const winBox = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Chart window' }, win('1h', 'Last hour'), win('24h', 'Last 24 hours'));
  const el = h('section', { 'aria-labelledby': 'h-over' }, h('h1', { id: 'h-over' }, 'Overview'), stats,
    h('h2', {}, 'Throughput'),
    h('div', { class: 'controls' }, h('label', { for: 'tp-queue' }, 'Queue '), pick, winBox), chart);
  const view = {
    el,
    async refresh() {
      const doc = await get('/api/v1/queues');
      const headers = ['Queue', 'Ready', 'Delayed', 'Active', 'Dead', 'Paused', 'Oldest ready', 'Workers'];
      if (can(ctx, 'operator')) headers.push('Actions');
      replace(stats, table(`Queues at ${time(doc.generated_at)}`, headers, doc.queues.map((s) => queueRow(ctx, s)), 'queues'));
      if (!doc.queues.length) return;
      if (!state.queue || !doc.queues.some((s) => s.queue === state.queue)) state.queue = doc.queues[0].queue;
      replace(pick, doc.queues.map((s) => h('option', { value: s.queue, selected: s.queue === state.queue }, s.queue)));
      const tp = await get(`/api/v1/queues/${q(state.queue)}/throughput`, { window: state.window });
      replace(chart, throughputChart(tp));
    },
  };
  return view;
}

// ---- queue view ------------------------------------------------------------

const STATES = ['ready', 'delayed', 'active', 'dead'];

function jobActions(ctx, queue, job) {
  if (!can(ctx, 'operator')) return null;
  const out = [];
  if (job.state === 'dead') {
    out.push(h('button', {
      type: 'button', class: 'small', 'data-action': 'retry', 'aria-label': `Retry job ${job.id}`,
      onclick: () => act(ctx, () => `Job ${job.id} sent back to ready`, () => api('POST', `/api/v1/queues/${q(queue)}/jobs/${q(job.id)}/retry`, {})),
    }, 'Retry'));
  }
  if (job.state !== 'active') {
    out.push(h('button', {
      type: 'button', class: 'small danger', 'data-action': 'delete', 'aria-label': `Delete job ${job.id}`,
      onclick: async () => {
        if (await confirmDialog('Delete this job?', `Job ${job.id} (${job.type}) will be deleted from ${job.state}. This cannot be undone.`, 'Delete job')) {
          await act(ctx, () => `Job ${job.id} deleted`, () => api('DELETE', `/api/v1/queues/${q(queue)}/jobs/${q(job.id)}`));
        }
      },
    }, 'Delete'));
  }
  return out;
}

function bulkDead(ctx, queue, total) {
  if (!can(ctx, 'admin') || total === 0) return null;
  const bulk = (verb, method, path, action) => h('button', {
    type: 'button', class: verb === 'Delete' ? 'danger' : '', 'data-action': action,
    onclick: async () => {
      const text = `${verb} all dead jobs of ${queue}: exactly ${total} job${total === 1 ? '' : 's'} will be ${verb === 'Delete' ? 'deleted' : 'sent back to ready'}. If the dead list no longer holds ${total}, nothing is touched.`;
      if (await confirmDialog(`${verb} ${total} dead jobs?`, text, `${verb} ${total}`)) {
        await act(ctx, (r) => `${r.touched} dead job${r.touched === 1 ? '' : 's'} ${verb === 'Delete' ? 'deleted' : 'retried'}`,
          () => api(method, path, { confirm: total }));
      }
    },
  }, `${verb} all dead (${total})`);
  return h('div', { class: 'bulk' },
    bulk('Retry', 'POST', `/api/v1/queues/${q(queue)}/dead/retry`, 'retry-all-dead'),
    bulk('Delete', 'DELETE', `/api/v1/queues/${q(queue)}/dead`, 'delete-all-dead'));
}

export function queueView(ctx, queue, params) {
  const st = { state: STATES.includes(params.get('state')) ? params.get('state') : 'ready', q: params.get('q') || '', cursor: null, trail: [] };
  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Job state' });
  const search = h('input', { id: 'job-search', type: 'search', value: st.q, maxlength: 200, placeholder: 'id, type or payload text' });
  const form = h('form', {
    class: 'controls', role: 'search',
    onsubmit: (e) => {
      e.preventDefault();
      st.q = search.value.trim();
      st.cursor = null;
      st.trail = [];
      view.refresh();
    },
  }, h('label', { for: 'job-search' }, 'Search jobs '), search, h('button', { type: 'submit' }, 'Search'));
  const list = h('div', { id: 'jobs' });
  const pager = h('div', { class: 'pager' });
  const pause = h('div', { class: 'queue-actions' });
  const el = h('section', { 'aria-labelledby': 'h-queue' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/overview' }, 'Overview'), ' › queue'),
    h('h1', { id: 'h-queue' }, `Queue ${queue}`), pause, tabs, form, list, pager);
  const view = {
    el,
    async refresh() {
      const [qs, page] = await Promise.all([
        get('/api/v1/queues'),
        get(`/api/v1/queues/${q(queue)}/jobs`, { state: st.state, q: st.q, cursor: st.cursor, limit: 25 }),
      ]);
      const stats = qs.queues.find((s) => s.queue === queue);
      replace(tabs, STATES.map((s) => h('button', {
        type: 'button', class: 'seg', 'data-state': s, 'aria-pressed': String(s === st.state),
        onclick: () => { st.state = s; st.cursor = null; st.trail = []; view.refresh(); },
      }, `${s} (${stats ? num(stats[s]) : '?'})`)));
      replace(pause, stats && can(ctx, 'operator') ? queueRow(ctx, stats).lastChild.firstChild : null,
        stats && stats.paused ? h('span', { class: 'badge warn' }, 'paused') : null);
      const rows = page.items.map((j) => h('tr', { 'data-job': j.id },
        h('td', {}, h('a', { href: `#/job/${q(queue)}/${q(j.id)}`, class: 'mono' }, j.id)),
        h('td', {}, j.type), h('td', { class: 'n' }, `${j.attempt}/${j.max_attempts}`),
        h('td', {}, time(j.created_at)), h('td', {}, time(st.state === 'delayed' ? j.run_at : j.failed_at)),
        h('td', { class: 'err' }, j.last_error || ''), can(ctx, 'operator') ? h('td', { class: 'actions' }, jobActions(ctx, queue, j)) : null));
      const headers = ['Id', 'Type', 'Attempts', 'Created', st.state === 'delayed' ? 'Due' : 'Failed', 'Last error'];
      if (can(ctx, 'operator')) headers.push('Actions');
      const what = st.q ? `${st.state} jobs matching “${st.q}”` : `${st.state} jobs`;
      replace(list, st.state === 'dead' ? bulkDead(ctx, queue, page.total) : null,
        table(`${what}: ${page.items.length} shown of ${num(page.total)} ${st.state}`, headers, rows, 'jobs'),
        page.skipped_malformed ? notice(`${page.skipped_malformed} malformed envelope(s) skipped.`) : null);
      replace(pager,
        st.trail.length ? h('button', { type: 'button', onclick: () => { st.cursor = st.trail.pop() || null; view.refresh(); } }, 'Previous page') : null,
        page.next_cursor ? h('button', { type: 'button', onclick: () => { st.trail.push(st.cursor); st.cursor = page.next_cursor; view.refresh(); } }, 'Next page') : null);
    },
  };
  return view;
}

// ---- job detail ------------------------------------------------------------

export function jobView(ctx, queue, id) {
  const body = h('div', {});
  const el = h('section', { 'aria-labelledby': 'h-job' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/overview' }, 'Overview'), ' › ', h('a', { href: `#/queue/${q(queue)}` }, `queue ${queue}`), ' › job'),
    h('h1', { id: 'h-job' }, `Job ${id}`), body);
  return {
    el,
    async refresh() {
      let j;
      try {
        j = await get(`/api/v1/queues/${q(queue)}/jobs/${q(id)}`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          replace(body, notice('This job is no longer in the queue (it finished, was deleted or moved on).'));
          return;
        }
        throw e;
      }
      const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
      replace(body, h('div', { class: 'actions' }, jobActions(ctx, queue, j)),
        h('dl', { class: 'facts' }, row('State', j.state), row('Type', j.type), row('Attempts', `${j.attempt} of ${j.max_attempts}`),
          row('Created', time(j.created_at)), row('Due', time(j.run_at)), row('Failed', time(j.failed_at)),
          row('Worker', j.worker || '—'), row('Dedup key', j.dedup_key || '—'), row('Request id', j.request_id || '—'),
          row('Last error', j.last_error ? h('pre', { class: 'err' }, j.last_error) : '—')),
        h('h2', {}, 'Envelope'), h('pre', { class: 'json', tabindex: '0' }, JSON.stringify(j.envelope, null, 2)));
    },
  };
}

// ---- workers ---------------------------------------------------------------

export function workersView(ctx) {
  const list = h('div', {});
  return {
    el: h('section', { 'aria-labelledby': 'h-workers' }, h('h1', { id: 'h-workers' }, 'Workers'), list),
    async refresh() {
      const doc = await get('/api/v1/workers');
      const rows = doc.workers.map((w) => h('tr', { 'data-worker': w.id },
        h('th', { scope: 'row' }, w.host), h('td', { class: 'n' }, w.pid), h('td', {}, w.version),
        h('td', {}, w.queues.map((x) => `${x.queue} × ${x.slots}`).join(', ')),
        h('td', { class: 'n' }, `${w.in_flight} / ${w.concurrency}`),
        h('td', { class: w.heartbeat_age_ms > 30000 ? 'n bad' : 'n' }, age(w.heartbeat_age_ms)),
        h('td', {}, w.postgres || '—'), h('td', {}, time(w.started_at))));
      replace(list, table(`${doc.workers.length} live worker(s) at ${time(doc.generated_at)}`,
        ['Host', 'PID', 'Version', 'Queues and slots', 'In flight', 'Last heartbeat', 'Postgres', 'Started'], rows));
    },
  };
}

// ---- integrations ----------------------------------------------------------

export function integrationsView(ctx) {
  const body = h('div', {});
  return {
    el: h('section', { 'aria-labelledby': 'h-int' }, h('h1', { id: 'h-int' }, 'Integrations'), body),
    async refresh() {
      const doc = await get('/api/v1/integrations');
      const promise = Math.round(doc.promise_s / 60);
      const rows = [];
      for (const [src, s] of Object.entries(doc.sources)) {
        // the default account's resources, then each store's or marketplace's
        const res = Object.entries(s.resources || {}).map(([name, r]) => [src, name, r]);
        for (const [acct, rs] of Object.entries(s.accounts || {})) {
          for (const [name, r] of Object.entries(rs)) res.push([`${src} ${acct}`, name, r]);
        }
        if (!res.length) {
          rows.push(h('tr', {}, h('th', { scope: 'row' }, src), h('td', {}, '—'),
            h('td', { colspan: 4 }, h('span', { class: 'badge' }, s.status.replace('_', ' ')), s.missing ? ` missing ${s.missing}` : '')));
        }
        for (const [label, name, r] of res) {
          const badge = r.running ? h('span', { class: 'badge' }, 'running') : null;
          const fresh = r.freshness_s === null ? h('span', { class: 'badge bad' }, 'never synced')
            : h('span', { class: r.stale ? 'badge bad' : 'badge ok' }, `${age(r.freshness_s * 1000)} ${r.stale ? 'stale' : 'fresh'}`);
          rows.push(h('tr', { 'data-resource': `${label.replace(' ', '/')}/${name}` }, h('th', { scope: 'row' }, label), h('td', {}, name),
            h('td', {}, fresh, badge), h('td', {}, time(r.last_success_ms)), h('td', { class: 'n' }, num(r.last_run_rows)),
            h('td', { class: 'err' }, r.last_error ? `${r.last_error} (${time(r.last_error_ms)})` : '—')));
        }
      }
      replace(body, h('p', { class: doc.ok ? 'status ok' : 'status bad' },
        doc.ok ? `Every configured resource synced within the ${promise}-minute promise.` : `Some resources are outside the ${promise}-minute promise.`),
      table(`Sources at ${time(doc.generated_ms)}`, ['Source', 'Resource', 'Freshness', 'Last success', 'Rows last run', 'Last error'], rows));
    },
  };
}

// ---- business --------------------------------------------------------------

const TILES = [
  ['ccc', 'Cash conversion cycle', 'days'], ['dso', 'Days sales outstanding', 'days'], ['dio', 'Days inventory outstanding', 'days'],
  ['dpo', 'Days payables outstanding', 'days'], ['receivables', 'Receivables', 'money'], ['payables', 'Payables', 'money'],
  ['inventory_value', 'Inventory value', 'money'],
];

function tiles(wc) {
  const latest = wc.latest;
  if (!latest) return notice('No working-capital snapshot yet (run the working-capital job).');
  const cur = latest.base_currency || '';
  return h('div', { class: 'tiles' }, TILES.map(([f, label, kind]) => {
    const series = wc.history.map((s) => Number(s[f])).filter((v) => isFinite(v));
    const v = latest[f];
    const first = series.length ? series[0] : null;
    const delta = v !== null && first !== null ? Number(v) - first : null;
    const shown = v === null ? '—' : kind === 'money' ? `${cur} ${num(v, 2)}` : `${num(v, 1)} d`;
    return h('div', { class: 'tile', 'data-tile': f }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, shown),
      sparkline(series, `${label} over ${series.length} day(s)`),
      h('div', { class: 'tile-trend' }, delta === null || series.length < 2 ? 'no trend yet'
        : `${delta >= 0 ? '+' : '−'}${num(Math.abs(delta), kind === 'money' ? 2 : 1)} since ${wc.history[0].as_of}`));
  }));
}

function forecastChart(item) {
  const t = (d) => Date.parse(`${d}T00:00:00Z`);
  const per = item.periods;
  const hist = (item.history || []).map((p) => [t(p.period_start), p.quantity]);
  const band = (lo, hi) => ({ lo: per.map((p) => [t(p.period_start), p[lo]]), hi: per.map((p) => [t(p.period_start), p[hi]]) });
  return lineChart(
    [{ name: 'history', cls: 's-history', points: hist }, { name: 'forecast', cls: 's-forecast', points: per.map((p) => [t(p.period_start), p.point]) }],
    [{ name: '95 % band', cls: 'b95', ...band('lo95', 'hi95') }, { name: '80 % band', cls: 'b80', ...band('lo80', 'hi80') }],
    { title: `SKU ${item.sku}: demand history and forecast (${item.method}, ${item.model}) with 80 % and 95 % bands`, xFormat: day });
}

export function businessView(ctx) {
  const st = { sku: null };
  const wcBox = h('div', {});
  const pick = h('select', { id: 'sku', onchange: () => { st.sku = pick.value; view.refresh(); } });
  const chart = h('div', { class: 'chart-slot', id: 'forecast' });
  const runBox = h('p', { class: 'muted' });
  const skuBox = h('div', { class: 'controls' }, h('label', { for: 'sku' }, 'SKU '), pick);
  const recs = h('div', {});
  const el = h('section', { 'aria-labelledby': 'h-biz' }, h('h1', { id: 'h-biz' }, 'Business'),
    h('h2', {}, 'Working capital'), wcBox,
    h('h2', {}, 'Forecast'), runBox, skuBox, chart,
    h('h2', {}, 'Stock that needs an order'), recs);
  const view = {
    el,
    async refresh() {
      const [wc, fc, rec] = await Promise.all([
        get('/api/v1/working-capital'), get('/api/v1/forecasts', { limit: 200 }), get('/api/v1/stock/recommendations', { needs_order: 'true', limit: 200 }),
      ]);
      replace(wcBox, tiles(wc));
      if (!fc.run || !fc.items.length) {
        replace(runBox, 'No forecast run yet.');
        skuBox.hidden = true;
        replace(chart);
      } else {
        skuBox.hidden = false;
        replace(runBox, `Run ${fc.run.id} of ${fc.run.as_of}: ${fc.run.horizon} ${fc.run.bucket} buckets from ${fc.run.origin}.`);
        if (!st.sku || !fc.items.some((i) => i.sku === st.sku)) st.sku = fc.items[0].sku;
        replace(pick, fc.items.map((i) => h('option', { value: i.sku, selected: i.sku === st.sku }, i.sku)));
        const one = await get('/api/v1/forecasts', { sku: st.sku, history: 'true' });
        if (one.items.length) replace(chart, forecastChart(one.items[0]));
      }
      const rows = rec.items.map((r) => h('tr', { 'data-sku': r.sku },
        h('th', { scope: 'row' }, r.sku), h('td', {}, r.location), h('td', { class: 'n' }, num(r.suggested_order)),
        h('td', { class: 'n' }, num(r.inventory_position, 1)), h('td', { class: 'n' }, num(r.reorder_point, 1)),
        h('td', { class: 'n' }, num(r.safety_stock, 1)), h('td', { class: 'n' }, `${num(r.lead_time_days, 1)} d`)));
      replace(recs, table(rec.run ? `Recommendations of run ${rec.run.id}` : 'No recommendations yet',
        ['SKU', 'Location', 'Order', 'Position', 'Reorder point', 'Safety stock', 'Lead time'], rows));
    },
  };
  return view;
}
