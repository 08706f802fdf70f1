// The devices signed in to this account, with sign-out for this one and revoke for the others, and the app passwords.
import { call, callAll } from './api.js';
import { appPasswordsSection } from './app-passwords.js';
import { changePasswordSection } from './change-password.js';
import { clear, confirmDialog, drawKeyed, errorMessage, formatDate, h, showError, toast } from './ui.js';

/** This account's devices; signOut signs this browser out, onRevoked runs after another device is revoked. */
export function devicesView({ signOut, onRevoked }) {
  const root = h('section', { class: 'view', 'aria-labelledby': 'view-title' }, h('h1', { id: 'view-title' }, 'Devices'),
    h('p', { class: 'muted' }, 'Every browser, phone or computer signed in to your account. Revoking one signs it out at once.'));
  const list = h('ul', { class: 'devices' });
  root.append(list, appPasswordsSection(), changePasswordSection(() => refresh()));
  async function refresh() {
    try {
      const { devices } = await callAll('/auth/list_devices', {}, ['devices']);
      drawKeyed(list, devices.filter((d) => !d.revoked_at), (d) => d.device_id, (d) => h('li', { class: 'device', dataset: { deviceId: d.device_id } },
        h('div', {}, h('strong', {}, d.name || 'Unnamed device'), d.current ? h('span', { class: 'badge' }, 'This browser') : null,
          h('div', { class: 'muted' }, `Signed in ${formatDate(d.created_at)}`)),
        d.current
          ? h('button', { class: 'button small', onclick: signOut }, 'Sign out')
          : h('button', {
            class: 'button small danger', 'aria-label': `Revoke ${d.name}`,
            onclick: async () => {
              if (!await confirmDialog(`Revoke ${d.name}?`, 'It will be signed out at once and has to sign in again.', 'Revoke', true)) return;
              try { await call('/auth/revoke_device', { device_id: d.device_id }); onRevoked(); toast(`Revoked ${d.name}`); await refresh(); } catch (e) { showError(e); }
            },
          }, 'Revoke')));
    } catch (error) { clear(list, h('li', { class: 'error-box', role: 'alert' }, errorMessage(error))); }
  }
  refresh();
  return { el: root, refresh };
}
