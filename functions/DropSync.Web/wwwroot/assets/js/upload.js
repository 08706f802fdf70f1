// Uploads: small files in one request (uploadType=media); large ones resumably by 4 MiB blocks hashed in a Web Worker,
// PUTting only the blocks the server is missing. Unfinished resumable uploads are remembered in localStorage so that
// after a reload or a lost connection, choosing or dropping the same file again resumes it where it stopped.
// A file whose name is already taken in its folder is not sent blindly (upload-existing.js asks what to do).
import { ApiError, authHeaders, call } from './api.js';
import { serverConfig } from './config.js';
import { ErrorCodes } from './error-codes.js';
import { nameOf } from './paths.js';
import { activateOnKeys, clear, errorMessage, formatSize, h } from './ui.js';
import { decideExisting } from './upload-existing.js';

export const BLOCK_SIZE = 4 * 1024 * 1024;
const PENDING_KEY = 'dropsync.pending-uploads';
const PARALLEL_FILES = 2;
const PARALLEL_BLOCKS = 2;

const fingerprint = (path, file) => `${path}|${file.size}|${file.lastModified}`;

function loadPending() {
  try { return JSON.parse(localStorage.getItem(PENDING_KEY)) ?? {}; } catch { return {}; }
}

function savePending(pending) {
  localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
}

class Paused extends Error {
  constructor() { super('Paused'); this.name = 'Paused'; }
}

/** Sends a body with XMLHttpRequest (fetch cannot report upload progress). */
function send(method, url, body, { headers = {}, onProgress, item, alreadyThereOk = false } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
    xhr.onload = () => {
      item?.requests.delete(xhr);
      let json = null;
      try { json = xhr.responseText ? JSON.parse(xhr.responseText) : {}; } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(json);
      // A conditional write (If-None-Match: *) of a content-named block: 412 means the block is already stored.
      else if (alreadyThereOk && xhr.status === 412) resolve({});
      else reject(new ApiError(xhr.status, json));
    };
    xhr.onerror = () => { item?.requests.delete(xhr); reject(new TypeError('network error: the upload lost its connection')); };
    xhr.onabort = () => { item?.requests.delete(xhr); reject(item?.paused ? new Paused() : new DOMException('Cancelled', 'AbortError')); };
    item?.requests.add(xhr);
    xhr.send(body);
  });
}

function hashInWorker(file, item, onProgress) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/assets/js/hash-worker.js', { type: 'module' });
    item.worker = worker;
    worker.onmessage = ({ data }) => {
      if (data.type === 'progress') onProgress(data.hashed, data.total);
      else {
        worker.terminate();
        item.worker = null;
        if (data.type === 'done') resolve(data);
        else reject(new Error(data.message));
      }
    };
    worker.onerror = (e) => { worker.terminate(); item.worker = null; reject(new Error(e.message || 'The hashing worker failed.')); };
    worker.postMessage({ file, blockSize: BLOCK_SIZE });
  });
}

export class Uploader {
  /** onUploaded(metadata) runs after each file is committed; panel is the element the queue is shown in. */
  constructor(panel, { onUploaded, onError }) {
    this.panel = panel;
    this.items = [];
    this.onUploaded = onUploaded;
    this.onError = onError;
    this.nextId = 1;
    this.collapsed = false;
    window.addEventListener('online', () => this.items.filter((i) => i.state === 'error' && i.retryable).forEach((i) => this.resume(i)));
    // The panel floats over the page's bottom right; the page keeps that much room below its content (--uploads-space)
    // so the list always scrolls clear of it, folded or open, on a laptop or a phone.
    // Set after each draw (so it is right in the same frame) and whenever the panel's size changes otherwise (a
    // rotated phone, wrapped text).
    new ResizeObserver(() => this.reserveSpace()).observe(panel);
    this.render();
  }

  /** Queues files: [{file, path}] where path is the destination path, and folders: [{folder: path}]. */
  async add(entries) {
    const folders = entries.filter((e) => e.folder);
    for (const f of folders) {
      try {
        this.onUploaded(await call('/files/create_folder', { path: f.folder }));
      } catch (e) { if (e.code !== ErrorCodes.PathConflict && e.status !== 409) this.onError(e); }
    }
    let files;
    try {
      files = await decideExisting(entries.filter((e) => e.file));
    } catch (error) { this.onError(error); return; }
    for (const { file, path, mode, rev } of files) {
      const pending = loadPending()[fingerprint(path, file)];
      this.items.push({
        id: this.nextId++, file, path, mode, rev, name: nameOf(path), size: file.size, loaded: 0, state: 'queued', status: pending ? 'Waiting to resume' : 'Waiting',
        requests: new Set(), paused: false, blockCount: 0, putCount: 0,
      });
    }
    this.collapsed = false;
    this.render();
    this.pump();
  }

