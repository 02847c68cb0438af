// The /demo page (docs/pages.md): the slow-job scenario of examples/slow-job, in the browser.
// It asks the example application for its configuration, connects to this sealpush with the
// browser SDK as published (dist/client), starts a job, and shows every sealed frame that
// arrives beside what was decrypted from it. Plain DOM, no framework; text only through
// textContent, so nothing a server sends can become markup.
import { connect, serverKeyFingerprint } from '/sdk/client/index.js';

/** Frames kept on screen; the oldest that carried nothing for this client go first. */
const MAX_FRAMES = 20;
/** Bytes of a frame shown as hex before the "…"; the whole frame is in its <details>. */
const HEX_PREVIEW_BYTES = 48;
const DEFAULT_APP_URL = 'http://127.0.0.1:3000';

const $ = (id) => document.getElementById(id);
const ui = {
  connectForm: $('connect-form'), appUrl: $('app-url'), cohort: $('cohort'), cohortNote: $('cohort-note'),
  mode: $('mode'), appId: $('app-id'), clientId: $('client-id'), fingerprint: $('fingerprint'), status: $('status'),
  jobForm: $('job-form'), seconds: $('seconds'), startJob: $('start-job'), jobStatus: $('job-status'),
  resultEmpty: $('result-empty'), resultBody: $('result-body'), resultJobId: $('result-job-id'),
  resultOutcome: $('result-outcome'), resultJson: $('result-json'), cohortExplain: $('cohort-explain'), frames: $('frames'),
};

/** The connection in use; `generation` lets a newer Connect (or toggle) win over one still running. */
const state = { client: null, appUrl: '', mode: 'direct', generation: 0, connecting: false };
/** The frame row that carried each message not yet shown: 'frame' comes before its 'message' events. */
const frameOf = new Map();

/** An error of the page itself, with a code as plain as the SDK's (which carry `code` too). */
class DemoError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

ui.appUrl.value = new URLSearchParams(location.search).get('app') ?? DEFAULT_APP_URL;
ui.connectForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void connectToSealpush();
});
ui.cohort.addEventListener('change', () => {
  // A mode is an app: switching it means another client of another app.
  if (state.client !== null || state.connecting) void connectToSealpush();
});
ui.jobForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void startJob();
});

async function connectToSealpush() {
  const generation = ++state.generation;
  const stale = () => generation !== state.generation;
  state.connecting = true;
  ui.startJob.disabled = true;
  await closeClient();
  showConnection(null);
  clearJobView();
  const appUrl = ui.appUrl.value.trim().replace(/\/+$/, '');
  setStatus(ui.status, `Asking the application at ${appUrl} for its configuration…`);
  try {
    const config = await loadConfig(appUrl);
    if (stale()) return;
    const hasCohort = typeof config.apps.cohort?.appId === 'string';
    ui.cohort.disabled = !hasCohort;
    ui.cohortNote.classList.toggle('hidden', hasCohort);
    const wanted = ui.cohort.checked ? 'cohort' : 'direct';
    if (!hasCohort) ui.cohort.checked = false;
    const mode = hasCohort ? wanted : 'direct';
    const appId = config.apps[mode].appId;
    setStatus(ui.status, `Connecting to sealpush at ${location.origin} (${mode} delivery)…`);
    const client = await connectClient({ url: location.origin, appId, serverKey: config.serverKey });
    if (stale()) {
      await client.close();
      return;
    }
    Object.assign(state, { client, appUrl, mode });
    follow(client, appId);
    showConnection({ mode, appId, clientId: client.clientId, fingerprint: await serverKeyFingerprint(client.serverKey) });
    ui.startJob.disabled = false;
    const downgraded = wanted === 'cohort' && mode === 'direct' ? ' Cohort mode is not configured by this application.' : '';
    setStatus(ui.status, `Connected: the handshake with the pinned server key succeeded.${downgraded}`, 'good');
  } catch (err) {
    if (!stale()) setStatus(ui.status, describeError(err), 'bad');
  } finally {
    if (!stale()) state.connecting = false;
  }
}

