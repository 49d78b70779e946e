import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The file as a whole cannot be read (its CSV header, a quote never closed): the run stops; the message names no customer. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** A line longer than this is refused in the report, never held whole in memory. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** `end`: the byte offset just past the line (progress). */
export type FileLine = { number: number; end: number; text: string; tooLong?: false } | { number: number; end: number; tooLong: true };

/**
 * The lines of a file, streamed: numbered from 1, `\r\n` or `\n`, blank lines left out (numbered
 * still) unless `keepBlank`. A line past `maxBytes` is given as too long and its bytes are skipped as they come.
 */
export async function* fileLines(path: string, maxBytes = MAX_LINE_BYTES, keepBlank = false): AsyncGenerator<FileLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let number = 0;
  let consumed = 0;
  const finish = (): FileLine | undefined => {
    number += 1;
    const line: FileLine | undefined = tooLong ? { number, end: consumed, tooLong: true } : lineOf(number, consumed, Buffer.concat(parts, size), keepBlank);
    parts = [];
    size = 0;
    tooLong = false;
    return line;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
      take(chunk.subarray(start, end));
      consumed += end + 1 - start;
      const line = finish();
      if (line) yield line;
      start = end + 1;
    }
    take(chunk.subarray(start));
    consumed += chunk.length - start;
  }
  if (size > 0 || tooLong) {
    const line = finish();
    if (line) yield line;
  }

  function take(piece: Buffer): void {
    if (tooLong || piece.length === 0) return;
    if (size + piece.length > maxBytes) {
      tooLong = true;
      parts = [];
      size = 0;
      return;
    }
    parts.push(Buffer.from(piece));
    size += piece.length;
  }
}

function lineOf(number: number, end: number, bytes: Buffer, keepBlank: boolean): FileLine | undefined {
  const text = bytes.toString('utf8').replace(/\r$/, '');
  return text.trim() === '' && !keepBlank ? undefined : { number, end, text };
}

/** The file's SHA-256, streamed: the same file is the same run (resumed), another file another run. */
export async function fileFingerprint(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}
