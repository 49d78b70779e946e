import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../../errors/domain-error.ts';

export interface SavedUpload {
  bytes: number;
  /** The upload's SHA-256, as `fileFingerprint` gives it: its run in `import_runs`. */
  fingerprint: string;
}

const tooLarge = (maxBytes: number) => new DomainError('payload_too_large', 413, `The upload is larger than ${maxBytes} bytes (IMPORT_UPLOAD_MAX_BYTES)`, { max_bytes: maxBytes });

/**
 * Streams an upload to `path`, chunk by chunk (never whole in memory), hashing and counting it as
 * it goes. A declared length over `maxBytes` is refused before a byte is read, and a body that
 * grows past it is cut off there (413 `payload_too_large`); an empty one is a 400 `empty_upload`.
 * On any refusal the partial file is removed.
 */
export async function saveUpload(body: Readable, path: string, maxBytes: number, declaredBytes: number | undefined): Promise<SavedUpload> {
  if (declaredBytes !== undefined && declaredBytes > maxBytes) throw tooLarge(maxBytes);
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(tooLarge(maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, counter, createWriteStream(path, { mode: 0o600 }));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  if (bytes === 0) {
    await rm(path, { force: true });
    throw new DomainError('empty_upload', 400, 'The upload is empty: send the file as the request body');
  }
  return { bytes, fingerprint: hash.digest('hex') };
}