/** Resumes this app's saved client when there is one; a session the SDK refuses as malformed is dropped. */
async function connectClient(options) {
  const session = savedSession(options.appId);
  try {
    return await connect({ ...options, session });
  } catch (err) {
    if (session === undefined || err?.code !== 'ERR_BAD_REQUEST') throw err;
    localStorage.removeItem(sessionKey(options.appId));
    return connect(options);
  }
}

/** GET {app}/config: where to connect and which key to pin, as a real application ships them. */
async function loadConfig(appUrl) {
  let response;
  try {
    response = await fetch(`${appUrl}/config`);
  } catch {
    throw new DemoError('APP_UNREACHABLE', `Cannot reach the application at ${appUrl}. Is it running (npm run demo starts it beside sealpush), and does it allow this page's origin (CORS)?`);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new DemoError(`HTTP ${response.status}`, `The application gave no configuration: ${body?.error ?? response.statusText}`);
  }
  if (typeof body?.serverKey !== 'string' || typeof body?.apps?.direct?.appId !== 'string') {
    throw new DemoError('APP_CONFIG', 'The application answered /config without a serverKey and apps.direct.appId');
  }
  return body;
}

function follow(client, appId) {
  const current = () => client === state.client;
  client.on('frame', (frame) => current() && showFrame(frame));
  client.on('message', (message) => current() && showMessage(message));
  client.on('session', (session) => saveSession(appId, session));
  client.on('error', (err) => current() && setStatus(ui.status, describeError(err), 'bad'));
  client.on('disconnected', ({ code, willReconnect }) => {
    if (current()) setStatus(ui.status, `Disconnected from sealpush (close code ${code}).${willReconnect ? ' Reconnecting…' : ''}`, 'bad');
  });
  client.on('connected', ({ resumed }) => {
    if (current()) setStatus(ui.status, `Connected again${resumed ? ', same client: pending results follow' : ''}.`, 'good');
  });
  saveSession(appId, client.session());
}

async function closeClient() {
  const client = state.client;
  state.client = null;
  if (client !== null) await client.close();
}

