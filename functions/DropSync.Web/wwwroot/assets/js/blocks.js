// Downloads by blocks: a file larger than the server answers directly (config.max_response_bytes; AWS: Lambda's 6 MB
// payload) is fetched block by block from the URLs /files/get_blocks (or /s/{token}/get_blocks) gives. In AWS mode those
// are presigned S3 URLs on another origin: plain GETs, no Authorization header (the URL is the authority). Each block's
// SHA-256 is checked before it joins the Blob.

const PARALLEL_BLOCKS = 6;

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

/** The SHA-256 of bytes, lower-case hex (the block hash DropSync uses). */
export async function sha256Hex(bytes) {
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/**
 * Fetches the blocks of a get_blocks answer ({metadata, blocks:[{hash, size, offset, url}]}), a few at a time, checks
 * each one's hash, and answers the file as a Blob. onProgress(received, total) follows the bytes.
 */
export async function blobFromBlocks(list, { onProgress, signal, type = 'application/octet-stream' } = {}) {
  const blocks = [...list.blocks].sort((a, b) => a.offset - b.offset);
  const total = list.metadata?.size ?? blocks.reduce((n, b) => n + b.size, 0);
  const parts = new Array(blocks.length);
  let next = 0;
  let received = 0;
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
      parts[i] = new Blob([bytes]);
      received += block.size;
      onProgress?.(received, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_BLOCKS, blocks.length) }, worker));
  return new Blob(parts, { type });
}

/** Whether an error is the server's "this file is too large to answer directly: fetch it by blocks". */
export const isTooLargeForDirectDownload = (error) => error?.code === 'too_large_for_direct_download';
