// Downloads to the user's disk: one file (current or an old revision), or a folder as a zip built in the browser.
import { downloadBlob, listFolder } from './api.js';
import { formatSize, saveBlob, showError, toast } from './ui.js';
import { buildZip, ZIP_LIMIT } from './zip.js';

export async function downloadFile(entry, rev) {
  const note = toast(`Downloading ${entry.name}…`, 'info', 0);
  try {
    const blob = await downloadBlob(entry.path, {
      rev, size: rev ? undefined : entry.size, onProgress: (got, total) => { note.firstChild.textContent = `Downloading ${entry.name}… ${total ? Math.floor((got / total) * 100) + '%' : formatSize(got)}`; },
    });
    saveBlob(blob, entry.name);
  } catch (error) { showError(error); } finally { note.remove(); }
}

/** Downloads a folder as a zip built in the browser: entries are its recursive entries, fetchFile(entry) answers a Blob. */
export async function zipAndSave(name, entries, base, fetchFile) {
  const files = entries.filter((e) => e.tag === 'file');
  const total = files.reduce((n, e) => n + e.size, 0);
  if (total > ZIP_LIMIT) throw new Error('The folder is larger than 4 GiB; download its files or subfolders separately.');
  const note = toast(`Zipping ${name}…`, 'info', 0);
  try {
    const parts = [];
    let done = 0;
    for (const file of files) {
      const blob = await fetchFile(file);
      parts.push({ name: file.path.slice(base.length).replace(/^\//, ''), data: new Uint8Array(await blob.arrayBuffer()), modified: new Date(file.server_modified) });
      done += file.size;
      note.firstChild.textContent = `Zipping ${name}… ${total ? Math.floor((done / total) * 100) : 100}%`;
    }
    saveBlob(buildZip(parts), `${name}.zip`);
  } finally { note.remove(); }
}

export async function downloadFolderZip(entry) {
  try {
    const { entries } = await listFolder(entry.path, { recursive: true });
    await zipAndSave(entry.name || 'DropSync', entries, entry.path, (file) => downloadBlob(file.path, { size: file.size }));
  } catch (error) { showError(error); }
}