async function startJob() {
  const seconds = Number(ui.seconds.value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 60) {
    setStatus(ui.jobStatus, 'Seconds must be a number from 0 to 60.', 'bad');
    return;
  }
  const client = state.client;
  if (client === null) return;
  let response;
  try {
    response = await fetch(`${state.appUrl}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: client.clientId, seconds, kind: 'credit-review', mode: state.mode }),
    });
  } catch {
    setStatus(ui.jobStatus, `${describeError(new DemoError('APP_UNREACHABLE', `Cannot reach the application at ${state.appUrl}.`))}`, 'bad');
    return;
  }
  const body = await response.json().catch(() => null);
  if (response.status !== 202 || typeof body?.jobId !== 'string') {
    setStatus(ui.jobStatus, describeError(new DemoError(`HTTP ${response.status}`, `The application refused the job: ${body?.error ?? response.statusText}`)), 'bad');
    return;
  }
  ui.jobStatus.dataset.jobId = body.jobId;
  setStatus(ui.jobStatus, `Job ${body.jobId} started (${body.seconds} s). Waiting… (you may close the tab: results wait for you in sealpush, and arrive when this page connects again)`);
}

/** A new connection starts a clean view: the frames and results shown are always this client's. */
function clearJobView() {
  ui.frames.replaceChildren();
  frameOf.clear();
  delete ui.jobStatus.dataset.jobId;
  setStatus(ui.jobStatus, '');
  ui.resultEmpty.classList.remove('hidden');
  ui.resultBody.classList.add('hidden');
}

function showConnection(connection) {
  ui.mode.textContent = connection?.mode ?? 'not connected';
  ui.appId.textContent = connection?.appId ?? '–';
  ui.clientId.textContent = connection?.clientId ?? '–';
  ui.fingerprint.textContent = connection?.fingerprint ?? '–';
  ui.cohortExplain.classList.toggle('hidden', connection?.mode !== 'cohort');
}

function showFrame({ bytes, receivedAt, cohort, messageIds }) {
  const hex = toHex(bytes);
  const row = element('li', 'frame');
  row.dataset.size = String(bytes.length);
  row.dataset.kind = cohort ? 'cohort' : messageIds.length > 0 ? 'deliver' : 'heartbeat';
  row.dataset.carries = String(messageIds.length);

  const wire = element('div', 'frame-wire');
  const meta = element('p');
  const time = element('time', 'mono', clockTime(receivedAt));
  time.dateTime = receivedAt;
  meta.append(time, ' · ', element('span', 'frame-size', `${bytes.length} bytes`), ' · ', element('span', 'frame-kind', frameKind(cohort, messageIds.length)));
  const preview = element('p', 'frame-hex mono', bytes.length > HEX_PREVIEW_BYTES ? `${hex.slice(0, HEX_PREVIEW_BYTES * 2)}…` : hex);
  const details = element('details');
  details.append(element('summary', '', `All ${bytes.length} bytes as hex`), element('code', 'frame-hex-full', hex));
  wire.append(meta, preview, details);
  row.append(wire, element('div', 'frame-messages'));

  for (const id of messageIds) frameOf.set(id, row);
  ui.frames.prepend(row);
  trimFrames();
}

function showMessage(message) {
  const row = frameOf.get(message.id);
  frameOf.delete(message.id);
  const isResult = typeof message.data?.jobId === 'string';
  if (row !== undefined) {
    const box = row.querySelector('.frame-messages');
    const label = element('p', '', `Decrypted: message ${message.id} (seq ${message.seq}) `);
    if (isResult) {
      row.classList.add('yours');
      label.append(element('span', 'badge', 'carried your result'));
    }
    box.append(label, element('pre', 'json', JSON.stringify(message.data, null, 2)));
  }
  if (isResult) showResult(message.data);
}

function showResult(result) {
  ui.resultEmpty.classList.add('hidden');
  ui.resultBody.classList.remove('hidden');
  ui.resultJobId.textContent = result.jobId;
  ui.resultOutcome.textContent = String(result.outcome ?? '(no outcome)');
  ui.resultJson.textContent = JSON.stringify(result, null, 2);
  if (ui.jobStatus.dataset.jobId === result.jobId) setStatus(ui.jobStatus, `Job ${result.jobId}: the result arrived, sealed, and was decrypted here.`, 'good');
}

/** Drops the oldest rows past MAX_FRAMES, keeping those that carried messages while others can go. */
function trimFrames() {
  while (ui.frames.children.length > MAX_FRAMES) {
    const rows = [...ui.frames.children];
    const victim = rows.reverse().find((row) => row.dataset.carries === '0') ?? rows[0];
    victim.remove();
  }
}

function frameKind(cohort, carried) {
  const load = carried === 0 ? 'nothing for you' : `carries ${carried} for you`;
  if (cohort) return `cohort envelope, ${load}`;
  return carried === 0 ? 'heartbeat' : `deliver, ${load}`;
}

/** Plain words first, the code after: what a person can act on, and what to search for. */
function describeError(err) {
  const code = err?.code ?? err?.name ?? 'ERROR';
  const plain = {
    ERR_HANDSHAKE: 'The secure handshake failed: this sealpush does not hold the server key the application pins (is SEALPUSH_SERVER_KEY from this server?).',
    ERR_UNAVAILABLE: 'sealpush is not reachable right now.',
    ERR_NOT_FOUND: 'sealpush does not know this app id (was it created on this server?).',
  }[code];
  return `${plain ?? err?.message ?? String(err)} (${code})`;
}

function setStatus(target, text, tone = '') {
  target.textContent = text;
  target.classList.toggle('good', tone === 'good');
  target.classList.toggle('bad', tone === 'bad');
}

/** The saved session resumes the same client (and its pending results) after a reload. */
function savedSession(appId) {
  try {
    const text = localStorage.getItem(sessionKey(appId));
    return text === null ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function saveSession(appId, session) {
  try {
    localStorage.setItem(sessionKey(appId), JSON.stringify(session));
  } catch {
    // Storage may be off (private mode): the page still works, only without resuming.
  }
}

const sessionKey = (appId) => `sealpush-demo:${appId}`;

function element(tag, className = '', text = '') {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function toHex(bytes) {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** HH:MM:SS.mmm in local time. */
function clockTime(iso) {
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
