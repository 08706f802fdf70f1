// The app shell: routing (History API under /app/… and /link/{token}), sign up / sign in / sign out, devices,
// notifications with the unread count, and the live WebSocket that refreshes the open folder when it changes.
import { call, onUnauthorized, session } from './api.js';
import { appPasswordsSection } from './app-passwords.js';
import { deletedView, filesUrl, filesView, linksView, sharedView } from './files.js';
import { linkView } from './link.js';
import { startLive as openLive, stopLive } from './live.js';
import { activateOnKeys, clear, confirmDialog, errorMessage, formatDate, h, parentOf, showError, toast } from './ui.js';
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
        const { devices } = await call('/auth/list_devices', {});
        deviceCache = new Map(devices.map((d) => [d.device_id, d.name + (d.current ? ' (this browser)' : '')]));
      } catch { deviceCache = new Map(); }
    }
    return deviceCache;
  },
};

ctx.uploader = new Uploader(document.getElementById('uploads'), {
  // This device's own changes never come back over the live socket, so an upload refreshes the open folder itself when
  // it put anything anywhere below it (a folder upload's files are deeper down, but their top folder is a new row here).
  onUploaded: (meta) => { if (current?.folder !== undefined && meta?.path && isBelow(meta.path, current.folder)) scheduleRefresh(); },
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
    if (path === '/app/signup') show(authView('signup'), false);
    else { if (path !== '/app/signin') history.replaceState(null, '', '/app/signin'); show(authView('signin'), false); }
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
  else if (path === '/app/devices') show(devicesView(), true, 'devices');
  else if (path === '/app/notifications') show(notificationsView(), true, 'notifications');
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
  clear(actionsBar,
    h('a', { class: 'bell', href: '/app/notifications', dataset: { link: '' }, id: 'notifications-link', 'aria-label': unread ? `Notifications, ${unread} unread` : 'Notifications' },
      bellIcon(), h('span', { class: 'bell-label' }, 'Notifications'),
      h('span', { class: 'count', id: 'unread-count', hidden: !unread, 'aria-hidden': 'true' }, String(unread))),
    h('span', { class: 'who', title: s.email }, s.email),
    h('button', { class: 'button small', onclick: signOut }, 'Sign out'));
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

function defaultDeviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : 'web';
  return `${browser} on ${os}`;
}

function authView(mode) {
  const signup = mode === 'signup';
  const error = h('p', { class: 'form-error', role: 'alert', id: 'auth-error' });
  const form = h('form', {
    class: 'form card auth', 'aria-labelledby': 'view-title',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      const data = Object.fromEntries(new FormData(form));
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        if (signup) {
          if (data.password !== data.confirm) throw new Error('The two passwords differ; type the same password twice.');
          await call('/auth/register', { email: data.email, password: data.password }, { anonymous: true });
        }
        const login = await call('/auth/login', { email: data.email, password: data.password, device_name: data.device || defaultDeviceName() }, { anonymous: true });
        session.set({ ...login, email: data.email });
        deviceCache = null;
        navigate('/app/files', { replace: true });
      } catch (err) {
        error.textContent = errorMessage(err);
      } finally { button.disabled = false; }
    },
  },
  h('h1', { id: 'view-title' }, signup ? 'Create your DropSync account' : 'Sign in to DropSync'),
  h('label', { class: 'field' }, h('span', {}, 'Email'), h('input', { name: 'email', type: 'email', required: true, autocomplete: 'username', autofocus: true })),
  h('label', { class: 'field' }, h('span', {}, 'Password'), h('input', { name: 'password', type: 'password', required: true, autocomplete: signup ? 'new-password' : 'current-password' })),
  signup ? h('label', { class: 'field' }, h('span', {}, 'Password again'), h('input', { name: 'confirm', type: 'password', required: true, autocomplete: 'new-password' })) : null,
  h('label', { class: 'field' }, h('span', {}, 'Name of this device'), h('input', { name: 'device', type: 'text', value: defaultDeviceName(), autocomplete: 'off' })),
  error,
  h('div', { class: 'form-actions' }, h('button', { class: 'button primary', type: 'submit' }, signup ? 'Create account' : 'Sign in')),
  h('p', { class: 'muted' }, signup ? 'Already have an account? ' : 'New to DropSync? ',
    h('a', { href: signup ? '/app/signin' : '/app/signup', dataset: { link: '' } }, signup ? 'Sign in' : 'Create an account')));
  queueMicrotask(() => form.querySelector('input')?.focus());
  return { el: h('section', { class: 'view auth-view' }, form) };
}

