// "Old revisions and deleted files are kept 180 days, …": the server's retention policy, from /config.
import { serverConfig } from './config.js';
import { h } from './ui.js';

/** A note saying how long history is kept, or null if the server has none to tell. */
export async function historyNote() {
  try {
    const { history } = await serverConfig();
    return history ? h('p', { class: 'muted history-note' }, `Old revisions and deleted files are kept ${history}.`) : null;
  } catch { return null; }
}
