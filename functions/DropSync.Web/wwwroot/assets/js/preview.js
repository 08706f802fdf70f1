// Previews of images, PDFs, text, audio and video in a dialog; anything else offers a download.
import { downloadBlob } from './api.js';
import { errorMessage, fileKind, formatSize, h, openDialog, saveBlob } from './ui.js';

const TEXT_LIMIT = 512 * 1024;
const MEDIA_LIMIT = 512 * 1024 * 1024;

/** Opens a preview of a file. fetchBlob(range?) answers its content (or a range of it) as a Blob. */
export function previewFile(entry, { fetchBlob = (opts) => downloadBlob(entry.path, { size: entry.size, ...opts }), rev } = {}) {
  const kind = fileKind(entry.name);
  let url = null;
  return openDialog(entry.name + (rev ? ' (old revision)' : ''), (body) => {
    const status = h('p', { class: 'muted', role: 'status' }, 'Loading preview…');
    const area = h('div', { class: `preview kind-${kind}` }, status);
    const download = h('button', { class: 'button', onclick: async () => saveBlob(await fetchBlob({ rev }), entry.name) }, `Download (${formatSize(entry.size)})`);
    body.append(area, h('div', { class: 'form-actions' }, download));
    const show = async () => {
      if (kind === 'text') {
        const blob = await fetchBlob({ rev, range: entry.size > TEXT_LIMIT ? `bytes=0-${TEXT_LIMIT - 1}` : undefined });
        const text = await blob.text();
        area.replaceChildren(h('pre', { class: 'preview-text', tabindex: '0', 'aria-label': `Contents of ${entry.name}` }, text));
        if (entry.size > TEXT_LIMIT) area.append(h('p', { class: 'muted' }, `Showing the first ${formatSize(TEXT_LIMIT)}.`));
        return;
      }
      if (!['image', 'pdf', 'video', 'audio'].includes(kind)) {
        area.replaceChildren(h('p', {}, 'There is no preview for this kind of file.'));
        return;
      }
      if (entry.size > MEDIA_LIMIT) {
        area.replaceChildren(h('p', {}, 'This file is too large to preview in the browser; download it instead.'));
        return;
      }
      const type = { image: mimeOf(entry.name, 'image'), pdf: 'application/pdf', video: mimeOf(entry.name, 'video'), audio: mimeOf(entry.name, 'audio') }[kind];
      const blob = await fetchBlob({ rev });
      url = URL.createObjectURL(new Blob([blob], { type }));
      const media = {
        image: () => h('img', { src: url, alt: `Preview of ${entry.name}` }),
        pdf: () => h('iframe', { src: url, title: `Preview of ${entry.name}` }),
        video: () => h('video', { src: url, controls: true, 'aria-label': `Video ${entry.name}` }),
        audio: () => h('audio', { src: url, controls: true, 'aria-label': `Audio ${entry.name}` }),
      }[kind]();
      area.replaceChildren(media);
    };
    show().catch((e) => status.replaceChildren(`Could not load the preview: ${errorMessage(e)}`));
  }, { wide: true }).finally(() => { if (url) URL.revokeObjectURL(url); });
}

function mimeOf(name, kind) {
  const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  const known = { jpg: 'image/jpeg', jpeg: 'image/jpeg', svg: 'image/svg+xml', mov: 'video/quicktime', mkv: 'video/x-matroska', mp3: 'audio/mpeg', m4a: 'audio/mp4' };
  return known[ext] ?? `${kind}/${ext}`;
}
