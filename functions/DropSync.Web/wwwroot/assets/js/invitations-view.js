// Invitations to folders other people want to share with this user: accept (the folder appears in their tree) or
// decline (nothing is shared). Shown at the top of "Shared with me".
import { call, callAll } from './api.js';
import { filesUrl, nameOf } from './paths.js';
import { clear, errorMessage, formatDate, h, toast } from './ui.js';

/** The pending invitations as a panel; onChange() runs after an accept or decline (the shares list changed). */
export function invitationsPanel(ctx, onChange) {
  const list = h('ul', { class: 'invitations', 'aria-label': 'Invitations' });
  const errorBox = h('p', { class: 'form-error', role: 'alert' });
  const root = h('div', { class: 'invitations-panel', hidden: true }, h('h2', {}, 'Invitations'), errorBox, list);

  const act = async (url, invitation, done) => {
    errorBox.textContent = '';
    try {
      const answer = await call(url, { invitation_id: invitation.invitation_id });
      done(answer);
      await refresh();
      onChange();
    } catch (error) { errorBox.textContent = errorMessage(error); }
  };

  async function refresh() {
    try {
      const { entries } = await callAll('/sharing/list_invitations', {});
      root.hidden = entries.length === 0;
      clear(list, entries.map((invitation) => h('li', { class: 'invitation' },
        h('span', {}, `${invitation.owner_email} invites you to `, h('strong', {}, nameOf(invitation.path)),
          ` (${invitation.role === 'viewer' ? 'can view' : 'can edit'})`),
        h('span', { class: 'muted' }, formatDate(invitation.created)),
        h('button', {
          class: 'button small primary', 'aria-label': `Accept ${nameOf(invitation.path)} from ${invitation.owner_email}`,
          onclick: () => act('/sharing/accept_invitation', invitation, (mount) => {
            toast(`${nameOf(mount.path)} is now in your files`);
            ctx.navigate(filesUrl(mount.path));
          }),
        }, 'Accept'),
        h('button', {
          class: 'button small', 'aria-label': `Decline ${nameOf(invitation.path)} from ${invitation.owner_email}`,
          onclick: () => act('/sharing/decline_invitation', invitation, () => toast('Invitation declined')),
        }, 'Decline'))));
    } catch (error) { root.hidden = false; errorBox.textContent = errorMessage(error); }
  }

  refresh();
  return { el: root, refresh };
}