  pump() {
    const running = this.items.filter((i) => i.state === 'running').length;
    for (const item of this.items.filter((i) => i.state === 'queued').slice(0, Math.max(0, PARALLEL_FILES - running))) {
      item.state = 'running';
      this.run(item).finally(() => { this.render(); this.pump(); });
    }
    this.render();
  }

  pause(item) {
    if (item.state !== 'running' && item.state !== 'queued') return;
    item.paused = true;
    item.state = 'paused';
    item.status = 'Paused';
    for (const xhr of item.requests) xhr.abort();
    this.render();
  }

  resume(item) {
    if (item.state !== 'paused' && !(item.state === 'error' && item.retryable)) return;
    item.paused = false;
    item.state = 'queued';
    item.status = 'Waiting to resume';
    this.render();
    this.pump();
  }

  cancel(item) {
    item.paused = true;
    for (const xhr of item.requests) xhr.abort();
    item.worker?.terminate();
    if (item.uploadId) {
      const pending = loadPending();
      delete pending[fingerprint(item.path, item.file)];
      savePending(pending);
    }
    this.items = this.items.filter((i) => i !== item);
    this.render();
  }

  forget(key) {
    const pending = loadPending();
    delete pending[key];
    savePending(pending);
    this.render();
  }

  async run(item) {
    try {
      // One request only for what the server takes whole (AWS: 4 MiB, within Lambda's 6 MB payload); else by blocks.
      const { max_request_bytes: maxRequest } = await serverConfig();
      const result = item.size <= Math.min(BLOCK_SIZE, maxRequest) ? await this.uploadMedia(item) : await this.uploadResumable(item);
      item.state = 'done';
      item.loaded = item.size;
      item.status = result.path !== item.path ? `Uploaded as ${result.name}` : 'Uploaded';
      this.onUploaded(result);
    } catch (error) {
      if (error instanceof Paused || item.paused) return;
      item.state = 'error';
      // Only a lost connection, a server fault or throttling can go better next time; a refusal (403 for a viewer,
      // 409 conflict whose copy is already saved, 400…) would fail the same way again.
      item.retryable = !(error instanceof ApiError) || error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
      item.status = error.code === ErrorCodes.Conflict && error.body?.conflicted_copy
        ? `Conflict: this file changed elsewhere meanwhile; yours was saved as ${error.body.conflicted_copy.name}`
        : errorMessage(error);
      if (error.code === ErrorCodes.Conflict) this.onUploaded(error.body?.conflicted_copy ?? {});
    } finally {
      this.settle();
    }
  }

  /** Once everything went up without a problem, fold the panel to its summary line so it covers nothing. */
  settle() {
    const over = this.items.length && this.items.every((i) => i.state === 'done');
    if (over) this.collapsed = true;
  }

  async uploadMedia(item) {
    item.status = 'Uploading';
    item.loaded = 0;
    const query = new URLSearchParams({ uploadType: 'media', path: item.path, mode: item.mode ?? 'add' });
    if (item.rev) query.set('rev', item.rev);
    return send('POST', `/files/upload?${query}`, item.file, {
      headers: authHeaders({ 'Content-Type': 'application/octet-stream' }),
      item,
      onProgress: (loaded) => { item.loaded = loaded; this.render(); },
    });
  }

  async uploadResumable(item) {
    const { file } = item;
    if (!item.blocks) {
      item.status = 'Preparing (hashing)';
      const hashed = await hashInWorker(file, item, (done, total) => {
        item.status = `Preparing (hashing ${Math.floor((done / total) * 100)}%)`;
        this.render();
      });
      if (item.paused) throw new Paused();
      item.blocks = hashed.blocks;
      item.contentHash = hashed.contentHash;
      item.blockCount = hashed.blocks.length;
    }

    const key = fingerprint(item.path, file);
    for (let attempt = 0; attempt < 4; attempt++) {
      let state = await this.beginOrResume(item, key);
      await this.putMissing(item, state.missing ?? [], state.more_missing ?? 0);
      // The server hands out URLs for a page of missing blocks at a time; the status call gives the next page.
      while ((state.more_missing ?? 0) > 0) {
        state = await call(`/files/upload?uploadType=resumable&upload_id=${encodeURIComponent(item.uploadId)}`, {});
        if (!state.missing?.length) break; // nothing handed out: finish says what is missing
        await this.putMissing(item, state.missing, state.more_missing ?? 0);
      }
      try {
        const result = await call('/files/upload/finish', { upload_id: item.uploadId });
        const pending = loadPending();
        delete pending[key];
        savePending(pending);
        return result;
      } catch (error) {
        if (error.code !== ErrorCodes.BlocksMissing) throw error; // otherwise ask again what is missing
      }
    }
    throw new Error('The server kept asking for blocks; try the upload again.');
  }

