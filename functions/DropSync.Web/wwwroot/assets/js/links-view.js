// This user's working shared links, each with copy and revoke.
import { call, callAll } from './api.js';
import { linkItem } from './share-dialog.js';
import { clear, errorMessage, h } from './ui.js';

export function linksView() {
  const root = h('section', { class: 'view', 'aria-labelledby': 'view-title' }, h('h1', { id: 'view-title' }, 'Shared links'));
  const list = h('ul', { class: 'links' });
  const errorBox = h('p', { class: 'form-error', role: 'alert' });
  root.append(errorBox, list);
  async function refresh() {
    try {
      const { links } = await callAll('/sharing/list_links', {}, ['links']);
      const live = links.filter((l) => !l.revoked_at);
      clear(list, live.length ? live.map((l) => h('li', { class: 'link-row' }, h('strong', {}, l.path), linkItem(l, refresh, errorBox))) : h('li', { class: 'empty' }, 'You have no shared links.'));
    } catch (error) { errorBox.textContent = errorMessage(error); }
  }
  refresh();
  return { el: root, refresh };
}
