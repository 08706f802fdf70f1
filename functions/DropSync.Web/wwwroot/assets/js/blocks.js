// Downloads by blocks: a file larger than the server answers directly (config.max_response_bytes; AWS: Lambda's 6 MB
// payload) is fetched block by block from the URLs /files/get_blocks (or /s/{token}/get_blocks) gives. In AWS mode those
// are presigned S3 URLs on another origin: plain GETs, no Authorization header (the URL is the authority). Each block's
// SHA-256 is checked before it joins the Blob.
import { ErrorCodes } from './error-codes.js';

const PARALLEL_BLOCKS = 6;

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

/** The SHA-256 of bytes, lower-case hex (the block hash DropSync uses). */
export async function sha256Hex(bytes) {
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/**
 * Fetches a file by blocks and answers it as a Blob. getPage(start) answers one get_blocks page ({metadata, blocks:
 * [{hash, size, offset, url}], has_more, next_start}); pages are asked for one after another, each page's blocks fetched
 * a few at a time (each one's hash checked) before the next page is asked for, so only one page of URLs is ever held.
 * The pages must add up to metadata.size: a short list is an error, never a short file. onProgress(received, total)
 * follows the bytes.
 */
export async function blobFromBlocks(getPage, { onProgress, signal, type = 'application/octet-stream' } = {}) {
  const parts = [];
  let received = 0;
  let total = null;
  let rev = null;
  let page = await getPage(0, null);
  for (;;) {
    total ??= page.metadata?.size ?? null;
    rev ??= page.metadata?.rev ?? null;
    const blocks = [...page.blocks].sort((a, b) => a.offset - b.offset);
    const fetched = new Array(blocks.length);
    let next = 0;
    const worker = async () => {
      while (next < blocks.length) {
        const i = next++;
        const block = blocks[i];
        const response = await fetch(block.url, { signal, credentials: 'omit' });
        if (!response.ok) throw new Error(`A part of the file could not be fetched (HTTP ${response.status}); try the download again.`);
        const bytes = await response.arrayBuffer();
        if (bytes.byteLength !== block.size || await sha256Hex(bytes) !== block.hash) {
          throw new Error('A part of the file arrived damaged; try the download again.');
        }
        fetched[i] = new Blob([bytes]);
        received += block.size;
        onProgress?.(received, total ?? received);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BLOCKS, blocks.length) }, worker));
    parts.push(...fetched);
    if (!page.has_more) break;
    // The next page of the same revision, even if the file changes meanwhile.
    page = await getPage(page.next_start, rev);
  }
  const blob = new Blob(parts, { type });
  if (total !== null && blob.size !== total) {
    throw new Error('The list of the file\'s parts was incomplete; try the download again.');
  }
  return blob;
}

/** Whether an error is the server's "this file is too large to answer directly: fetch it by blocks". */
export const isTooLargeForDirectDownload = (error) => error?.code === ErrorCodes.TooLargeForDirectDownload;
