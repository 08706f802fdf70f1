// Notifications, newest first: opening one marks it read and goes to where it happened.
import { call } from './api.js';
import { filesUrl, parentOf } from './paths.js';
import { activateOnKeys, clear, drawKeyed, errorMessage, formatDate, h, showError } from './ui.js';

const KIND_TEXT = { edited: 'edited', deleted: 'deleted', shared: 'shared', unshared: 'stopped sharing', invited: 'invites you to', joined: 'joined' };
export const describeNotification = (n) => `${n.actor_email || 'Someone'} ${KIND_TEXT[n.kind] ?? n.kind} ${n.path}`;

/** The notification history; the bell's count lives in the shell: unread() reads it, setUnread(n) sets it. */
export function notificationsView({ navigate, unread, setUnread }) {
  const root = h('section', { class: 'view', 'aria-labelledby': 'view-title' });
  const list = h('ul', { class: 'notifications' });
  root.append(h('div', { class: 'view-head' }, h('h1', { id: 'view-title' }, 'Notifications'),
    h('button', { class: 'button small', onclick: () => markAll() }, 'Mark all read')), list);
  async function markAll() {
    try { await call('/notifications/mark_read', {}); setUnread(0); await refresh(); } catch (e) { showError(e); }
  }
  async function refresh() {
    try {
      const page = await call('/notifications/list', { limit: 100 });
      setUnread(page.unread);
      if (!page.notifications.length) { clear(list, h('li', { class: 'empty' }, 'No notifications yet.')); return; }
      drawKeyed(list, page.notifications, (n) => n.notification_id, (n) => {
        const target = n.kind === 'deleted' ? '/app/deleted' : n.kind === 'invited' ? '/app/shared' : filesUrl(n.kind === 'shared' || n.kind === 'joined' ? n.path : parentOf(n.path));
        const li = h('li', { class: n.read ? 'notification' : 'notification unread', tabindex: '0', role: 'link', 'aria-label': `${n.read ? '' : 'Unread: '}${describeNotification(n)}` },
          h('span', {}, describeNotification(n)), h('span', { class: 'muted' }, formatDate(n.time)));
        const open = async () => {
          if (!n.read) {
            try {
              await call('/notifications/mark_read', { ids: [n.notification_id] });
              n.read = true;
              // The bell outlives this view: lower it now, then take the server's count (other tabs may have read some).
              setUnread(unread() - 1);
              call('/notifications/list', { limit: 1 }).then((p) => setUnread(p.unread)).catch(() => {});
            } catch { /* still open it */ }
          }
          navigate(target);
        };
        li.addEventListener('click', open);
        activateOnKeys(li, open);
        return li;
      });
    } catch (error) { clear(list, h('li', { class: 'error-box', role: 'alert' }, errorMessage(error))); }
  }
  refresh();
  return { el: root, refresh };
}
