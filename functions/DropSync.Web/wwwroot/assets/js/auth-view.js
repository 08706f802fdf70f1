// Signing up and signing in (each sign-in is a device of its own, named after the browser unless the user names it).
import { call, session } from './api.js';
import { errorMessage, h } from './ui.js';

function defaultDeviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : 'web';
  return `${browser} on ${os}`;
}

/** Sign up or sign in; onSignedIn runs once the session is stored. */
export function authView(mode, { onSignedIn }) {
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
        onSignedIn();
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
