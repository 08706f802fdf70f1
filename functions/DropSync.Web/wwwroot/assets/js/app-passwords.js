// App passwords: per-device secrets for WebDAV clients (Finder, Windows Explorer, davfs2, rclone), which sign in to
// /dav/ with the account's e-mail and one of these, never the account password. Shown on the Devices page.
import { call, session, callAll } from './api.js';
import { clear, confirmDialog, errorMessage, formatDate, h, openDialog, promptDialog, showError, toast } from './ui.js';

/** The "App passwords" section: list, create (the secret is shown once), revoke. */
export function appPasswordsSection() {
  const davUrl = `${location.origin}/dav/`;
  const list = h('ul', { class: 'devices app-passwords' });
  const root = h('section', { class: 'app-passwords-section', 'aria-labelledby': 'app-passwords-title' },
    h('div', { class: 'view-head' }, h('h2', { id: 'app-passwords-title' }, 'App passwords'),
      h('button', { class: 'button small', onclick: create }, 'New app password')),
    h('p', { class: 'muted' }, 'File managers and sync tools reach your files over WebDAV at ', h('code', {}, davUrl),
      '. They sign in with your e-mail and an app password; revoking one stops that client at once.'),
    list);

  async function refresh() {
    try {
      const { app_passwords: passwords } = await callAll('/auth/list_app_passwords', {}, ['app_passwords']);
      clear(list, passwords.length ? passwords.map((p) => h('li', { class: 'device', dataset: { appPasswordId: p.id } },
        h('div', {}, h('strong', {}, p.name), h('div', { class: 'muted' }, `Created ${formatDate(p.created)}`)),
        h('button', {
          class: 'button small danger', 'aria-label': `Revoke ${p.name}`,
          onclick: async () => {
            if (!await confirmDialog(`Revoke ${p.name}?`, 'Clients using it are refused at once.', 'Revoke', true)) return;
            try { await call('/auth/revoke_app_password', { id: p.id }); toast(`Revoked ${p.name}`); await refresh(); } catch (e) { showError(e); }
          },
        }, 'Revoke'))) : h('li', { class: 'empty' }, 'No app passwords yet.'));
    } catch (error) { clear(list, h('li', { class: 'error-box', role: 'alert' }, errorMessage(error))); }
  }

  async function create() {
    const values = await promptDialog('New app password', [{ name: 'name', label: 'What is it for?', placeholder: 'Finder on my laptop', required: true }], 'Create');
    if (!values) return;
    try {
      const created = await call('/auth/create_app_password', { name: values.name });
      await refresh();
      await showSecret(created, davUrl);
    } catch (e) { showError(e); }
  }

  refresh();
  return root;
}

/** The one time the secret is shown: with the URL and user name to type into the client. */
function showSecret(created, davUrl) {
  return openDialog(`App password for ${created.name}`, (body, close) => {
    const secret = h('input', { class: 'app-password-secret', readonly: true, value: created.app_password, 'aria-label': 'App password' });
    body.append(
      h('p', {}, 'Copy it now: it will not be shown again.'),
      secret,
      h('dl', { class: 'app-password-details' },
        h('dt', {}, 'Server'), h('dd', {}, h('code', {}, davUrl)),
        h('dt', {}, 'User name'), h('dd', {}, h('code', {}, session.get()?.email ?? 'your e-mail'))),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'button', onclick: async () => { try { await navigator.clipboard.writeText(created.app_password); toast('Copied'); } catch { secret.select(); } } }, 'Copy'),
        h('button', { type: 'button', class: 'button primary', autofocus: true, onclick: () => close(true) }, 'Done')));
    queueMicrotask(() => secret.select());
  });
}
