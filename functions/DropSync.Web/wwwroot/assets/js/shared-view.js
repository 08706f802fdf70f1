// Folders other people share with this user, where they sit in this user's tree, and leaving them; invitations first.
import { call, callAll } from './api.js';
import { invitationsPanel } from './invitations-view.js';
import { filesUrl, nameOf } from './paths.js';
import { activateOnKeys, clear, confirmDialog, drawKeyedTable, errorMessage, fileIcon, h, showError } from './ui.js';

export function sharedView(ctx) {
  const root = h('section', { class: 'view', 'aria-labelledby': 'view-title' }, h('h1', { id: 'view-title' }, 'Shared with me'));
  const list = h('div', { class: 'file-list' });
  const invitations = invitationsPanel(ctx, () => refresh());
  root.append(invitations.el, list);
  async function refresh() {
    try {
      const { entries } = await callAll('/sharing/list_shared_with_me', {});
      if (!entries.length) { clear(list, h('p', { class: 'empty' }, 'Nobody has shared a folder with you yet.')); return; }
      drawKeyedTable(list, { class: 'files', 'aria-label': 'Folders shared with me' },
        { key: '', cells: () => [h('th', { scope: 'col' }, 'Folder'), h('th', { scope: 'col' }, 'Owner'), h('th', { scope: 'col' }, 'Access'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions'))] },
        entries, (share) => share.path, (share) => {
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
        });
    } catch (error) { clear(list, h('p', { class: 'error-box', role: 'alert' }, errorMessage(error))); }
  }
  refresh();
  return { el: root, refresh: () => { invitations.refresh(); return refresh(); } };
}
