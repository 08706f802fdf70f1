// Small DOM helpers shared by every view: element builder, toasts, dialogs, formatting and file-type icons.

/** Builds an element: h('button', {class: 'x', onclick: f}, 'text', child). Strings become text nodes (never HTML). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** What each element drawKeyed made was drawn from: its item's key and signature. */
const drawnFrom = new WeakMap();

/**
 * Puts one element per item into `container`, in order. An element drawn earlier for an item with the same key and the
 * same signature (by default the item as JSON) is kept, moved if its place changed; others are drawn with
 * `render(item)`, and the rest removed. Lists that a live update redraws use it: replacing every element lost a click
 * whose press and release straddled the redraw (they landed on different elements, so the browser sent none), and the
 * focus of the element that had it.
 */
export function drawKeyed(container, items, keyOf, render, signatureOf = (item) => JSON.stringify(item)) {
  const kept = new Map();
  for (const element of container.children) {
    const drawn = drawnFrom.get(element);
    if (drawn) kept.set(drawn.key, element);
  }
  let next = container.firstElementChild;
  for (const item of items) {
    const key = keyOf(item);
    const signature = signatureOf(item);
    let element = kept.get(key);
    kept.delete(key);
    if (!element || drawnFrom.get(element).signature !== signature) {
      element = render(item);
      drawnFrom.set(element, { key, signature });
    }
    if (element === next) next = next.nextElementSibling;
    else container.insertBefore(element, next);
  }
  // Every element wanted is now before `next`, in order: what follows is gone or replaced.
  while (next) {
    const gone = next;
    next = next.nextElementSibling;
    gone.remove();
  }
}

/**
 * Shows `items` as the rows of a table in `list` (made with `attrs` unless one with the same label is there already),
 * drawn with drawKeyed. `head` is `{ key, cells }`: the header row is drawn from `cells()` again only when `key` changes
 * (the files view's sort), so a redraw keeps its buttons too.
 */
export function drawKeyedTable(list, attrs, head, items, keyOf, render, signatureOf) {
  let table = list.querySelector(':scope > table');
  if (table?.getAttribute('aria-label') !== attrs['aria-label']) {
    table = h('table', attrs, h('thead'), h('tbody'));
    clear(list, table);
  }
  if (table.tHead.dataset.key !== head.key) {
    table.tHead.dataset.key = head.key;
    clear(table.tHead, h('tr', {}, head.cells()));
  }
  drawKeyed(table.tBodies[0], items, keyOf, render, signatureOf);
}

/** A short message at the bottom of the screen; errors are announced assertively. */
export function toast(message, kind = 'info', timeout = 6000) {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, message),
    h('button', { class: 'icon-button', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×'));
  box.append(item);
  if (timeout) setTimeout(() => item.remove(), timeout);
  return item;
}

export function showError(error) {
  console.warn(error);
  toast(errorMessage(error), 'error', 10000);
}

export function errorMessage(error) {
  if (!error) return 'Something went wrong.';
  if (error.name === 'AbortError') return 'Cancelled.';
  if (error instanceof TypeError && /fetch|network/i.test(error.message)) return 'Cannot reach the server; check your connection and try again.';
  return error.message || String(error);
}

/** A modal dialog; resolves with the value passed to close(value), or null when dismissed. */
export function openDialog(title, build, { wide = false } = {}) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const body = h('div', { class: 'dialog-body' });
    const dialog = h('dialog', { class: wide ? 'dialog wide' : 'dialog', 'aria-labelledby': titleId },
      h('div', { class: 'dialog-head' },
        h('h2', { id: titleId }, title),
        h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Close', onclick: () => close(null) }, '×')),
      body);
    let result = null;
    const close = (value) => { result = value; dialog.close(); };
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    document.body.append(dialog);
    build(body, close, dialog);
    trapFocus(dialog);
    dialog.showModal();
    const first = body.querySelector('[autofocus]') ?? body.querySelector('input, select, textarea, button');
    if (first) first.focus();
  });
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Keeps Tab and Shift+Tab cycling inside a modal dialog: the page behind it is inert, but without this the browser
 * moves focus out to its own toolbar or to the document, where a keyboard user loses the dialog.
 */
function trapFocus(dialog) {
  dialog.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const stops = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => el.tabIndex >= 0 && el.getClientRects().length);
    if (!stops.length) return;
    const first = stops[0], last = stops[stops.length - 1];
    const inside = stops.includes(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (document.activeElement === last || !inside)) { e.preventDefault(); first.focus(); }
  });
}

