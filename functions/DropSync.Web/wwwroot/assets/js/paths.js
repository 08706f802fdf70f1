// Paths in the app: building them, and comparing them. Two paths are the same item when the server's keys for them
// (path_lower in every metadata entry, change, share and link it answers) are equal: the app compares those and never
// re-derives the server's rule. pathKey is for the one case where the server has not seen a path yet: a name the app
// is about to give (an upload's target, a "keep both" name), which it checks against keys the server answered.

/** '/a/b' → '/app/files/a/b' (each segment URL-encoded). */
export const filesUrl = (path) => '/app/files' + path.split('/').map(encodeURIComponent).join('/');

export function parentOf(path) {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '' : path.slice(0, i);
}

export function nameOf(path) {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(folder, name) {
  return `${folder}/${name}`.replace(/\/+/g, '/');
}

/** Whether the item with key `key` is the folder with key `folderKey` or below it ('' is the top, which holds everything). */
export function isWithin(key, folderKey) {
  return !folderKey || key === folderKey || key.startsWith(folderKey + '/');
}

/** The key the server will give a path the app made itself (DropPath.KeyOf: lower case); see the note above. */
export const pathKey = (path) => path.toLowerCase();
