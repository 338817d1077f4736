/** How often the status page asks /status.json for new figures. */
export const STATUS_PAGE_REFRESH_MS = 2_000;

/**
 * The status page: static HTML whose inline script renders /status.json every few seconds (services,
 * consumer groups, P_success / P_settlement / P_risk with SVG sparklines, breakers, dead letters).
 * Read-only: it has no form and sends nothing but GETs.
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
</style>
</head>
<body>
<h1>Paystream ops</h1>
<div class="meta">updated <span id="updated">–</span> · refreshes every ${STATUS_PAGE_REFRESH_MS / 1000} s · <a href="/metrics">/metrics</a> · <a href="/status.json">/status.json</a> <span id="error" class="error"></span></div>
<div class="grid">
  <section><h2>Services</h2><table id="services"><thead><tr><th>service</th><th>health</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Ratios (last minutes)</h2><div id="ratios"></div></section>
  <section><h2>Consumer groups</h2><table id="groups"><thead><tr><th>group</th><th class="num">lag</th><th class="num">members</th><th>state</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Channel breakers</h2><table id="breakers"><thead><tr><th>channel</th><th>operation</th><th>state</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Dead letters</h2><table id="dlq"><thead><tr><th>topic</th><th class="num">messages</th></tr></thead><tbody></tbody></table></section>
</div>
<script>
(() => {
  const RATIOS = [['p_success', 'P_success'], ['p_settlement', 'P_settlement'], ['p_risk', 'P_risk']];
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
    rows('services', s.services.map((x) => '<tr data-service="' + esc(x.service) + '"><td>' + esc(x.service) + '</td><td class="health ' + (x.up ? 'up' : 'down') + '" title="' + esc(x.detail || '') + '">' + (x.up ? 'up' : 'down') + '</td></tr>').join(''), 'no services configured');
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
  const refresh = async () => {
    try {
      const res = await fetch('/status.json', { cache: 'no-store' });
      render(await res.json());
    } catch (e) {
      document.getElementById('error').textContent = 'ops did not answer: ' + e.message;
    }
  };
  refresh();
  setInterval(refresh, ${STATUS_PAGE_REFRESH_MS});
})();
</script>
</body>
</html>
`;
