import { createHash } from 'node:crypto';

/** How often the status page asks /status.json for new figures. */
export const STATUS_PAGE_REFRESH_MS = 2_000;

/**
 * The status page's script: asks for an sre's operator token (kept in sessionStorage, for this tab),
 * then renders GET /status.json every few seconds with it (services, consumer groups, P_success /
 * P_settlement / P_risk with SVG sparklines, breakers, dead letters). Read-only: it sends nothing but
 * GETs; its one form keeps the token in the tab.
 */
const STATUS_PAGE_SCRIPT = `
(() => {
  const RATIOS = [['p_success', 'P_success'], ['p_settlement', 'P_settlement'], ['p_risk', 'P_risk']];
  const TOKEN_KEY = 'paystream-ops-token';
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const pct = (v) => (v === null || v === undefined ? '–' : (v * 100).toFixed(1) + ' %');
  const rows = (id, html, empty) => {
    document.querySelector('#' + id + ' tbody').innerHTML = html || '<tr><td class="empty" colspan="4">' + empty + '</td></tr>';
  };
  const spark = (points) => {
    if (points.length === 0) return '<svg viewBox="0 0 300 40" preserveAspectRatio="none"></svg>';
    const t0 = Date.parse(points[0].at);
    const span = Math.max(1, Date.parse(points[points.length - 1].at) - t0);
    const xy = points.map((p) => ((Date.parse(p.at) - t0) / span * 296 + 2).toFixed(1) + ',' + (38 - p.value * 36).toFixed(1));
    if (xy.length === 1) xy.push('298,' + xy[0].split(',')[1]);
    return '<svg viewBox="0 0 300 40" preserveAspectRatio="none"><line x1="0" x2="300" y1="2" y2="2" stroke="#e3e6ec"/><line x1="0" x2="300" y1="38" y2="38" stroke="#e3e6ec"/>'
      + '<polyline fill="none" stroke="#1a73e8" stroke-width="1.5" points="' + xy.join(' ') + '"/></svg>';
  };
  const render = (s) => {
    document.getElementById('updated').textContent = s.generatedAt ? new Date(s.generatedAt).toLocaleTimeString() : '–';
    document.getElementById('error').textContent = s.clusterError ? 'cluster read failed: ' + s.clusterError : '';
    rows('services', s.services.map((x) => '<tr data-service="' + esc(x.service) + '"><td>' + esc(x.service) + '</td><td class="health ' + (x.up ? 'up' : 'down') + '" title="' + esc(x.detail || x.metricsDetail || '') + '">' + (x.up ? 'up' : 'down') + '</td></tr>').join(''), 'no services configured');
    document.getElementById('ratios').innerHTML = RATIOS.map(([key, label]) => {
      const r = s.ratios[key];
      return '<div class="ratio" data-ratio="' + key + '"><span class="name">' + label + '</span><span class="value">' + pct(r.latest) + '</span>' + spark(r.points) + '</div>';
    }).join('');
    rows('groups', s.groups.map((g) => '<tr data-group="' + esc(g.group) + '"><td>' + esc(g.group) + '</td><td class="num lag">' + g.lagTotal + '</td><td class="num members">' + g.members
      + '</td><td class="state ' + (g.stalled ? 'stalled' : 'ok') + '">' + (g.stalled ? 'stalled (' + esc(g.stallReason) + ')' : 'ok') + '</td></tr>').join(''), 'no consumer groups');
    rows('breakers', s.breakers.map((b) => '<tr data-breaker="' + esc(b.channel + '/' + b.operation) + '"><td>' + esc(b.channel) + '</td><td>' + esc(b.operation) + '</td><td class="state ' + esc(b.state) + '">' + esc(b.state) + '</td></tr>').join(''), 'no channel called yet');
    rows('dlq', s.dlq.map((d) => '<tr data-topic="' + esc(d.topic) + '"><td>' + esc(d.topic) + '</td><td class="num messages ' + (d.messages > 0 ? 'warn' : '') + '">' + d.messages + '</td></tr>').join(''), 'no dead-letter topics');
    document.body.dataset.generatedAt = s.generatedAt || '';
  };
  // the figures are an sre's (GET /status.json needs an operator token with the sre role): the token is
  // kept for this tab only; one handed over in the fragment (#token=..., never sent to the server) is
  // taken and wiped from the address bar
  const takeHandedToken = () => {
    const handed = /^#token=(.+)$/.exec(location.hash);
    if (!handed) return false;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(handed[1]));
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  };
  takeHandedToken();
  const form = document.getElementById('token-form');
  const ask = (why) => {
    document.body.dataset.auth = 'needed';
    document.getElementById('figures').hidden = true;
    form.hidden = false;
    document.getElementById('token-error').textContent = why;
  };
  const refresh = async () => {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return ask('');
    try {
      const res = await fetch('/status.json', { cache: 'no-store', headers: { authorization: 'Bearer ' + token } });
      if (res.status === 401 || res.status === 403) {
        sessionStorage.removeItem(TOKEN_KEY);
        const code = ((await res.json().catch(() => ({}))).error || {}).code || res.status;
        return ask(res.status === 403 ? 'this token has no sre role (' + code + ')' : 'this token was refused (' + code + ')');
      }
      if (!res.ok) throw new Error('HTTP ' + res.status);
      form.hidden = true;
      document.getElementById('figures').hidden = false;
      document.body.dataset.auth = 'ok';
      render(await res.json());
    } catch (e) {
      document.getElementById('error').textContent = 'ops did not answer: ' + e.message;
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('token');
    const token = input.value.trim();
    input.value = '';
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    refresh();
  });
  window.addEventListener('hashchange', () => {
    if (takeHandedToken()) refresh();
  });
  document.getElementById('forget').addEventListener('click', (e) => {
    e.preventDefault();
    sessionStorage.removeItem(TOKEN_KEY);
    ask('');
  });
  refresh();
  setInterval(refresh, ${STATUS_PAGE_REFRESH_MS});
})();
`;

