import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';

/** A file chosen in a form's file input: its declared type and its bytes in base64 (as the API takes a logo). */
export interface UploadedFile {
  type: string;
  name: string;
  size: number;
  base64: string;
}

/**
 * Accepts `multipart/form-data` posts in this scope (a form with a file input), read by the
 * platform's own parser (fetch's `Response.formData`) into the same shape the urlencoded forms
 * have: a field once is a string, several times a list; a chosen file an {@link UploadedFile},
 * an empty file input nothing. `bodyLimit` bounds the whole post (Fastify answers 413 above it).
 */
export function acceptMultipartForms(scope: FastifyInstance, bodyLimit: number): void {
  scope.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit }, async (request: { headers: Record<string, unknown> }, body: Buffer) => {
    let parsed: FormData;
    try {
      parsed = await new Response(new Uint8Array(body), { headers: { 'content-type': String(request.headers['content-type']) } }).formData();
    } catch {
      throw new DomainError('bad_request', 400, 'The form could not be read');
    }
    const fields: Record<string, string | UploadedFile | Array<string | UploadedFile>> = Object.create(null);
    for (const [name, value] of parsed) {
      const field = typeof value === 'string' ? value : await uploaded(value);
      if (field === undefined) continue;
      const current = fields[name];
      fields[name] = current === undefined ? field : [...[current].flat(), field];
    }
    return fields;
  });
}

async function uploaded(file: File): Promise<UploadedFile | undefined> {
  if (file.size === 0 && file.name === '') return undefined;
  return { type: file.type, name: file.name, size: file.size, base64: Buffer.from(await file.arrayBuffer()).toString('base64') };
}
