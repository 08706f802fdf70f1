// The app shell: routing (History API under /app/… and /link/{token}), sign up / sign in / sign out, devices,
// notifications with the unread count, and the live WebSocket that refreshes the open folder when it changes.
import { call, onUnauthorized, session, callAll } from './api.js';
import { authView } from './auth-view.js';
import { deletedView } from './deleted-view.js';
import { devicesView } from './devices-view.js';
import { filesView } from './files-view.js';
import { linkView } from './link.js';
import { linksView } from './links-view.js';
import { startLive as openLive, stopLive } from './live.js';
import { describeNotification, notificationsView } from './notifications-view.js';
import { isWithin } from './paths.js';
import { sharedView } from './shared-view.js';
import { clear, formatSize, h, showError, toast } from './ui.js';
import { Uploader } from './upload.js';

const main = document.getElementById('main');
const sidebar = document.getElementById('sidebar');
const actionsBar = document.getElementById('topbar-actions');
let current = null; // the open view: {el, refresh?, folder?, onDrop?}
let unread = 0;
let deviceCache = null;

const ctx = {
  navigate,
  uploader: null,
  /** device_id → name, for this account's devices (others' devices show as "another device"). */
  async deviceNames() {
    if (!deviceCache) {
      try {
        const { devices } = await callAll('/auth/list_devices', {}, ['devices']);
        deviceCache = new Map(devices.map((d) => [d.device_id, d.name + (d.current ? ' (this browser)' : '')]));
      } catch { deviceCache = new Map(); }
    }
    return deviceCache;
  },
};

ctx.uploader = new Uploader(document.getElementById('uploads'), {
  // This device's own changes never come back over the live socket, so an upload refreshes the open folder itself when
  // it put anything anywhere below it (a folder upload's files are deeper down, but their top folder is a new row here).
  onUploaded: (meta) => { if (current?.folder !== undefined && meta?.path_lower && touchesOpenFolder(meta.path_lower)) scheduleRefresh(); },
  onError: showError,
});

function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else if (url !== location.pathname) history.pushState(null, '', url);
  route();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);
onUnauthorized(() => {
  if (!session.get()) return;
  session.clear();
  stopLive();
  toast('You have been signed out (this device was signed out or its access was revoked). Sign in again.', 'error', 10000);
  navigate('/app/signin', { replace: true });
});

function route() {
  const path = decodeURI(location.pathname);
  const signedIn = !!session.get();
  if (path.startsWith('/link/')) { show(linkView(location.pathname.slice('/link/'.length)), false); return; }
  if (!signedIn) {
    if (path === '/app/signup') show(authView('signup', { onSignedIn }), false);
    else { if (path !== '/app/signin') history.replaceState(null, '', '/app/signin'); show(authView('signin', { onSignedIn }), false); }
    return;
  }
  startLive();
  if (path === '/' || path === '/app' || path === '/app/' || path === '/app/signin' || path === '/app/signup') { navigate('/app/files', { replace: true }); return; }
  if (path === '/app/files' || path.startsWith('/app/files/')) {
    const folder = location.pathname.slice('/app/files'.length).split('/').map((s) => decodeURIComponent(s)).join('/').replace(/\/$/, '');
    show(filesView(ctx, folder), true, 'files');
  } else if (path === '/app/deleted') show(deletedView(ctx), true, 'deleted');
  else if (path === '/app/shared') show(sharedView(ctx), true, 'shared');
  else if (path === '/app/links') show(linksView(ctx), true, 'links');
  else if (path === '/app/devices') show(devicesView({ signOut, onRevoked: () => { deviceCache = null; } }), true, 'devices');
  else if (path === '/app/notifications') show(notificationsView({ navigate, unread: () => unread, setUnread }), true, 'notifications');
  else show({ el: h('section', { class: 'view' }, h('h1', { id: 'view-title' }, 'Page not found'), h('p', {}, h('a', { href: '/app/files', dataset: { link: '' } }, 'Go to your files'))) }, true);
}

