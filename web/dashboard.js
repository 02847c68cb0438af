// The operator dashboard (docs/pages.md). It reads /v1/admin/* with the admin token typed into
// it, and nothing else: the page itself holds no data. Everything shown goes in as text
// (textContent), never as HTML: auth failures echo what a stranger sent.

const TOKEN_KEY = 'sealpush.adminToken';
const CHART = { width: 640, height: 220, left: 44, right: 8, top: 10, bottom: 24 };
const WINDOW_SECONDS = 300;
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem(TOKEN_KEY);
let timers = [];

class Refused extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function admin(path, init = {}) {
  const response = await fetch(`/v1/admin/${path}`, { ...init, headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(response.status, body.error?.code ?? `HTTP ${response.status}`, body.error?.message ?? '');
  return body;
}

function text(id, value) {
  $(id).textContent = String(value);
}

function cell(row, value, className) {
  const td = row.insertCell();
  td.textContent = value;
  if (className) td.className = className;
  return td;
}

function duration(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${seconds % 60} s` : `${seconds} s`;
}

const time = (iso) => new Date(iso).toLocaleTimeString();

function showOverview(o) {
  text('connections', o.connections);
  text('pending', o.apps.reduce((sum, app) => sum + app.pending, 0));
  text('fingerprint', o.serverKeyFingerprint);
  text('uptime', duration(o.uptimeSeconds));
  text('node-count', o.nodes.length === 1 ? '1 node' : `${o.nodes.length} nodes`);
  $('partial').classList.toggle('hidden', !o.partial);
  const nodes = $('nodes');
  nodes.replaceChildren();
  for (const node of o.nodes) {
    const row = nodes.insertRow();
    const name = cell(row, '', 'mono');
    name.append(node.nodeId);
    if (node.self) name.append(' (this one)');
    cell(row, String(node.connections), 'num');
    cell(row, duration(node.uptimeSeconds), 'num');
    cell(row, time(node.reportedAt));
  }
  const body = $('apps');
  body.replaceChildren();
  for (const app of o.apps) {
    const row = body.insertRow();
    const name = cell(row, '');
    name.append(app.name, ' ');
    const id = document.createElement('code');
    id.textContent = app.appId;
    name.append(id);
    cell(row, String(app.connections), 'num');
    cell(row, String(app.pending), 'num');
    cell(row, webhooksText(app.webhooks));
  }
  if (o.apps.length === 0) cell(body.insertRow(), 'No apps yet: sealpush apps create NAME').colSpan = 4;
}

/** An app's webhooks in a few words: its endpoints, and what needs the operator (paused, failing, failed events). */
function webhooksText(w) {
  if (w.endpoints === 0) return 'none';
  const parts = [`${w.endpoints} endpoint${w.endpoints === 1 ? '' : 's'}`];
  if (w.paused > 0) parts.push(`${w.paused} paused`);
  if (w.failing > 0) parts.push(`${w.failing} failing`);
  if (w.failedEvents > 0) parts.push(`${w.failedEvents} failed event${w.failedEvents === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** A nice axis maximum at or above `value`: 1, 2, 5 times a power of ten. */
function niceMax(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((f) => f * power).find((m) => m >= value);
}

function svg(name, attributes, content) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (content !== undefined) node.textContent = content;
  return node;
}

function showThroughput(series) {
  // The last bucket is the current second, still filling: the chart stops at the one before.
  const published = series.published.slice(0, -1);
  const delivered = series.delivered.slice(0, -1);
  const n = published.length;
  const top = niceMax(Math.max(...published, ...delivered, 0));
  // One chart unit is one CSS pixel at any screen width: labels stay legible on a phone.
  const chart = $('chart');
  const width = Math.max(280, Math.round(chart.clientWidth || CHART.width));
  const { height, left, right, top: pad, bottom } = CHART;
  chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const plotW = width - left - right;
  const plotH = height - pad - bottom;
  const x = (i) => left + (n <= 1 ? plotW : (i / (n - 1)) * plotW);
  const y = (v) => pad + plotH - (v / top) * plotH;
  const points = (values) => values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');

  const grid = $('chart-grid');
  grid.replaceChildren();
  for (const f of [0, 0.5, 1]) {
    grid.append(svg('line', { class: 'axis', x1: left, x2: width - right, y1: y(top * f), y2: y(top * f) }));
    grid.append(svg('text', { x: left - 6, y: y(top * f) + 4, 'text-anchor': 'end' }, `${top * f}/s`));
  }
  const minutes = Math.round(n / 60);
  for (let m = minutes; m >= 0; m--) {
    const i = n - 1 - m * 60;
    if (i < 0) continue;
    grid.append(svg('text', { x: x(i), y: height - 6, 'text-anchor': m === 0 ? 'end' : 'middle' }, m === 0 ? 'now' : `−${m} min`));
  }
  $('line-published').setAttribute('points', points(published));
  $('line-delivered').setAttribute('points', points(delivered));

  const lastP = published[n - 1] ?? 0;
  const lastD = delivered[n - 1] ?? 0;
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  text('rate-published', lastP);
  text('rate-delivered', lastD);
  text('chart-label',
    `Messages per second over the last ${Math.round(n / 60)} minutes: published ${lastP}/s and delivered ${lastD}/s in the last second; ` +
    `${sum(published)} published and ${sum(delivered)} delivered in all; peak ${Math.max(...published, ...delivered, 0)}/s.`);
}

function showFailures(failures) {
  const body = $('failures');
  body.replaceChildren();
  for (const f of failures) {
    const row = body.insertRow();
    cell(row, time(f.at));
    cell(row, f.code, 'mono');
    cell(row, f.scheme);
    cell(row, f.appId ?? f.issuer ?? '–', 'mono');
    cell(row, f.remote, 'mono');
  }
  if (failures.length === 0) cell(body.insertRow(), 'None since the nodes started.').colSpan = 5;
}

function showAudit(audit) {
  text('audit-head', audit.headSeq);
  text('audit-checkpoint', audit.lastCheckpoint ? `at record ${audit.lastCheckpoint.seq}, ${time(audit.lastCheckpoint.at)}` : 'none yet');
  showVerification(audit.verification);
}

function showVerification(v) {
  const node = $('audit-verification');
  node.className = v === null ? 'muted' : v.state === 'verified' ? 'good' : 'bad';
  node.textContent = v === null
    ? 'Not verified by this node yet.'
    : v.state === 'verified'
      ? `✓ Verified: ${v.records} records up to ${v.headSeq} and ${v.checkpoints} checkpoint signatures intact (${time(v.at)}).`
      : `✗ Verification failed${v.problem?.seq ? ` at record ${v.problem.seq}` : ''}: ${v.problem?.reason} [${v.problem?.code}] (${time(v.at)}).`;
}

/** Runs `fn` now and every `ms`, while signed in; a refusal signs out. */
function every(ms, fn) {
  const run = () => fn().then(() => text('live-status', `Live: updated ${new Date().toLocaleTimeString()}`), onError);
  run();
  timers.push(setInterval(() => {
    if (!document.hidden) run();
  }, ms));
}

function onError(err) {
  if (err instanceof Refused && err.status === 401) {
    signOut(`Refused: ${err.code}. ${err.code === 'ERR_AUTH_SIGNATURE' ? 'This token is not known to the server (or was mistyped).' : err.message}`);
  } else {
    text('live-status', `Cannot reach the server: ${err instanceof Refused ? err.code : err.message}. Retrying.`);
  }
}

function signOut(reason) {
  for (const t of timers) clearInterval(t);
  timers = [];
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('board').classList.add('hidden');
  $('signin').classList.remove('hidden');
  text('signin-status', reason);
}

async function signIn(candidate) {
  token = candidate;
  text('signin-status', 'Checking…');
  try {
    showOverview(await admin('overview'));
  } catch (err) {
    if (err instanceof Refused && err.status === 401) return signOut(`Refused: ${err.code}. ${err.code === 'ERR_AUTH_SIGNATURE' ? 'This token is not known to the server (or was mistyped).' : err.message}`);
    return signOut(`Cannot reach the server: ${err instanceof Refused ? err.code : err.message}`);
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  text('signin-status', '');
  $('signin').classList.add('hidden');
  $('board').classList.remove('hidden');
  every(1000, async () => {
    const [overview, throughput] = await Promise.all([admin('overview'), admin(`throughput?seconds=${WINDOW_SECONDS + 1}`)]);
    showOverview(overview);
    showThroughput(throughput);
  });
  every(3000, async () => showFailures((await admin('auth-failures')).failures));
  every(10_000, async () => showAudit(await admin('audit')));
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('token').value.trim();
  $('token').value = '';
  if (value !== '') void signIn(value);
});
$('signout').addEventListener('click', () => signOut('Signed out.'));
$('verify').addEventListener('click', async () => {
  const button = $('verify');
  button.disabled = true;
  text('audit-verification', 'Verifying the whole chain…');
  try {
    showVerification(await admin('audit/verify', { method: 'POST' }));
    showAudit(await admin('audit'));
  } catch (err) {
    onError(err);
  } finally {
    button.disabled = false;
  }
});

if (token) void signIn(token);
