// Hashes a file off the main thread: SHA-256 of each 4 MiB block (Web Crypto), and Dropbox's content hash, which with
// 4 MiB blocks is the SHA-256 of the concatenated block hashes.
// In: {file, blockSize}. Out: {type:'progress', hashed, total} … then {type:'done', blocks:[{hash,size}], contentHash}.

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

self.onmessage = async (event) => {
  const { file, blockSize } = event.data;
  try {
    const blocks = [];
    const digests = new Uint8Array(Math.ceil(file.size / blockSize) * 32);
    for (let offset = 0, i = 0; offset < file.size; offset += blockSize, i++) {
      const bytes = await file.slice(offset, Math.min(offset + blockSize, file.size)).arrayBuffer();
      const digest = await crypto.subtle.digest('SHA-256', bytes);
      digests.set(new Uint8Array(digest), i * 32);
      blocks.push({ hash: hex(digest), size: bytes.byteLength });
      self.postMessage({ type: 'progress', hashed: offset + bytes.byteLength, total: file.size });
    }
    const contentHash = hex(await crypto.subtle.digest('SHA-256', digests));
    self.postMessage({ type: 'done', blocks, contentHash });
  } catch (error) {
    self.postMessage({ type: 'error', message: `Could not read the file: ${error.message}` });
  }
};