function show(view, withChrome, section) {
  current = view;
  clear(main, view.el);
  drawChrome(withChrome, section);
  const title = main.querySelector('h1');
  document.title = title ? `${title.textContent} – DropSync` : 'DropSync';
  if (document.activeElement === document.body || !main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

function drawChrome(withChrome, section) {
  sidebar.hidden = !withChrome;
  const s = session.get();
  if (!withChrome || !s) { clear(actionsBar); return; }
  const link = (href, label, key) => h('a', { href, dataset: { link: '' }, 'aria-current': section === key ? 'page' : null }, label);
  clear(sidebar, h('ul', {},
    h('li', {}, link('/app/files', 'All files', 'files')),
    h('li', {}, link('/app/shared', 'Shared with me', 'shared')),
    h('li', {}, link('/app/links', 'Shared links', 'links')),
    h('li', {}, link('/app/deleted', 'Deleted files', 'deleted')),
    h('li', {}, link('/app/devices', 'Devices', 'devices'))));
  sidebar.append(spaceUsage());
  clear(actionsBar,
    h('a', { class: 'bell', href: '/app/notifications', dataset: { link: '' }, id: 'notifications-link', 'aria-label': unread ? `Notifications, ${unread} unread` : 'Notifications' },
      bellIcon(), h('span', { class: 'bell-label' }, 'Notifications'),
      h('span', { class: 'count', id: 'unread-count', hidden: !unread, 'aria-hidden': 'true' }, String(unread))),
    h('span', { class: 'who', title: s.email }, s.email),
    h('button', { class: 'button small', onclick: signOut }, 'Sign out'));
}

/** "1.2 GB of 2 TB used", with a meter: the storage quota (uploads past it are refused with insufficient_space). */
function spaceUsage() {
  const box = h('div', { class: 'space-usage', id: 'space-usage', 'aria-live': 'polite' });
  call('/users/get_space_usage').then(({ used, allocated }) => {
    clear(box,
      h('meter', { min: '0', max: String(allocated), value: String(used), 'aria-label': 'Storage used' }),
      h('p', { class: 'muted small-print' }, `${formatSize(used)} of ${formatSize(allocated)} used`));
  }).catch(() => { /* The usage is a courtesy: the sidebar works without it. */ });
  return box;
}

function bellIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'bell-icon');
  svg.innerHTML = '<path d="M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0z" fill="currentColor"/>';
  return svg;
}

function setUnread(count) {
  unread = Math.max(0, count);
  const badge = document.getElementById('unread-count');
  const bell = document.getElementById('notifications-link');
  if (badge) { badge.textContent = String(unread); badge.hidden = !unread; }
  if (bell) bell.setAttribute('aria-label', unread ? `Notifications, ${unread} unread` : 'Notifications');
}

function onSignedIn() {
  deviceCache = null;
  navigate('/app/files', { replace: true });
}

async function signOut() {
  try { await call('/auth/logout', {}); } catch { /* the token may already be gone */ }
  session.clear();
  stopLive();
  deviceCache = null;
  setUnread(0);
  navigate('/app/signin', { replace: true });
}

// ---- live changes ----

/**
 * Whether a change at the server key `key` shows in the open folder (itself, a row in it, or anything below it), by
 * the server's keys; while the folder's own key is not known yet, every change might.
 */
function touchesOpenFolder(key) {
  const folderKey = current?.folderKey?.();
  return folderKey === null || folderKey === undefined || (key !== undefined && key !== null && isWithin(key, folderKey));
}
let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    if (pointerHeld()) { refreshAfterRelease = true; return; }
    current?.refresh?.();
  }, 150);
}

// A live redraw while a button is held could move what is under the pointer (a new row at the top of a newest-first
// list) and the release would then click something else, or nothing: it waits for the release. Kept rows (drawKeyed)
// cover the rest. A press held over 10 s (a release outside the window may never come) no longer holds it back.
let pressedAt = null;
let refreshAfterRelease = false;
const pointerHeld = () => pressedAt !== null && Date.now() - pressedAt < 10_000;
window.addEventListener('pointerdown', () => { pressedAt = Date.now(); }, true);
for (const type of ['pointerup', 'pointercancel']) {
  window.addEventListener(type, () => {
    pressedAt = null;
    // After the click this release makes (it is dispatched before any timer runs).
    if (refreshAfterRelease) { refreshAfterRelease = false; scheduleRefresh(); }
  }, true);
}

function startLive() {
  openLive({
    onHello: (reconnected) => {
      // Catch up on whatever happened while disconnected.
      call('/notifications/list', { limit: 1 }).then((p) => setUnread(p.unread)).catch(() => {});
      if (reconnected && current?.refresh) scheduleRefresh();
    },
    onChange,
    onNotification: (message) => {
      setUnread(unread + 1);
      toast(describeNotification(message), 'info');
      if (location.pathname === '/app/notifications') scheduleRefresh();
    },
  });
}

function onChange(change) {
  if (!current?.refresh) return;
  if (current.folder === undefined) { scheduleRefresh(); return; }
  if (touchesOpenFolder(change.path_lower) || (change.from_path_lower && touchesOpenFolder(change.from_path_lower))) scheduleRefresh();
}

// ---- drag and drop anywhere on the files view ----

const overlay = document.getElementById('drop-overlay');
let dragDepth = 0;
const dragHasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
window.addEventListener('dragenter', (e) => { if (!current?.onDrop || !dragHasFiles(e)) return; e.preventDefault(); dragDepth++; overlay.hidden = false; });
window.addEventListener('dragleave', (e) => { if (!current?.onDrop) return; dragDepth = Math.max(0, dragDepth - 1); if (!dragDepth) overlay.hidden = true; e.preventDefault(); });
window.addEventListener('dragover', (e) => { if (current?.onDrop && dragHasFiles(e)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; } });
window.addEventListener('drop', (e) => {
  dragDepth = 0;
  overlay.hidden = true;
  if (!current?.onDrop) return;
  e.preventDefault();
  current.onDrop(e.dataTransfer);
});

route();
