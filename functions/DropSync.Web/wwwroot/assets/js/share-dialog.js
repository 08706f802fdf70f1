// Sharing one file or folder: the people a folder is shared with, and its shared links; linkItem is one link's row
// (also in the shared-links view).
import { call, callAll } from './api.js';
import { ErrorCodes } from './error-codes.js';
import { clear, errorMessage, formatDate, h, openDialog, toast } from './ui.js';

export async function shareDialog(ctx, entry, linksOnly = false) {
  await openDialog(linksOnly ? `Shared link to ${entry.name}` : `Share ${entry.name}`, (body) => {
    const members = h('ul', { class: 'members', 'aria-label': 'People with access' });
    const links = h('ul', { class: 'links', 'aria-label': 'Shared links' });
    const memberError = h('p', { class: 'form-error', role: 'alert' });
    const linkError = h('p', { class: 'form-error', role: 'alert' });

    const loadMembers = async () => {
      try {
        const { members: list, invitees = [] } = await callAll('/sharing/list_members', { path: entry.path }, ['members', 'invitees']);
        const remove = (email) => async () => {
          try { await call('/sharing/remove_member', { path: entry.path, email }); await loadMembers(); } catch (e) { memberError.textContent = errorMessage(e); }
        };
        clear(members,
          list.map((m) => h('li', { class: 'member' },
            h('span', {}, m.email), h('span', { class: 'badge' }, m.role),
            m.is_owner ? null : h('button', { class: 'button small', 'aria-label': `Remove ${m.email}`, onclick: remove(m.email) }, 'Remove'))),
          invitees.map((i) => h('li', { class: 'member pending' },
            h('span', {}, i.email), h('span', { class: 'badge' }, i.role), h('span', { class: 'muted' }, 'invited, not accepted yet'),
            h('button', { class: 'button small', 'aria-label': `Cancel the invitation of ${i.email}`, onclick: remove(i.email) }, 'Cancel'))));
      } catch (error) {
        clear(members, h('li', { class: 'muted' }, [ErrorCodes.NotShared, ErrorCodes.NotFound, ErrorCodes.NotFolder, ErrorCodes.NotASharedFolder].includes(error.code) ? 'Not shared with anyone yet.' : errorMessage(error)));
      }
    };
    const loadLinks = async () => {
      try {
        const { links: list } = await callAll('/sharing/list_links', {}, ['links']);
        const mine = list.filter((l) => l.path_lower === entry.path_lower && !l.revoked_at);
        clear(links, mine.length ? mine.map((l) => linkItem(l, loadLinks, linkError)) : h('li', { class: 'muted' }, 'No links yet.'));
      } catch (error) { linkError.textContent = errorMessage(error); }
    };

    if (!linksOnly && entry.tag === 'folder') {
      const form = h('form', {
        class: 'form inline-form', 'aria-label': 'Invite someone',
        onsubmit: async (e) => {
          e.preventDefault();
          memberError.textContent = '';
          const data = Object.fromEntries(new FormData(form));
          try {
            const added = await call('/sharing/add_member', { path: entry.path, email: data.email.trim(), role: data.role });
            form.reset();
            toast(added.status === 'active' ? `${data.email} now ${data.role === 'viewer' ? 'can view' : 'can edit'} ${entry.name}` : `Invited ${data.email} to ${entry.name}`);
            await loadMembers();
          } catch (error) { memberError.textContent = errorMessage(error); }
        },
      },
      h('label', { class: 'field grow' }, h('span', {}, 'Email'), h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off', placeholder: 'name@example.com' })),
      h('label', { class: 'field' }, h('span', {}, 'Role'), h('select', { name: 'role' }, h('option', { value: 'editor' }, 'Can edit'), h('option', { value: 'viewer' }, 'Can view'))),
      h('button', { class: 'button primary', type: 'submit' }, 'Invite'));
      body.append(h('h3', {}, 'People'), form, memberError, members);
      loadMembers();
    }

    const linkForm = h('form', {
      class: 'form inline-form', 'aria-label': 'Create a shared link',
      onsubmit: async (e) => {
        e.preventDefault();
        linkError.textContent = '';
        const data = Object.fromEntries(new FormData(linkForm));
        try {
          const link = await call('/sharing/create_link', {
            path: entry.path, expires: data.expires ? new Date(data.expires).toISOString() : undefined, password: data.password || undefined,
          });
          linkForm.reset();
          await copyText(humanLink(link.url));
          await loadLinks();
        } catch (error) { linkError.textContent = errorMessage(error); }
      },
    },
    h('label', { class: 'field' }, h('span', {}, 'Expires (optional)'), h('input', { name: 'expires', type: 'datetime-local' })),
    h('label', { class: 'field' }, h('span', {}, 'Password (optional)'), h('input', { name: 'password', type: 'password', autocomplete: 'new-password' })),
    h('button', { class: 'button primary', type: 'submit' }, 'Create link'));
    body.append(h('h3', {}, 'Shared links'), h('p', { class: 'muted' }, 'Anyone with a link can view and download, without an account.'), linkForm, linkError, links);
    loadLinks();
  }, { wide: true });
}

/** The API answers links as /s/{token} (its JSON endpoint); people open the page at /link/{token}. */
export const humanLink = (url) => url.replace(/\/s\/([^/?#]+)$/, '/link/$1');

export function linkItem(link, reload, errorBox) {
  const url = humanLink(link.url);
  return h('li', { class: 'link-item' },
    h('input', { class: 'link-url', readonly: true, value: url, 'aria-label': `Link to ${link.path}`, onfocus: (e) => e.target.select() }),
    h('span', { class: 'muted' }, [link.has_password ? 'password' : null, link.expires_at ? `expires ${formatDate(link.expires_at)}` : null].filter(Boolean).join(' · ')),
    h('button', { class: 'button small', 'aria-label': `Copy link to ${link.path}`, onclick: () => copyText(url) }, 'Copy'),
    h('button', {
      class: 'button small danger', 'aria-label': `Revoke link to ${link.path}`,
      onclick: async () => {
        try { await call('/sharing/revoke_link', { link_id: link.link_id }); toast('Link revoked'); await reload(); } catch (e) { errorBox.textContent = errorMessage(e); }
      },
    }, 'Revoke'));
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Link copied to the clipboard');
  } catch {
    toast(`Link: ${text}`, 'info', 15000);
  }
}
