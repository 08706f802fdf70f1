// The public page of a shared link, /link/{token}: no account needed. It reads the JSON API at /s/{token} and
// downloads through /s/{token}/download?path=… (the password, if any, goes in the DropSync-Link-Password header).
// A file larger than the server answers directly comes by blocks through POST /s/{token}/get_blocks.
import { ApiError, readError, responseToBlob } from './api.js';
import { blobFromBlocks, isTooLargeForDirectDownload } from './blocks.js';
import { canDownloadDirectly, serverConfig } from './config.js';
import { zipAndSave } from './download.js';
import { clear, errorMessage, fileIcon, formatDate, formatSize, h, saveBlob, showError } from './ui.js';

export function linkView(token) {
  const root = h('section', { class: 'view link-view', 'aria-labelledby': 'view-title' });
  let password = null;

  const headers = () => (password ? { 'DropSync-Link-Password': password } : {});
  const base = `/s/${encodeURIComponent(token)}`;

  async function fetchByBlocks(path) {
    // A link serves the file's current revision; pages are asked for by start.
    return blobFromBlocks(async (start) => {
      const response = await fetch(`${base}/get_blocks`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', ...headers() }, body: JSON.stringify({ path, start }),
      });
      if (!response.ok) throw await readError(response);
      return response.json();
    });
  }

  async function fetchFile(path, size) {
    if (!canDownloadDirectly(await serverConfig(), size)) return fetchByBlocks(path);
    const response = await fetch(`${base}/download?path=${encodeURIComponent(path)}`, { headers: headers() });
    if (!response.ok) {
      const error = await readError(response);
      if (isTooLargeForDirectDownload(error)) return fetchByBlocks(path);
      throw error;
    }
    return responseToBlob(response);
  }

  async function load() {
    clear(root, h('p', { class: 'muted' }, 'Opening the link…'));
    const response = await fetch(base, { headers: { Accept: 'application/json', ...headers() } });
    if (!response.ok) {
      const error = await readError(response);
      if (error.status === 401) { askPassword(error); return; }
      clear(root, h('h1', { id: 'view-title' }, 'This link does not work'),
        // The server's message already says what to do (an expired link: ask its owner for a new one); say it once.
        h('p', { class: 'error-box', role: 'alert' }, error.message));
      return;
    }
    // A folder's listing comes in pages: ask on with the cursor while has_more.
    let page = await response.json();
    const { metadata } = page;
    const entries = [...(page.entries ?? [])];
    while (page.has_more) {
      const next = await fetch(`${base}?cursor=${encodeURIComponent(page.cursor)}`, { headers: { Accept: 'application/json', ...headers() } });
      if (!next.ok) throw await readError(next);
      page = await next.json();
      entries.push(...(page.entries ?? []));
    }
    show({ metadata, entries });
  }

  function askPassword(error) {
    const message = h('p', { class: 'form-error', role: 'alert' }, password ? error.message : '');
    const form = h('form', {
      class: 'form card', onsubmit: (e) => { e.preventDefault(); password = new FormData(form).get('password'); load().catch(showError); },
    },
    h('h1', { id: 'view-title' }, 'This link is protected'),
    h('p', {}, 'Enter the password you were given to open it.'),
    h('label', { class: 'field' }, h('span', {}, 'Password'), h('input', { name: 'password', type: 'password', required: true, autofocus: true, autocomplete: 'current-password' })),
    message,
    h('div', { class: 'form-actions' }, h('button', { class: 'button primary', type: 'submit' }, 'Open')));
    clear(root, form);
    form.querySelector('input').focus();
  }

  function download(entry) {
    return fetchFile(entry.path, entry.size).then((blob) => saveBlob(blob, entry.name)).catch(showError);
  }

  function show({ metadata, entries }) {
    const isFolder = metadata.tag === 'folder';
    const files = (entries ?? []).filter((e) => e.tag === 'file').sort((a, b) => a.path.localeCompare(b.path));
    clear(root,
      h('div', { class: 'link-head' },
        fileIcon(metadata),
        h('div', {}, h('h1', { id: 'view-title' }, metadata.name),
          h('p', { class: 'muted' }, isFolder ? `Shared folder · ${files.length} file${files.length === 1 ? '' : 's'}` : `Shared file · ${formatSize(metadata.size)} · ${formatDate(metadata.server_modified)}`))),
      h('div', { class: 'toolbar' },
        isFolder
          ? h('button', { class: 'button primary', onclick: () => zipAndSave(metadata.name, files, metadata.path, (f) => fetchFile(f.path, f.size)).catch(showError) }, 'Download all as zip')
          : h('button', { class: 'button primary', onclick: () => download(metadata) }, `Download ${metadata.name}`)),
      isFolder ? h('table', { class: 'files', 'aria-label': 'Files in this shared folder' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, 'Modified'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Download')))),
        h('tbody', {}, files.map((entry) => h('tr', { class: 'entry', dataset: { path: entry.path, name: entry.name } },
          h('td', { class: 'col-name' }, fileIcon(entry), h('span', {}, entry.path.slice(metadata.path.length + 1))),
          h('td', { class: 'col-size' }, formatSize(entry.size)),
          h('td', { class: 'col-date' }, formatDate(entry.server_modified)),
          h('td', { class: 'col-actions' }, h('button', { class: 'button small', 'aria-label': `Download ${entry.name}`, onclick: () => download(entry) }, 'Download')))))) : null,
      h('p', { class: 'muted small-print' }, 'Shared with DropSync. ', h('a', { href: '/', dataset: { link: '' } }, 'Sign in or create an account')));
  }

  load().catch((error) => clear(root, h('p', { class: 'error-box', role: 'alert' }, error instanceof ApiError ? error.message : errorMessage(error))));
  return { el: root };
}
