// The file browser (breadcrumbs, sorting, search, folder actions, uploads by picker and drag and drop), and the
// deleted-files, shared-with-me and shared-links views, with the dialogs for revisions, conflicts and sharing.
import { call, downloadBlob } from './api.js';
import { serverConfig } from './config.js';
import { previewFile } from './preview.js';
import { buildZip, ZIP_LIMIT } from './zip.js';
import {
  activateOnKeys, clear, CONFLICT_MARK, confirmDialog, errorMessage, fileIcon, formatDate, formatSize, h, isConflicted,
  joinPath, nameOf, openDialog, parentOf, promptDialog, saveBlob, showError, toast,
} from './ui.js';

/** '/a/b' → '/app/files/a/b' (each segment URL-encoded). */
export const filesUrl = (path) => '/app/files' + path.split('/').map(encodeURIComponent).join('/');

const SORT_KEY = 'dropsync.sort';

export function filesView(ctx, folder) {
  const state = { entries: [], query: '', results: null, sort: JSON.parse(localStorage.getItem(SORT_KEY) ?? 'null') ?? { key: 'name', dir: 1 } };
  const root = h('section', { class: 'view files-view', 'aria-labelledby': 'view-title' });
  const list = h('div', { class: 'file-list' });
  const searchInput = h('input', {
    type: 'search', id: 'search', placeholder: 'Search by name', 'aria-label': 'Search files by name in this folder and below',
    oninput: debounce(() => search(searchInput.value.trim()), 250),
  });
  // The inputs are hidden and opened by their labels (which are the tab stops): focus on them would show nothing.
  const fileInput = h('input', { type: 'file', multiple: true, class: 'visually-hidden', id: 'file-picker', tabindex: '-1', 'aria-label': 'Upload files', onchange: (e) => { uploadFiles([...e.target.files]); e.target.value = ''; } });
  const folderInput = h('input', { type: 'file', multiple: true, webkitdirectory: true, class: 'visually-hidden', id: 'folder-picker', tabindex: '-1', 'aria-label': 'Upload a folder', onchange: (e) => { uploadFiles([...e.target.files], true); e.target.value = ''; } });
  // The Modified column does not fit a phone, so sorting also has a control of its own there (hidden on wider screens).
  const SORTS = [['name:1', 'Name A–Z'], ['name:-1', 'Name Z–A'], ['date:-1', 'Newest first'], ['date:1', 'Oldest first'], ['size:-1', 'Largest first'], ['size:1', 'Smallest first']];
  const sortSelect = h('select', {
    id: 'sort-select',
    onchange: () => { const [key, dir] = sortSelect.value.split(':'); setSort({ key, dir: Number(dir) }); },
  }, SORTS.map(([value, label]) => h('option', { value }, label)));
  // Write actions, hidden in a folder shared with this user as viewer (and, below the top, until that is known).
  const writeControls = [
    h('label', { class: 'button primary', for: 'file-picker' }, 'Upload files'),
    h('label', { class: 'button', for: 'folder-picker' }, 'Upload folder'),
    h('button', { class: 'button', onclick: newFolder }, 'New folder'),
    folder ? h('button', { class: 'button', onclick: () => shareDialog(ctx, { tag: 'folder', path: folder, name: nameOf(folder) }) }, 'Share') : null,
  ].filter(Boolean);
  let readOnly = false;
  const showWriteControls = (show) => { for (const c of writeControls) c.hidden = !show; };
  showWriteControls(!folder);

  const crumbs = [['', 'All files'], ...folder.split('/').filter(Boolean).map((name, i, parts) => ['/' + parts.slice(0, i + 1).join('/'), name])];
  root.append(
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Folder path' }, h('ol', {}, crumbs.map(([path, name], i) => h('li', {},
      i === crumbs.length - 1
        ? h('h1', { id: 'view-title', 'aria-current': 'page' }, name)
        : h('a', { href: filesUrl(path), dataset: { link: '' } }, name))))),
    h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Folder actions' },
      writeControls[0], fileInput, writeControls[1], folderInput, writeControls.slice(2),
      h('button', { class: 'button', onclick: () => downloadFolderZip({ tag: 'folder', path: folder, name: nameOf(folder) || 'DropSync' }) }, 'Download as zip'),
      h('div', { class: 'sort-control' }, h('label', { for: 'sort-select' }, 'Sort by'), sortSelect),
      h('div', { class: 'search' }, searchInput)),
    list);

  for (const label of root.querySelectorAll('label.button')) {
    label.tabIndex = 0;
    activateOnKeys(label, () => label.click());
  }

  /**
   * Whether this folder is inside one shared with this user as viewer. list_folder and get_metadata do not say; the
   * shares list does (a share's path is where it sits in this user's tree).
   */
  async function checkAccess() {
    if (!folder) return;
    try {
      const { entries } = await call('/sharing/list_shared_with_me', {});
      const share = entries.find((e) => sameOrBelow(folder, e.path));
      readOnly = share?.role === 'viewer';
    } catch { readOnly = false; /* the server still refuses what a viewer may not do */ }
    showWriteControls(!readOnly);
  }

  async function refresh() {
    try {
      const [result] = await Promise.all([call('/files/list_folder', { path: folder }), checkAccess()]);
      state.entries = result.entries;
      if (state.query) await search(state.query);
      draw();
    } catch (error) {
      clear(list, h('p', { class: 'error-box', role: 'alert' }, errorMessage(error)));
    }
  }

  async function search(query) {
    state.query = query;
    if (!query) { state.results = null; draw(); return; }
    try {
      const all = await call('/files/list_folder', { path: folder, recursive: true });
      const needle = query.toLocaleLowerCase();
      state.results = all.entries.filter((e) => e.path !== folder && e.name.toLocaleLowerCase().includes(needle));
      draw();
    } catch (error) { showError(error); }
  }

  function sorted(entries) {
    const { key, dir } = state.sort;
    const value = (e) => key === 'size' ? (e.size ?? -1) : key === 'date' ? (e.server_modified ?? '') : e.name.toLocaleLowerCase();
    return [...entries].sort((a, b) => {
      if (a.tag !== b.tag) return a.tag === 'folder' ? -1 : 1;
      const x = value(a), y = value(b);
      return (x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name)) * dir;
    });
  }

  function setSort(sort) {
    state.sort = sort;
    localStorage.setItem(SORT_KEY, JSON.stringify(state.sort));
    draw();
  }

  function sortButton(key, label) {
    const active = state.sort.key === key;
    return h('th', { scope: 'col', 'aria-sort': active ? (state.sort.dir > 0 ? 'ascending' : 'descending') : 'none', class: `col-${key}` },
      h('button', {
        class: 'sort-button', 'aria-label': `Sort by ${label}`,
        onclick: () => {
          setSort({ key, dir: active ? -state.sort.dir : 1 });
          root.querySelector(`.col-${key} button`)?.focus();
        },
      }, label, active ? (state.sort.dir > 0 ? ' ▲' : ' ▼') : ''));
  }

  /**
   * Redraws the list. A redraw replaces the rows, which would drop keyboard focus on <body>; so focus goes back to the
   * row that had it (or to state.focusPath, where a rename or move put it), else to the row now in its place.
   */
  function draw() {
    const focused = document.activeElement?.closest?.('tr.entry');
    const hadFocus = focused && list.contains(focused);
    const rows = [...list.querySelectorAll('tr.entry')];
    const target = state.focusPath ?? (hadFocus ? focused.dataset.path : null);
    const index = hadFocus ? rows.indexOf(focused) : state.focusIndex ?? -1;
    state.focusPath = null;
    state.focusIndex = null;
    drawList();
    if (!target && index < 0) return;
    const now = [...list.querySelectorAll('tr.entry')];
    const row = now.find((r) => target && r.dataset.path.toLocaleLowerCase() === target.toLocaleLowerCase()) ?? now[Math.min(index, now.length - 1)];
    if (row) row.focus();
    else if (hadFocus) main().focus();
  }

  const main = () => document.getElementById('main');

  function drawList() {
    sortSelect.value = `${state.sort.key}:${state.sort.dir}`;
    const entries = sorted(state.results ?? state.entries);
    if (entries.length === 0) {
      clear(list, h('div', { class: 'empty' },
        h('p', {}, state.results ? `Nothing named like “${state.query}” here.` : 'This folder is empty.'),
        state.results ? null : h('p', { class: 'muted' }, 'Drop files or folders here, or use Upload.')));
      return;
    }
    clear(list, h('table', { class: 'files', 'aria-label': state.results ? 'Search results' : 'Files' },
      h('thead', {}, h('tr', {}, sortButton('name', 'Name'), sortButton('size', 'Size'), sortButton('date', 'Modified'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, entries.map((entry) => row(entry)))));
  }

  function row(entry) {
    const conflicted = isConflicted(entry.name);
    const open = () => entry.tag === 'folder' ? ctx.navigate(filesUrl(entry.path)) : previewFile(entry);
    const tr = h('tr', {
      class: `entry entry-${entry.tag}${conflicted ? ' conflicted' : ''}`, tabindex: '0', dataset: { path: entry.path, name: entry.name },
      'aria-label': `${entry.tag === 'folder' ? 'Folder' : 'File'} ${entry.name}${conflicted ? ', conflicted copy' : ''}`,
      ondblclick: open,
    },
    h('td', { class: 'col-name' },
      fileIcon(entry),
      h('button', { class: 'name-button', tabindex: '-1', onclick: open }, entry.name),
      conflicted ? h('span', { class: 'badge warn', title: 'A conflicted copy: two devices edited this file at the same time' }, 'Conflict') : null,
      state.results ? h('span', { class: 'muted path-hint' }, parentOf(entry.path) || '/') : null),
    h('td', { class: 'col-size' }, entry.tag === 'file' ? formatSize(entry.size) : '—'),
    h('td', { class: 'col-date' }, formatDate(entry.server_modified)),
    h('td', { class: 'col-actions' },
      conflicted && !readOnly ? h('button', { class: 'button small', onclick: () => resolveConflict(entry) }, 'Resolve') : null,
      h('button', { class: 'icon-button', 'aria-label': `Actions for ${entry.name}`, 'aria-haspopup': 'dialog', onclick: () => actions(entry) }, '⋯')));
    activateOnKeys(tr, open);
    tr.addEventListener('keydown', (e) => {
      if (e.target !== tr) return;
      if (e.key === 'ArrowDown') { e.preventDefault(); tr.nextElementSibling?.focus(); }
      if (e.key === 'ArrowUp') { e.preventDefault(); tr.previousElementSibling?.focus(); }
      if (e.key === 'Delete' && !readOnly) { e.preventDefault(); remove(entry); }
      if (e.key === 'F2' && !readOnly) { e.preventDefault(); rename(entry); }
      if (e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10')) { e.preventDefault(); actions(entry); }
    });
    return tr;
  }

  async function actions(entry) {
    const choice = await openDialog(entry.name, (body, close) => {
      const item = (value, label, danger) => h('li', {}, h('button', { class: danger ? 'menu-item danger' : 'menu-item', onclick: () => close(value) }, label));
      body.append(h('ul', { class: 'menu', 'aria-label': `Actions for ${entry.name}` },
        entry.tag === 'file' ? item('preview', 'Open preview') : item('open', 'Open'),
        item('download', entry.tag === 'file' ? 'Download' : 'Download as zip'),
        readOnly ? null : [item('rename', 'Rename'), item('move', 'Move')], item('copy', 'Copy'),
        entry.tag === 'file' ? item('revisions', 'Revisions') : null,
        entry.tag === 'folder' && !readOnly ? item('share', 'Share with people') : null,
        item('link', 'Shared link'),
        isConflicted(entry.name) && !readOnly ? item('resolve', 'Resolve conflict') : null,
        readOnly ? null : item('delete', 'Delete', true)));
    });
    const run = {
      preview: () => previewFile(entry), open: () => ctx.navigate(filesUrl(entry.path)),
      download: () => entry.tag === 'file' ? downloadFile(entry) : downloadFolderZip(entry),
      rename: () => rename(entry), move: () => relocate(entry, 'move'), copy: () => relocate(entry, 'copy'),
      revisions: () => revisionsDialog(ctx, entry, refresh), share: () => shareDialog(ctx, entry), link: () => shareDialog(ctx, entry, true),
      resolve: () => resolveConflict(entry), delete: () => remove(entry),
    }[choice];
    if (run) await run();
  }

  /** Where an entry's row is in the list (for focusing the row that takes its place once it is gone). */
  function rowIndex(entry) {
    return [...list.querySelectorAll('tr.entry')].findIndex((r) => r.dataset.path === entry.path);
  }

  async function newFolder() {
    const result = await promptDialog('New folder', [{ name: 'name', label: 'Folder name', required: true }], 'Create');
    if (!result?.name) return;
    try {
      await call('/files/create_folder', { path: joinPath(folder, result.name.trim()) });
      toast(`Created folder ${result.name}`);
      await refresh();
    } catch (error) { showError(error); }
  }

  async function rename(entry) {
    const result = await promptDialog(`Rename ${entry.name}`, [{ name: 'name', label: 'New name', value: entry.name, required: true }], 'Rename');
    if (!result?.name || result.name === entry.name) return;
    try {
      const moved = await call('/files/move', { from_path: entry.path, to_path: joinPath(parentOf(entry.path), result.name.trim()) });
      toast(`Renamed to ${result.name}`);
      state.focusPath = moved.path;
      await refresh();
    } catch (error) { showError(error); }
  }

  async function relocate(entry, verb) {
    const result = await promptDialog(`${verb === 'move' ? 'Move' : 'Copy'} ${entry.name}`,
      [{ name: 'folder', label: 'To folder (e.g. /Photos/2024; empty for the top)', value: parentOf(entry.path) }], verb === 'move' ? 'Move' : 'Copy');
    if (!result) return;
    const target = ('/' + result.folder.trim()).replace(/\/+/g, '/').replace(/\/$/, '');
    try {
      const result = await call(`/files/${verb}`, { from_path: entry.path, to_path: joinPath(target, entry.name) });
      toast(`${verb === 'move' ? 'Moved' : 'Copied'} ${entry.name} to ${target || 'All files'}`);
      // Focus stays on the row: the moved one if it is still in this folder (a copy: the original), else the next one.
      state.focusPath = verb === 'move' ? result.path : entry.path;
      state.focusIndex = rowIndex(entry);
      await refresh();
    } catch (error) { showError(error); }
  }

  async function remove(entry) {
    const ok = await confirmDialog(`Delete ${entry.name}?`,
      entry.tag === 'folder' ? 'The folder and everything in it will be deleted. You can restore files from Deleted files.' : 'You can restore it from Deleted files.', 'Delete', true);
    if (!ok) return;
    try {
      await call('/files/delete', { path: entry.path });
      toast(`Deleted ${entry.name}`);
      state.focusIndex = rowIndex(entry);
      await refresh();
    } catch (error) { showError(error); }
  }

  async function resolveConflict(entry) {
    const originalName = entry.name.replace(/ \(conflicted copy from [^)]*\)( \(\d+\))?/, '');
    const originalPath = joinPath(parentOf(entry.path), originalName);
    const choice = await openDialog('Resolve conflict', (body, close) => {
      body.append(
        h('p', {}, `“${entry.name}” was saved beside “${originalName}” because two devices changed the file at the same time.`),
        h('ul', { class: 'menu' },
          h('li', {}, h('button', { class: 'menu-item', onclick: () => close('original') }, `Keep “${originalName}” (delete the conflicted copy)`)),
          h('li', {}, h('button', { class: 'menu-item', onclick: () => close('copy') }, 'Keep the conflicted copy (it replaces the other; the old one stays in its revisions)')),
          h('li', {}, h('button', { class: 'menu-item', onclick: () => close('both') }, 'Keep both (give the copy its own name)'))));
    });
    try {
      if (choice === 'original') {
        await call('/files/delete', { path: entry.path });
      } else if (choice === 'copy') {
        await call('/files/delete', { path: originalPath }).catch((e) => { if (e.status !== 404 && e.status !== 409) throw e; });
        await call('/files/move', { from_path: entry.path, to_path: originalPath });
      } else if (choice === 'both') {
        const dot = originalName.lastIndexOf('.');
        const [base, ext] = dot > 0 ? [originalName.slice(0, dot), originalName.slice(dot)] : [originalName, ''];
        const names = new Set(state.entries.map((e) => e.name.toLocaleLowerCase()));
        let n = 2;
        while (names.has(`${base} (${n})${ext}`.toLocaleLowerCase())) n++;
        const result = await promptDialog('Keep both', [{ name: 'name', label: 'Name for the copy', value: `${base} (${n})${ext}`, required: true }], 'Rename');
        if (!result?.name) return;
        await call('/files/move', { from_path: entry.path, to_path: joinPath(parentOf(entry.path), result.name.trim()) });
      } else {
        return;
      }
      toast('Conflict resolved');
      await refresh();
    } catch (error) { showError(error); }
  }

  function uploadFiles(files, withFolders = false) {
    if (!files.length) return;
    const entries = files.map((file) => ({ file, path: joinPath(folder, withFolders && file.webkitRelativePath ? file.webkitRelativePath : file.name) }));
    ctx.uploader.add(entries);
  }

  async function uploadDropped(dataTransfer) {
    // A viewer has no upload buttons; a drop would only be refused by the server file by file.
    if (readOnly) { toast('You can view this folder but not add to it: it is shared with you as viewer.', 'error'); return; }
    const items = [...(dataTransfer.items ?? [])].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
    if (!items.length) { uploadFiles([...dataTransfer.files]); return; }
    const out = [];
    const walk = async (entry, prefix) => {
      const path = joinPath(prefix, entry.name);
      if (entry.isFile) {
        out.push({ file: await new Promise((resolve, reject) => entry.file(resolve, reject)), path });
      } else if (entry.isDirectory) {
        out.push({ folder: path });
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
          if (!batch.length) break;
          for (const child of batch) await walk(child, path);
        }
      }
    };
    try {
      for (const entry of items) await walk(entry, folder);
      ctx.uploader.add(out);
    } catch (error) { showError(error); }
  }

  refresh();
  return { el: root, folder, refresh, onDrop: uploadDropped };
}

