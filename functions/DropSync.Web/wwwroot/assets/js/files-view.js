// The file browser: breadcrumbs, sorting, search, folder actions, and uploads by picker and drag and drop. Its dialogs
// (revisions, sharing) and downloads are modules of their own.
import { call, listFolder, callAll } from './api.js';
import { downloadFile, downloadFolderZip } from './download.js';
import { filesUrl, isWithin, joinPath, nameOf, parentOf, pathKey } from './paths.js';
import { previewFile } from './preview.js';
import { revisionsDialog } from './revisions-dialog.js';
import { shareDialog } from './share-dialog.js';
import {
  activateOnKeys, clear, confirmDialog, drawKeyedTable, errorMessage, fileIcon, formatDate, formatSize, h, isConflicted,
  openDialog, promptDialog, showError, toast,
} from './ui.js';

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
    folder ? h('button', { class: 'button', onclick: () => shareDialog(ctx, { tag: 'folder', path: folder, path_lower: folderKey ?? pathKey(folder), name: nameOf(folder) }) }, 'Share') : null,
  ].filter(Boolean);
  let readOnly = false;
  // The server's key for this folder (its path_lower; '' for the top), known once its metadata has been read.
  let folderKey = folder ? null : '';
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
      const [{ entries }, metadata] = await Promise.all([
        callAll('/sharing/list_shared_with_me', {}),
        folderKey === null ? call('/files/get_metadata', { path: folder }) : null,
      ]);
      if (metadata) folderKey = metadata.path_lower;
      const share = entries.find((e) => isWithin(folderKey, e.path_lower));
      readOnly = share?.role === 'viewer';
    } catch { readOnly = false; /* the server still refuses what a viewer may not do */ }
    showWriteControls(!readOnly);
  }

  async function refresh() {
    try {
      const [result] = await Promise.all([listFolder(folder), checkAccess()]);
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
      const all = await listFolder(folder, { recursive: true });
      const needle = query.toLocaleLowerCase();
      state.results = all.entries.filter((e) => e.path_lower !== folderKey && e.name.toLocaleLowerCase().includes(needle));
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
   * Redraws the list. Rows whose entry did not change are kept (drawList), so a focused row or button stays focused;
   * focus moves only to where a rename or move put it (state.focusKey) or, when its row went away, to the row now in
   * its place.
   */
  function draw() {
    const focused = document.activeElement;
    const focusedRow = focused?.closest?.('tr.entry');
    const hadFocus = focusedRow && list.contains(focusedRow);
    const rows = [...list.querySelectorAll('tr.entry')];
    const target = state.focusKey ?? (hadFocus ? focusedRow.dataset.pathLower : null);
    const index = hadFocus ? rows.indexOf(focusedRow) : state.focusIndex ?? -1;
    const moveFocus = state.focusKey !== null && state.focusKey !== undefined;
    state.focusKey = null;
    state.focusIndex = null;
    drawList();
    if (!target && index < 0) return;
    if (hadFocus && !moveFocus && list.contains(focused)) {
      if (document.activeElement !== focused) focused.focus(); // a kept row that moved lost focus in the move
      return;
    }
    const now = [...list.querySelectorAll('tr.entry')];
    const row = now.find((r) => target && r.dataset.pathLower === target) ?? now[Math.min(index, now.length - 1)];
    if (row) row.focus();
    else if (hadFocus) main().focus();
  }

  const main = () => document.getElementById('main');

  /**
   * Draws the sorted entries into the list, keyed by path (drawKeyedTable): a row whose entry (and the view's read-only and
   * search modes) is unchanged is the same element as before, so a live update of one file redraws one row.
   */
  function drawList() {
    sortSelect.value = `${state.sort.key}:${state.sort.dir}`;
    const entries = sorted(state.results ?? state.entries);
    if (entries.length === 0) {
      clear(list, h('div', { class: 'empty' },
        h('p', {}, state.results ? `Nothing named like “${state.query}” here.` : 'This folder is empty.'),
        state.results ? null : h('p', { class: 'muted' }, 'Drop files or folders here, or use Upload.')));
      return;
    }
    drawKeyedTable(list, { class: 'files', 'aria-label': state.results ? 'Search results' : 'Files' },
      {
        key: `${state.sort.key}:${state.sort.dir}`,
        cells: () => [sortButton('name', 'Name'), sortButton('size', 'Size'), sortButton('date', 'Modified'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions'))],
      },
      entries, (entry) => entry.path_lower, row, (entry) => JSON.stringify([entry, readOnly, Boolean(state.results)]));
  }

  function row(entry) {
    const conflicted = isConflicted(entry.name);
    const open = () => entry.tag === 'folder' ? ctx.navigate(filesUrl(entry.path)) : previewFile(entry);
    const tr = h('tr', {
      class: `entry entry-${entry.tag}${conflicted ? ' conflicted' : ''}`, tabindex: '0', dataset: { path: entry.path, pathLower: entry.path_lower, name: entry.name },
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
      state.focusKey = moved.path_lower;
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
      state.focusKey = verb === 'move' ? result.path_lower : entry.path_lower;
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
        const taken = new Set(state.entries.map((e) => nameOf(e.path_lower)));
        let n = 2;
        while (taken.has(pathKey(`${base} (${n})${ext}`))) n++;
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
  return { el: root, folder, folderKey: () => folderKey, refresh, onDrop: uploadDropped };
}


function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
