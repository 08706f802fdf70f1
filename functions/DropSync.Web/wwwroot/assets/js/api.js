// The API client: the session (token in localStorage), JSON calls with the server's error messages, and downloads.
import { blobFromBlocks, isTooLargeForDirectDownload } from './blocks.js';
import { canDownloadDirectly, serverConfig } from './config.js';

const SESSION_KEY = 'dropsync.session';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `The server answered ${status}.`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.error ?? 'http_' + status;
    this.body = body;
  }
}

export const session = {
  get() {
    try { return JSON.parse(localStorage.getItem(SESSION_KEY)); } catch { return null; }
  },
  set(value) { localStorage.setItem(SESSION_KEY, JSON.stringify(value)); },
  clear() { localStorage.removeItem(SESSION_KEY); },
};

const listeners = new Set();
/** Called when the server says the token no longer works (signed out or revoked elsewhere). */
export function onUnauthorized(listener) { listeners.add(listener); }

function authHeaders(extra = {}) {
  const s = session.get();
  return s?.access_token ? { Authorization: `Bearer ${s.access_token}`, ...extra } : extra;
}

async function readError(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  const error = new ApiError(response.status, body);
  if (response.status === 401 && session.get() && !response.url.includes('/s/')) {
    for (const l of listeners) l(error);
  }
  return error;
}

/** POSTs JSON to an API endpoint and answers the JSON reply; throws ApiError with the server's message. */
export async function call(path, body = {}, { signal, anonymous = false } = {}) {
  const response = await fetch(path, {
    method: 'POST',
    headers: anonymous ? { 'Content-Type': 'application/json' } : authHeaders({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await readError(response);
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

/**
 * Every entry of a folder: list_folder answers a page at a time (has_more), list_folder/continue the rest of the
 * listing, whose entries carry the same fields (plus "change"). Answers { entries, cursor } like one big page.
 */
export async function listFolder(path, { recursive = false, signal } = {}) {
  let page = await call('/files/list_folder', { path, recursive }, { signal });
  const entries = [...page.entries];
  while (page.has_more) {
    page = await call('/files/list_folder/continue', { cursor: page.cursor }, { signal });
    entries.push(...page.entries.filter((e) => e.tag !== 'deleted'));
  }
  return { entries, cursor: page.cursor };
}

/**
 * Every item of a paged account listing (list_links, list_members, list_shared_with_me, list_invitations, list_devices,
 * list_app_passwords): asks again with the cursor while has_more, joining the named list fields of each page.
 */
export async function callAll(path, body = {}, fields = ['entries'], { signal } = {}) {
  let page = await call(path, body, { signal });
  const all = { ...page };
  for (const field of fields) all[field] = [...(page[field] ?? [])];
  while (page.has_more) {
    page = await call(path, { ...body, cursor: page.cursor }, { signal });
    for (const field of fields) all[field].push(...(page[field] ?? []));
  }
  return all;
}

/** Fetches with the session's token; throws ApiError on an error status. */
export async function authedFetch(url, init = {}) {
  const response = await fetch(url, { ...init, headers: authHeaders(init.headers ?? {}) });
  if (!response.ok) throw await readError(response);
  return response;
}

export { authHeaders, readError };

/**
 * Reads a response body into a Blob chunk by chunk, reporting progress (bytes, total). The stream is consumed as it
 * arrives; the browser keeps the chunks in a Blob, which it may page to disk for large files.
 */
export async function responseToBlob(response, onProgress, type = 'application/octet-stream') {
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body) return response.blob();
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    onProgress?.(received, total);
  }
  return new Blob(chunks, { type });
}

/**
 * A file's content (or one revision's) as a Blob, via GET /files/download?path=&rev= with the token in the
 * Authorization header (a plain link cannot carry it), streamed with progress. A file larger than the server answers
 * directly (size known and over config.max_response_bytes, or the server's 409 too_large_for_direct_download) comes by
 * blocks from /files/get_blocks instead; a range of it is cut from the whole.
 */
export async function downloadBlob(path, { rev, onProgress, signal, range, size } = {}) {
  const config = await serverConfig();
  const byBlocks = async () => {
    const getPage = (start, pageRev) => call('/files/get_blocks', { path, rev: pageRev ?? rev, start }, { signal });
    const blob = await blobFromBlocks(getPage, { onProgress, signal });
    return range ? sliceRange(blob, range) : blob;
  };
  if (!range && !canDownloadDirectly(config, size)) return byBlocks();
  const query = new URLSearchParams({ path });
  if (rev) query.set('rev', rev);
  const headers = range ? { Range: range } : {};
  try {
    const response = await authedFetch(`/files/download?${query}`, { signal, headers });
    return await responseToBlob(response, onProgress);
  } catch (error) {
    if (isTooLargeForDirectDownload(error)) return byBlocks();
    throw error;
  }
}

/** The part of a Blob a "bytes=from-to" (or "bytes=from-") Range names. */
export function sliceRange(blob, range) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(range);
  if (!match) return blob;
  const [from, to] = [match[1], match[2]];
  if (from === '') return blob.slice(Math.max(0, blob.size - Number(to)));
  return blob.slice(Number(from), to === '' ? blob.size : Number(to) + 1);
}
