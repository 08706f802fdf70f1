// The revisions of a file: preview, download or restore any of them.
import { call } from './api.js';
import { downloadFile } from './download.js';
import { historyNote } from './history-note.js';
import { previewFile } from './preview.js';
import { formatDate, formatSize, h, openDialog, showError, toast } from './ui.js';

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