/** A form dialog with the given fields; resolves with {name: value} or null. */
export function promptDialog(title, fields, submitLabel = 'OK') {
  return openDialog(title, (body, close) => {
    const error = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); close(Object.fromEntries(new FormData(form))); } },
      fields.map((f) => h('label', { class: 'field' }, h('span', {}, f.label),
        f.options
          ? h('select', { name: f.name }, f.options.map(([v, t]) => h('option', { value: v, selected: v === f.value }, t)))
          : h('input', { name: f.name, type: f.type ?? 'text', value: f.value ?? '', required: f.required ?? false, autocomplete: 'off', placeholder: f.placeholder ?? '' }))),
      error,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'button', onclick: () => close(null) }, 'Cancel'),
        h('button', { type: 'submit', class: 'button primary' }, submitLabel)));
    body.append(form);
    const input = form.querySelector('input');
    if (input) {
      queueMicrotask(() => {
        input.focus();
        const dot = input.value.lastIndexOf('.');
        input.setSelectionRange(0, dot > 0 ? dot : input.value.length);
      });
    }
  });
}

export function confirmDialog(title, message, confirmLabel = 'OK', danger = false) {
  return openDialog(title, (body, close) => {
    body.append(h('p', {}, message), h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'button', onclick: () => close(false) }, 'Cancel'),
      h('button', { type: 'button', class: danger ? 'button danger' : 'button primary', autofocus: true, onclick: () => close(true) }, confirmLabel)));
  }).then((v) => v === true);
}

export function formatSize(bytes) {
  if (bytes === undefined || bytes === null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDate(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export const CONFLICT_MARK = '(conflicted copy from';
export const isConflicted = (name) => name.includes(CONFLICT_MARK);

const TYPES = [
  ['image', /\.(png|jpe?g|gif|webp|bmp|svg|avif|heic|ico)$/i, 'IMG', '#0a8f5a'],
  ['video', /\.(mp4|webm|mov|mkv|avi|m4v|ogv)$/i, 'VID', '#b4236b'],
  ['audio', /\.(mp3|wav|ogg|flac|m4a|aac|opus)$/i, 'AUD', '#7a3fd1'],
  ['pdf', /\.pdf$/i, 'PDF', '#d93025'],
  ['text', /\.(txt|md|csv|log|json|xml|ya?ml|ini|toml|cs|js|mjs|ts|py|go|rs|java|c|h|cpp|hpp|sh|css|html?|sql|sln|csproj|props)$/i, 'TXT', '#5f6b7a'],
  ['doc', /\.(docx?|odt|rtf|pages)$/i, 'DOC', '#1a5fd0'],
  ['sheet', /\.(xlsx?|ods|numbers)$/i, 'XLS', '#137333'],
  ['slides', /\.(pptx?|odp|key)$/i, 'PPT', '#c5480f'],
  ['archive', /\.(zip|tar|gz|tgz|7z|rar|bz2|xz)$/i, 'ZIP', '#8a6d00'],
];

/** The kind of a file by its name: image, video, audio, pdf, text, doc, sheet, slides, archive or file. */
export function fileKind(name) {
  return TYPES.find(([, re]) => re.test(name))?.[0] ?? 'file';
}

/** A small file-type icon (inline SVG: no icon font or emoji font needed). */
export function fileIcon(entry) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'file-icon');
  svg.setAttribute('aria-hidden', 'true');
  if (entry.tag === 'folder') {
    svg.innerHTML = '<path d="M2 6a2 2 0 0 1 2-2h5l2 2h9a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2z" fill="#4a8df8"/>';
    return svg;
  }
  const type = TYPES.find(([, re]) => re.test(entry.name));
  const [label, color] = type ? [type[2], type[3]] : ['', '#8d96a3'];
  svg.innerHTML = `<path d="M5 2h9l5 5v15H5z" fill="#fff" stroke="${color}" stroke-width="1.5"/><path d="M14 2v5h5" fill="none" stroke="${color}" stroke-width="1.5"/>` +
    (label ? `<rect x="3" y="12" width="16" height="8" rx="1.5" fill="${color}"/><text x="11" y="18.3" font-size="6" font-family="sans-serif" font-weight="700" fill="#fff" text-anchor="middle">${label}</text>` : '');
  return svg;
}

/** Saves a Blob under a file name through a temporary object URL. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Makes a row act like a button for the keyboard: Enter or Space runs it. */
export function activateOnKeys(node, handler) {
  node.addEventListener('keydown', (e) => {
    if (e.target !== node) return;
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); handler(e); }
  });
}
