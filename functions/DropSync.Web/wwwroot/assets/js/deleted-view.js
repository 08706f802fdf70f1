// Deleted files, newest first, each with its revisions and a one-click restore.
import { call } from './api.js';
import { historyNote } from './history-note.js';
import { parentOf } from './paths.js';
import { revisionsDialog } from './revisions-dialog.js';
import { clear, drawKeyedTable, errorMessage, fileIcon, formatDate, h, showError, toast } from './ui.js';

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
      drawKeyedTable(list, { class: 'files', 'aria-label': 'Deleted files' },
        { key: '', cells: () => [h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Folder'), h('th', { scope: 'col' }, 'Deleted'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions'))] },
        entries, (entry) => entry.path, (entry) => h('tr', { class: 'entry', dataset: { path: entry.path, name: entry.name } },
          h('td', { class: 'col-name' }, fileIcon({ tag: 'file', name: entry.name }), h('span', {}, entry.name)),
          h('td', {}, parentOf(entry.path) || '/'),
          h('td', {}, formatDate(entry.server_modified)),
          h('td', { class: 'col-actions' },
            h('button', { class: 'button small', 'aria-label': `Revisions of ${entry.name}`, onclick: () => revisionsDialog(ctx, entry, refresh) }, 'Revisions'),
            h('button', { class: 'button small primary', 'aria-label': `Restore ${entry.name}`, onclick: () => restoreLatest(entry) }, 'Restore'))));
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