/** Whether path is folder itself or inside it, ignoring case as DropSync paths do. */
function sameOrBelow(path, folder) {
  const p = path.toLocaleLowerCase(), f = folder.toLocaleLowerCase();
  return p === f || p.startsWith(f + '/');
}

export async function downloadFile(entry, rev) {
  const note = toast(`Downloading ${entry.name}…`, 'info', 0);
  try {
    const blob = await downloadBlob(entry.path, {
      rev, size: rev ? undefined : entry.size, onProgress: (got, total) => { note.firstChild.textContent = `Downloading ${entry.name}… ${total ? Math.floor((got / total) * 100) + '%' : formatSize(got)}`; },
    });
    saveBlob(blob, entry.name);
  } catch (error) { showError(error); } finally { note.remove(); }
}

/** Downloads a folder as a zip built in the browser; list(path) answers its recursive entries, fetch(entry) a Blob. */
export async function zipAndSave(name, entries, base, fetchFile) {
  const files = entries.filter((e) => e.tag === 'file');
  const total = files.reduce((n, e) => n + e.size, 0);
  if (total > ZIP_LIMIT) throw new Error('The folder is larger than 4 GiB; download its files or subfolders separately.');
  const note = toast(`Zipping ${name}…`, 'info', 0);
  try {
    const parts = [];
    let done = 0;
    for (const file of files) {
      const blob = await fetchFile(file);
      parts.push({ name: file.path.slice(base.length).replace(/^\//, ''), data: new Uint8Array(await blob.arrayBuffer()), modified: new Date(file.server_modified) });
      done += file.size;
      note.firstChild.textContent = `Zipping ${name}… ${total ? Math.floor((done / total) * 100) : 100}%`;
    }
    saveBlob(buildZip(parts), `${name}.zip`);
  } finally { note.remove(); }
}

async function downloadFolderZip(entry) {
  try {
    const { entries } = await call('/files/list_folder', { path: entry.path, recursive: true });
    await zipAndSave(entry.name || 'DropSync', entries, entry.path, (file) => downloadBlob(file.path, { size: file.size }));
  } catch (error) { showError(error); }
}

export async function revisionsDialog(ctx, entry, onRestored) {
  let data;
  try {
    data = await call('/files/list_revisions', { path: entry.path, limit: 100 });
  } catch (error) { showError(error); return; }
  const devices = await ctx.deviceNames();
  const history = await historyNote();
  await openDialog(`Revisions of ${entry.name}`, (body, close) => {
    if (history) body.append(history);
    body.append(h('table', { class: 'revisions', 'aria-label': `Revisions of ${entry.name}` },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, data.entries.map((rev, i) => h('tr', { class: 'revision', dataset: { rev: rev.rev } },
        h('td', {}, formatDate(rev.server_modified), i === 0 && entry.tag !== 'deleted' ? h('span', { class: 'badge' }, 'Current') : null),
        h('td', {}, formatSize(rev.size)),
        h('td', {}, devices.get(rev.device_id) ?? 'another device'),
        h('td', { class: 'col-actions' },
          h('button', { class: 'button small', 'aria-label': `Preview revision from ${formatDate(rev.server_modified)}`, onclick: () => previewFile({ ...entry, size: rev.size }, { rev: rev.rev }) }, 'View'),
          h('button', { class: 'button small', 'aria-label': `Download revision from ${formatDate(rev.server_modified)}`, onclick: () => downloadFile(entry, rev.rev) }, 'Download'),
          i === 0 && entry.tag !== 'deleted' ? null : h('button', {
            class: 'button small primary', 'aria-label': `Restore revision from ${formatDate(rev.server_modified)}`,
            onclick: async () => {
              try {
                await call('/files/restore', { path: entry.path, rev: rev.rev });
                toast(`Restored ${entry.name} to the version from ${formatDate(rev.server_modified)}`);
                close(true);
                onRestored?.();
              } catch (error) { showError(error); }
            },
          }, 'Restore')))))));
  }, { wide: true });
}

export async function shareDialog(ctx, entry, linksOnly = false) {
  await openDialog(linksOnly ? `Shared link to ${entry.name}` : `Share ${entry.name}`, (body) => {
    const members = h('ul', { class: 'members', 'aria-label': 'People with access' });
    const links = h('ul', { class: 'links', 'aria-label': 'Shared links' });
    const memberError = h('p', { class: 'form-error', role: 'alert' });
    const linkError = h('p', { class: 'form-error', role: 'alert' });

    const loadMembers = async () => {
      try {
        const { members: list } = await call('/sharing/list_members', { path: entry.path });
        clear(members, list.map((m) => h('li', { class: 'member' },
          h('span', {}, m.email), h('span', { class: 'badge' }, m.role),
          m.is_owner ? null : h('button', {
            class: 'button small', 'aria-label': `Remove ${m.email}`,
            onclick: async () => {
              try { await call('/sharing/remove_member', { path: entry.path, email: m.email }); await loadMembers(); } catch (e) { memberError.textContent = errorMessage(e); }
            },
          }, 'Remove'))));
      } catch (error) {
        clear(members, h('li', { class: 'muted' }, error.status === 404 || error.status === 409 || error.status === 400 ? 'Not shared with anyone yet.' : errorMessage(error)));
      }
    };
    const loadLinks = async () => {
      try {
        const { links: list } = await call('/sharing/list_links', {});
        const mine = list.filter((l) => l.path.toLocaleLowerCase() === entry.path.toLocaleLowerCase() && !l.revoked_at);
        clear(links, mine.length ? mine.map((l) => linkItem(l, loadLinks, linkError)) : h('li', { class: 'muted' }, 'No links yet.'));
      } catch (error) { linkError.textContent = errorMessage(error); }
    };

    if (!linksOnly && entry.tag === 'folder') {
      const form = h('form', {
        class: 'form inline-form', 'aria-label': 'Invite someone',
        onsubmit: async (e) => {
          e.preventDefault();
          memberError.textContent = '';
          const data = Object.fromEntries(new FormData(form));
          try {
            await call('/sharing/add_member', { path: entry.path, email: data.email.trim(), role: data.role });
            form.reset();
            toast(`Shared ${entry.name} with ${data.email}`);
            await loadMembers();
          } catch (error) { memberError.textContent = errorMessage(error); }
        },
      },
      h('label', { class: 'field grow' }, h('span', {}, 'Email'), h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off', placeholder: 'name@example.com' })),
      h('label', { class: 'field' }, h('span', {}, 'Role'), h('select', { name: 'role' }, h('option', { value: 'editor' }, 'Can edit'), h('option', { value: 'viewer' }, 'Can view'))),
      h('button', { class: 'button primary', type: 'submit' }, 'Share'));
      body.append(h('h3', {}, 'People'), form, memberError, members);
      loadMembers();
    }

    const linkForm = h('form', {
      class: 'form inline-form', 'aria-label': 'Create a shared link',
      onsubmit: async (e) => {
        e.preventDefault();
        linkError.textContent = '';
        const data = Object.fromEntries(new FormData(linkForm));
        try {
          const link = await call('/sharing/create_link', {
            path: entry.path, expires: data.expires ? new Date(data.expires).toISOString() : undefined, password: data.password || undefined,
          });
          linkForm.reset();
          await copyText(humanLink(link.url));
          await loadLinks();
        } catch (error) { linkError.textContent = errorMessage(error); }
      },
    },
    h('label', { class: 'field' }, h('span', {}, 'Expires (optional)'), h('input', { name: 'expires', type: 'datetime-local' })),
    h('label', { class: 'field' }, h('span', {}, 'Password (optional)'), h('input', { name: 'password', type: 'password', autocomplete: 'new-password' })),
    h('button', { class: 'button primary', type: 'submit' }, 'Create link'));
    body.append(h('h3', {}, 'Shared links'), h('p', { class: 'muted' }, 'Anyone with a link can view and download, without an account.'), linkForm, linkError, links);
    loadLinks();
  }, { wide: true });
}

/** The API answers links as /s/{token} (its JSON endpoint); people open the page at /link/{token}. */
export const humanLink = (url) => url.replace(/\/s\/([^/?#]+)$/, '/link/$1');

function linkItem(link, reload, errorBox) {
  const url = humanLink(link.url);
  return h('li', { class: 'link-item' },
    h('input', { class: 'link-url', readonly: true, value: url, 'aria-label': `Link to ${link.path}`, onfocus: (e) => e.target.select() }),
    h('span', { class: 'muted' }, [link.has_password ? 'password' : null, link.expires_at ? `expires ${formatDate(link.expires_at)}` : null].filter(Boolean).join(' · ')),
    h('button', { class: 'button small', 'aria-label': `Copy link to ${link.path}`, onclick: () => copyText(url) }, 'Copy'),
    h('button', {
      class: 'button small danger', 'aria-label': `Revoke link to ${link.path}`,
      onclick: async () => {
        try { await call('/sharing/revoke_link', { link_id: link.link_id }); toast('Link revoked'); await reload(); } catch (e) { errorBox.textContent = errorMessage(e); }
      },
    }, 'Revoke'));
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Link copied to the clipboard');
  } catch {
    toast(`Link: ${text}`, 'info', 15000);
  }
}

/** "Old revisions and deleted files are kept 180 days, …": the server's retention policy, or null if it has none to tell. */
async function historyNote() {
  try {
    const { history } = await serverConfig();
    return history ? h('p', { class: 'muted history-note' }, `Old revisions and deleted files are kept ${history}.`) : null;
  } catch { return null; }
}

export function deletedView(ctx) {
  const root = h('section', { class: 'view', 'aria-labelledby': 'view-title' }, h('h1', { id: 'view-title' }, 'Deleted files'),
    h('p', { class: 'muted' }, 'Deleted files keep their revisions; restore one to bring it back where it was.'));
  historyNote().then((note) => { if (note) root.querySelector('p.muted')?.after(note); });
  const list = h('div', { class: 'file-list' });
  root.append(list);
  async function refresh() {
    try {
      const { entries } = await call('/files/list_deleted', { path: '', limit: 500 });
      if (!entries.length) { clear(list, h('p', { class: 'empty' }, 'No deleted files.')); return; }
      clear(list, h('table', { class: 'files', 'aria-label': 'Deleted files' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Folder'), h('th', { scope: 'col' }, 'Deleted'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, entries.map((entry) => h('tr', { class: 'entry', dataset: { path: entry.path, name: entry.name } },
          h('td', { class: 'col-name' }, fileIcon({ tag: 'file', name: entry.name }), h('span', {}, entry.name)),
          h('td', {}, parentOf(entry.path) || '/'),
          h('td', {}, formatDate(entry.server_modified)),
          h('td', { class: 'col-actions' },
            h('button', { class: 'button small', 'aria-label': `Revisions of ${entry.name}`, onclick: () => revisionsDialog(ctx, entry, refresh) }, 'Revisions'),
            h('button', { class: 'button small primary', 'aria-label': `Restore ${entry.name}`, onclick: () => restoreLatest(entry) }, 'Restore')))))));
    } catch (error) { clear(list, h('p', { class: 'error-box', role: 'alert' }, errorMessage(error))); }
  }
  async function restoreLatest(entry) {
    try {
      const { entries } = await call('/files/list_revisions', { path: entry.path, limit: 1 });
      if (!entries.length) throw new Error('This file has no revision to restore.');
      await call('/files/restore', { path: entry.path, rev: entries[0].rev });
      toast(`Restored ${entry.name}`);
      await refresh();
    } catch (error) { showError(error); }
  }
  refresh();
  return { el: root, refresh };
}

export function sharedView(ctx) {
  const root = h('section', { class: 'view', 'aria-labelledby': 'view-title' }, h('h1', { id: 'view-title' }, 'Shared with me'));
  const list = h('div', { class: 'file-list' });
  root.append(list);
  async function refresh() {
    try {
      const { entries } = await call('/sharing/list_shared_with_me', {});
      if (!entries.length) { clear(list, h('p', { class: 'empty' }, 'Nobody has shared a folder with you yet.')); return; }
      clear(list, h('table', { class: 'files', 'aria-label': 'Folders shared with me' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Folder'), h('th', { scope: 'col' }, 'Owner'), h('th', { scope: 'col' }, 'Access'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, entries.map((share) => {
          const open = () => ctx.navigate(filesUrl(share.path));
          const tr = h('tr', { class: 'entry', tabindex: '0', dataset: { path: share.path, name: nameOf(share.path) }, 'aria-label': `Shared folder ${nameOf(share.path)} from ${share.owner_email}`, ondblclick: open },
            h('td', { class: 'col-name' }, fileIcon({ tag: 'folder' }), h('button', { class: 'name-button', tabindex: '-1', onclick: open }, nameOf(share.path))),
            h('td', {}, share.owner_email),
            h('td', {}, h('span', { class: 'badge' }, share.role === 'viewer' ? 'Can view' : 'Can edit')),
            h('td', { class: 'col-actions' }, h('button', {
              class: 'button small', 'aria-label': `Leave ${nameOf(share.path)}`,
              onclick: async () => {
                if (!await confirmDialog('Leave shared folder?', `${nameOf(share.path)} will disappear from your files; ${share.owner_email} keeps it.`, 'Leave', true)) return;
                try { await call('/sharing/leave', { path: share.path }); await refresh(); } catch (e) { showError(e); }
              },
            }, 'Leave')));
          activateOnKeys(tr, open);
          return tr;
        }))));
    } catch (error) { clear(list, h('p', { class: 'error-box', role: 'alert' }, errorMessage(error))); }
  }
  refresh();
  return { el: root, refresh };
}

export function linksView() {
  const root = h('section', { class: 'view', 'aria-labelledby': 'view-title' }, h('h1', { id: 'view-title' }, 'Shared links'));
  const list = h('ul', { class: 'links' });
  const errorBox = h('p', { class: 'form-error', role: 'alert' });
  root.append(errorBox, list);
  async function refresh() {
    try {
      const { links } = await call('/sharing/list_links', {});
      const live = links.filter((l) => !l.revoked_at);
      clear(list, live.length ? live.map((l) => h('li', { class: 'link-row' }, h('strong', {}, l.path), linkItem(l, refresh, errorBox))) : h('li', { class: 'empty' }, 'You have no shared links.'));
    } catch (error) { errorBox.textContent = errorMessage(error); }
  }
  refresh();
  return { el: root, refresh };
}

function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

export { CONFLICT_MARK };
