// What the server advertises at GET /config (asked once per page): where the live feed is, and the largest request and
// answer it takes. A server without /config (404) is an embedded one from before it: its feed is /notifications/ws
// on this host and it has no download limit.

const EMBEDDED_MAX_BATCH_FILES = 1000;
const BLOCK_SIZE = 4 * 1024 * 1024;

function embeddedDefaults() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return {
    mode: 'embedded',
    websocket_url: `${scheme}://${location.host}/notifications/ws`,
    max_request_bytes: 10 * 1024 * 1024 * 1024,
    max_response_bytes: null,
    max_batch_bytes: EMBEDDED_MAX_BATCH_FILES * (BLOCK_SIZE + 64 * 1024) + BLOCK_SIZE,
    max_batch_files: EMBEDDED_MAX_BATCH_FILES,
    max_block_bytes: BLOCK_SIZE,
    history: '',
    from_server: false,
  };
}

let pending = null;

/** The server's configuration; a failed request is not kept (the next call asks again). */
export function serverConfig() {
  if (!pending) {
    pending = load().catch((error) => { pending = null; throw error; });
  }
  return pending;
}

async function load() {
  const defaults = embeddedDefaults();
  const response = await fetch('/config', { headers: { Accept: 'application/json' } });
  if (response.status === 404 || response.status === 405) return defaults;
  if (!response.ok) throw new Error(`The server's configuration is unavailable (HTTP ${response.status}).`);
  let body;
  try { body = await response.json(); } catch { return defaults; }
  const positive = (v, d) => (typeof v === 'number' && v > 0 ? v : d);
  return {
    mode: body.mode || defaults.mode,
    websocket_url: body.websocket_url || defaults.websocket_url,
    max_request_bytes: positive(body.max_request_bytes, defaults.max_request_bytes),
    max_response_bytes: typeof body.max_response_bytes === 'number' && body.max_response_bytes > 0 ? body.max_response_bytes : null,
    max_batch_bytes: positive(body.max_batch_bytes, defaults.max_batch_bytes),
    max_batch_files: positive(body.max_batch_files, defaults.max_batch_files),
    max_block_bytes: positive(body.max_block_bytes, defaults.max_block_bytes),
    // How long old revisions and deleted files are kept, in words ("180 days, up to 100 revisions a file").
    history: typeof body.history === 'string' ? body.history : '',
    from_server: true,
  };
}

/** Whether /files/download (or /s/{token}/download) answers a file of this size directly. */
export function canDownloadDirectly(config, size) {
  return config.max_response_bytes === null || size === undefined || size === null || size <= config.max_response_bytes;
}