/**
 * The status page's Content-Security-Policy: no script but its own (by hash), no request but to ops,
 * no framing (the token field cannot be overlaid), no form posted anywhere.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(STATUS_PAGE_SCRIPT, 'utf8').digest('base64')}'`,
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * The status page: static HTML, public, with no figure in it: its script fetches them from
 * GET /status.json (operator:sre) with the token the reader gives it.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Paystream ops</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2433; background: #f5f6f8; }
  body { margin: 0 auto; max-width: 1100px; padding: 16px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 0 0 8px; color: #46506a; }
  .meta { color: #6b7489; font-size: 12px; margin-bottom: 12px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; }
  section { background: #fff; border-radius: 8px; padding: 12px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef0f4; }
  th { color: #6b7489; font-weight: 500; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  td.state { white-space: nowrap; }
  .up, .closed, .ok { color: #137333; font-weight: 600; }
  .down, .open, .stalled { color: #c5221f; font-weight: 600; }
  .half-open, .warn { color: #b06000; font-weight: 600; }
  .ratio { display: flex; align-items: center; gap: 12px; margin-bottom: 8px; }
  .ratio .name { width: 110px; font-size: 13px; color: #46506a; }
  .ratio .value { width: 90px; white-space: nowrap; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .ratio svg { flex: 1; height: 40px; background: #fafbfc; border-radius: 4px; }
  .error { color: #c5221f; font-size: 12px; }
  .empty { color: #9aa1b2; font-size: 12px; }
  [hidden] { display: none !important; }
  form { background: #fff; border-radius: 8px; padding: 12px; margin-bottom: 12px; font-size: 13px; }
  form input { width: 420px; font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>Paystream ops</h1>
<div class="meta">updated <span id="updated">–</span> · refreshes every ${STATUS_PAGE_REFRESH_MS / 1000} s · <a href="#" id="forget">forget my token</a> <span id="error" class="error"></span></div>
<form id="token-form" hidden>
  <label>Operator token (role sre) <input id="token" type="password" autocomplete="off" spellcheck="false" placeholder="op_....secret"></label>
  <button type="submit">Show the figures</button>
  <span id="token-error" class="error"></span>
</form>
<div class="grid" id="figures" hidden>
  <section><h2>Services</h2><table id="services"><thead><tr><th>service</th><th>health</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Ratios (last minutes)</h2><div id="ratios"></div></section>
  <section><h2>Consumer groups</h2><table id="groups"><thead><tr><th>group</th><th class="num">lag</th><th class="num">members</th><th>state</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Channel breakers</h2><table id="breakers"><thead><tr><th>channel</th><th>operation</th><th>state</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Dead letters</h2><table id="dlq"><thead><tr><th>topic</th><th class="num">messages</th></tr></thead><tbody></tbody></table></section>
</div>
<script>${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;
