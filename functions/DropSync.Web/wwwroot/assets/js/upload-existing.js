// Uploads onto names that exist: the user chooses to replace the file (a new revision based on the rev seen when
// asking, so a change made elsewhere meanwhile still becomes a conflict), keep both (a free name), or skip it.
import { listFolder } from './api.js';
import { joinPath, nameOf, parentOf, pathKey } from './paths.js';
import { h, openDialog } from './ui.js';

/** "notes.txt" → "notes (2).txt", the first of "notes (n).txt" whose key is not in taken (names' keys). */
export function freeName(name, taken) {
  const dot = name.lastIndexOf('.');
  const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  let n = 2;
  while (taken.has(pathKey(`${base} (${n})${ext}`))) n++;
  return `${base} (${n})${ext}`;
}

/** Asks what to do with an upload whose name exists: 'replace', 'keep' or 'skip', and whether for the rest too. */
function askExisting(path, others) {
  const folder = parentOf(path);
  let applyAll = null;
  return openDialog(`“${nameOf(path)}” already exists`, (body, close) => {
    applyAll = others ? h('input', { type: 'checkbox', id: 'apply-to-all' }) : null;
    body.append(
      h('p', {}, `${folder ? `The folder “${nameOf(folder)}”` : 'All files'} already has a file named “${nameOf(path)}”. `,
        'Replace it with yours (its current version stays in its revisions), or keep both (yours is saved under a new name)?'),
      applyAll ? h('label', { class: 'check' }, applyAll, others === 1 ? ' Do the same for the other file' : ` Do the same for the other ${others} files`) : null,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'button', onclick: () => close('skip') }, 'Skip'),
        h('button', { type: 'button', class: 'button', onclick: () => close('keep') }, 'Keep both'),
        h('button', { type: 'button', class: 'button primary', autofocus: true, onclick: () => close('replace') }, 'Replace')));
  }).then((choice) => ({ choice: choice ?? 'skip', all: !!applyAll?.checked && choice !== null }));
}

/**
 * Looks up which uploads land on a file that already exists and asks once per file (or once for all) whether to
 * replace it or keep both. Answers the entries to queue, each with its mode ('add' or 'update' with rev) and path.
 */
export async function decideExisting(files) {
  // Parent's key → Map(name's key → entry): what is there, keyed as the server keys it (path_lower); the upload's own
  // paths are the app's and get pathKey (the server has not seen them yet).
  const folders = new Map();
  for (const parent of new Set(files.map((f) => pathKey(parentOf(f.path))))) {
    try {
      const { entries } = await listFolder(parentOf(files.find((f) => pathKey(parentOf(f.path)) === parent).path));
      folders.set(parent, new Map(entries.map((e) => [nameOf(e.path_lower), e])));
    } catch (error) {
      // A folder that does not exist yet holds nothing to replace; the upload creates it.
      if (error.status !== 404 && error.status !== 409) throw error;
      folders.set(parent, new Map());
    }
  }
  const existing = (f) => folders.get(pathKey(parentOf(f.path))).get(pathKey(nameOf(f.path)));
  const clashes = files.filter((f) => existing(f)?.tag === 'file');
  // Names a "keep both" copy must not take: what is there and what this batch uploads.
  const taken = (parent) => new Set([
    ...folders.get(pathKey(parent)).keys(),
    ...files.filter((f) => pathKey(parentOf(f.path)) === pathKey(parent)).map((f) => pathKey(nameOf(f.path))),
  ]);
  let forAll = null;
  const out = [];
  for (const f of files) {
    const current = existing(f);
    if (current?.tag !== 'file') { out.push({ ...f, mode: 'add' }); continue; }
    let choice = forAll;
    if (!choice) {
      const answer = await askExisting(f.path, clashes.length - clashes.indexOf(f) - 1);
      choice = answer.choice;
      if (answer.all) forAll = choice;
    }
    if (choice === 'replace') {
      out.push({ ...f, mode: 'update', rev: current.rev });
    } else if (choice === 'keep') {
      const parent = parentOf(f.path);
      const names = taken(parent);
      const name = freeName(nameOf(f.path), names);
      folders.get(pathKey(parent)).set(pathKey(name), { tag: 'file', name });
      out.push({ ...f, path: joinPath(parent || '/', name), mode: 'add' });
    }
  }
  return out;
}