async function signOut() {
  try { await call('/auth/logout', {}); } catch { /* the token may already be gone */ }
  session.clear();
  stopLive();
  deviceCache = null;
  setUnread(0);
  navigate('/app/signin', { replace: true });
}

function devicesView() {
  const root = h('section', { class: 'view', 'aria-labelledby': 'view-title' }, h('h1', { id: 'view-title' }, 'Devices'),
    h('p', { class: 'muted' }, 'Every browser, phone or computer signed in to your account. Revoking one signs it out at once.'));
  const list = h('ul', { class: 'devices' });
  root.append(list, appPasswordsSection());
  async function refresh() {
    try {
      const { devices } = await call('/auth/list_devices', {});
      clear(list, devices.filter((d) => !d.revoked_at).map((d) => h('li', { class: 'device', dataset: { deviceId: d.device_id } },
        h('div', {}, h('strong', {}, d.name || 'Unnamed device'), d.current ? h('span', { class: 'badge' }, 'This browser') : null,
          h('div', { class: 'muted' }, `Signed in ${formatDate(d.created_at)}`)),
        d.current
          ? h('button', { class: 'button small', onclick: signOut }, 'Sign out')
          : h('button', {
            class: 'button small danger', 'aria-label': `Revoke ${d.name}`,
            onclick: async () => {
              if (!await confirmDialog(`Revoke ${d.name}?`, 'It will be signed out at once and has to sign in again.', 'Revoke', true)) return;
              try { await call('/auth/revoke_device', { device_id: d.device_id }); deviceCache = null; toast(`Revoked ${d.name}`); await refresh(); } catch (e) { showError(e); }
            },
          }, 'Revoke'))));
    } catch (error) { clear(list, h('li', { class: 'error-box', role: 'alert' }, errorMessage(error))); }
  }
  refresh();
  return { el: root, refresh };
}

const KIND_TEXT = { edited: 'edited', deleted: 'deleted', shared: 'shared', unshared: 'stopped sharing' };
const describe = (n) => `${n.actor_email || 'Someone'} ${KIND_TEXT[n.kind] ?? n.kind} ${n.path}`;

function notificationsView() {
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
      clear(list, page.notifications.length ? page.notifications.map((n) => {
        const target = n.kind === 'deleted' ? '/app/deleted' : filesUrl(n.kind === 'shared' ? n.path : parentOf(n.path));
        const li = h('li', { class: n.read ? 'notification' : 'notification unread', tabindex: '0', role: 'link', 'aria-label': `${n.read ? '' : 'Unread: '}${describe(n)}` },
          h('span', {}, describe(n)), h('span', { class: 'muted' }, formatDate(n.time)));
        const open = async () => {
          if (!n.read) {
            try {
              await call('/notifications/mark_read', { ids: [n.notification_id] });
              n.read = true;
              // The bell outlives this view: lower it now, then take the server's count (other tabs may have read some).
              setUnread(unread - 1);
              call('/notifications/list', { limit: 1 }).then((p) => setUnread(p.unread)).catch(() => {});
            } catch { /* still open it */ }
          }
          navigate(target);
        };
        li.addEventListener('click', open);
        activateOnKeys(li, open);
        return li;
      }) : h('li', { class: 'empty' }, 'No notifications yet.'));
    } catch (error) { clear(list, h('li', { class: 'error-box', role: 'alert' }, errorMessage(error))); }
  }
  refresh();
  return { el: root, refresh };
}

// ---- live changes ----

const sameFolder = (a, b) => a.toLocaleLowerCase() === b.toLocaleLowerCase();
/** Whether path is inside folder at any depth ('' is the top, which holds everything). */
function isBelow(path, folder) {
  return !folder || path.toLocaleLowerCase().startsWith(folder.toLocaleLowerCase() + '/');
}
let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => current?.refresh?.(), 150);
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
      toast(describe(message), 'info');
      if (location.pathname === '/app/notifications') scheduleRefresh();
    },
  });
}

function onChange(change) {
  if (!current?.refresh) return;
  if (current.folder === undefined) { scheduleRefresh(); return; }
  const folder = current.folder;
  const touches = (p) => p !== undefined && p !== null && (sameFolder(parentOf(p), folder) || sameFolder(p, folder) || (folder && p.toLocaleLowerCase().startsWith(folder.toLocaleLowerCase() + '/')));
  if (touches(change.path) || touches(change.from_path)) scheduleRefresh();
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
