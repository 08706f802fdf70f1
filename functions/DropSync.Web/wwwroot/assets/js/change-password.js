// The change-password form of the devices page: POST /auth/change_password signs out every other device and revokes
// every app password; this browser stays signed in.
import { call } from './api.js';
import { h, showError, toast } from './ui.js';

/** The form; onChanged runs after a change (the device list is then shorter). */
export function changePasswordSection(onChanged) {
  const current = h('input', { type: 'password', name: 'old_password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', minlength: '8', required: true });
  const form = h('form', { class: 'change-password' },
    h('h2', {}, 'Change password'),
    h('p', { class: 'muted' }, 'Your other devices are signed out and your app passwords revoked; this browser stays signed in.'),
    h('label', {}, 'Current password', current),
    h('label', {}, 'New password (at least 8 characters)', next),
    h('button', { class: 'button', type: 'submit' }, 'Change password'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const result = await call('/auth/change_password', { old_password: current.value, new_password: next.value });
      form.reset();
      toast(`Password changed; ${result.signed_out_devices} other device(s) signed out, ${result.revoked_app_passwords} app password(s) revoked.`);
      onChanged();
    } catch (error) { showError(error); }
  });
  return form;
}