  async beginOrResume(item, key) {
    const pending = loadPending();
    const saved = item.uploadId ? { upload_id: item.uploadId, content_hash: item.contentHash } : pending[key];
    if (saved && saved.content_hash === item.contentHash) {
      try {
        item.status = 'Resuming';
        const state = await call(`/files/upload?uploadType=resumable&upload_id=${encodeURIComponent(saved.upload_id)}`, {});
        item.uploadId = saved.upload_id;
        item.resumed = true;
        return state;
      } catch (error) {
        if (!(error instanceof ApiError) || error.status >= 500) throw error;
        // The session expired or is gone: start afresh below.
      }
    }
    item.status = 'Starting';
    const state = await call('/files/upload?uploadType=resumable', {
      path: item.path, size: item.size, blocks: item.blocks, mode: item.mode ?? 'add', rev: item.rev, content_hash: item.contentHash,
    });
    item.uploadId = state.upload_id;
    pending[key] = {
      upload_id: state.upload_id, path: item.path, name: item.file.name, size: item.size,
      last_modified: item.file.lastModified, content_hash: item.contentHash, started: new Date().toISOString(),
    };
    savePending(pending);
    return state;
  }

  /** PUTs one page of missing blocks; moreMissing (blocks of later pages) only shapes the progress shown. */
  async putMissing(item, missing, moreMissing = 0) {
    const sizes = new Map(item.blocks.map((b) => [b.hash, b.size]));
    const offsets = new Map();
    item.blocks.reduce((offset, b) => { if (!offsets.has(b.hash)) offsets.set(b.hash, offset); return offset + b.size; }, 0);
    const missingBytes = missing.reduce((n, m) => n + (sizes.get(m.hash) ?? 0), 0);
    // Later pages' blocks are known by count only: count them at the average block size.
    const laterBytes = Math.round(moreMissing * (item.size / Math.max(1, item.blockCount)));
    const base = Math.max(0, item.size - missingBytes - laterBytes);
    const inFlight = new Map();
    const progress = () => { item.loaded = base + [...inFlight.values()].reduce((a, b) => a + b, 0); this.render(); };
    item.status = missing.length ? `Uploading ${missing.length + moreMissing} of ${item.blockCount} blocks` : 'Finishing';
    progress();
    const queue = [...missing];
    let done = 0;
    const worker = async () => {
      while (queue.length) {
        if (item.paused) throw new Paused();
        const block = queue.shift();
        const offset = offsets.get(block.hash);
        const size = sizes.get(block.hash);
        const body = item.file.slice(offset, offset + size);
        inFlight.set(block.hash, 0);
        await send('PUT', block.url, body, {
          headers: block.headers ?? { 'Content-Type': 'application/octet-stream' },
          alreadyThereOk: Object.keys(block.headers ?? {}).some((h) => h.toLowerCase() === 'if-none-match'),
          item,
          onProgress: (loaded) => { inFlight.set(block.hash, Math.min(loaded, size)); progress(); },
        });
        inFlight.set(block.hash, size);
        item.putCount++;
        done++;
        item.status = `Uploading blocks (${done} of ${missing.length + moreMissing} sent)`;
        progress();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BLOCKS, queue.length) }, worker));
    item.status = 'Finishing';
  }

  render() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => { this.renderQueued = false; this.draw(); });
  }

  reserveSpace() {
    document.documentElement.style.setProperty('--uploads-space', `${this.panel.hidden ? 0 : this.panel.offsetHeight + 16}px`);
  }

  draw() {
    this.drawPanel();
    this.reserveSpace();
  }

  drawPanel() {
    // The hidden input is no tab stop (nothing would show it has focus); its label is, and opens it.
    const chooser = (label) => { label.tabIndex = 0; activateOnKeys(label, () => label.querySelector('input').click()); return label; };
    const pending = loadPending();
    const active = new Set(this.items.filter((i) => i.state !== 'done').map((i) => fingerprint(i.path, i.file)));
    const interrupted = Object.entries(pending).filter(([key]) => !active.has(key));
    const panel = this.panel;
    panel.hidden = this.items.length === 0 && interrupted.length === 0;
    if (panel.hidden) return;
    const total = this.items.reduce((n, i) => n + i.size, 0);
    const loaded = this.items.reduce((n, i) => n + Math.min(i.loaded, i.size), 0);
    const finished = this.items.filter((i) => i.state === 'done').length;
    const busy = this.items.some((i) => i.state === 'running' || i.state === 'queued');
    const anyPaused = this.items.some((i) => i.state === 'paused');
    const summary = this.items.length
      ? `${finished} of ${this.items.length} uploaded · ${formatSize(loaded)} of ${formatSize(total)}`
      : 'Interrupted uploads';
    clear(panel,
      h('div', { class: 'uploads-head' },
        h('h2', { id: 'uploads-title' }, 'Uploads'),
        h('span', { class: 'muted', id: 'uploads-summary' }, summary),
        busy ? h('button', { class: 'button small', onclick: () => this.items.forEach((i) => this.pause(i)) }, 'Pause all') : null,
        anyPaused ? h('button', { class: 'button small', onclick: () => this.items.forEach((i) => this.resume(i)) }, 'Resume all') : null,
        h('button', { class: 'icon-button', 'aria-label': this.collapsed ? 'Expand uploads' : 'Collapse uploads', 'aria-expanded': String(!this.collapsed), onclick: () => { this.collapsed = !this.collapsed; this.draw(); this.panel.querySelector('[aria-expanded]')?.focus(); } }, this.collapsed ? '▴' : '▾'),
        !busy ? h('button', { class: 'icon-button', 'aria-label': 'Close uploads', onclick: () => { this.items = this.items.filter((i) => i.state !== 'done' && i.state !== 'error'); this.collapsed = true; this.draw(); } }, '×') : null),
      h('progress', { class: 'total-progress', max: total || 1, value: loaded, 'aria-label': 'Total upload progress' }),
      this.collapsed ? null : h('ul', { class: 'upload-list' },
        this.items.map((item) => h('li', { class: `upload upload-${item.state}`, dataset: { name: item.name, state: item.state } },
          h('div', { class: 'upload-line' },
            h('span', { class: 'upload-name', title: item.path }, item.name),
            h('span', { class: 'upload-status', role: item.state === 'error' ? 'alert' : null }, item.status),
            item.state === 'running' || item.state === 'queued'
              ? h('button', { class: 'button small', 'aria-label': `Pause ${item.name}`, onclick: () => this.pause(item) }, 'Pause') : null,
            item.state === 'paused' || (item.state === 'error' && item.retryable)
              ? h('button', { class: 'button small', 'aria-label': `${item.state === 'error' ? 'Retry' : 'Resume'} ${item.name}`, onclick: () => this.resume(item) }, item.state === 'error' ? 'Retry' : 'Resume') : null,
            item.state !== 'done'
              ? h('button', { class: 'icon-button', 'aria-label': `${item.state === 'error' && !item.retryable ? 'Dismiss' : 'Cancel'} ${item.name}`, onclick: () => this.cancel(item) }, '×') : null),
          h('progress', { max: item.size || 1, value: item.state === 'done' ? item.size || 1 : Math.min(item.loaded, item.size), 'aria-label': `${item.name} progress` }))),
        interrupted.map(([key, record]) => h('li', { class: 'upload upload-interrupted', dataset: { name: record.name, state: 'interrupted' } },
          h('div', { class: 'upload-line' },
            h('span', { class: 'upload-name', title: record.path }, record.name),
            h('span', { class: 'upload-status' }, `Interrupted (${formatSize(record.size)}). Choose or drop the same file again to resume.`),
            chooser(h('label', { class: 'button small' }, 'Choose file',
              h('input', {
                type: 'file', class: 'visually-hidden', tabindex: '-1', 'aria-label': `Choose ${record.name} again to resume`,
                onchange: (e) => {
                  const file = e.target.files[0];
                  if (!file) return;
                  if (file.size !== record.size) { this.onError(new Error(`That is not the same file: ${record.name} was ${formatSize(record.size)}.`)); return; }
                  this.add([{ file, path: record.path }]);
                },
              }))),
            h('button', { class: 'button small', onclick: () => this.forget(key) }, 'Forget'))))));
  }
}
