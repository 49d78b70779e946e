import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { DomainError } from '../../errors/domain-error.ts';
import type { ApiRegistry } from '../../http/api-route.ts';
import type { ImportJobOptions, ImportJobs } from './import-jobs.ts';

/** What the upload's body parser hands the route: the request stream, unread, and what its headers say of it. */
interface Upload {
  stream: Readable;
  /** From the media type: `text/csv` is CSV, the others NDJSON (the `format` query overrides it). */
  format: 'ndjson' | 'csv';
  declaredBytes: number | undefined;
}

const UPLOAD_TYPES = ['application/x-ndjson', 'text/csv', 'application/octet-stream'] as const;
const flag = z.enum(['true', 'false']).optional();

/** The command line's flags as query parameters (`--dry-run` is `dry_run=true`). */
const importQuery = z.strictObject({
  format: z.enum(['ndjson', 'csv']).optional().describe('ndjson or csv; by default from the media type (text/csv is CSV)'),
  platform: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'a key such as woocommerce').optional().describe('the platform the customers come from (default import)'),
  update: flag.describe('true: write the records over customers already there'),
  dry_run: flag.describe('true: check every line, write only the report'),
  allow_weak_hashes: flag.describe('true: take salted SHA-256, SHA-1 and MD5 hashes (marked weak)'),
  weak_hashes: z.enum(['rehash', 'reset']).optional().describe('what a weak hash does at the next sign-in (default rehash)'),
  publish_events: flag.describe('true: webhooks for the created customers and their decisions'),
  batch: z.string().regex(/^\d{1,5}$/).transform(Number).pipe(z.number().int().min(1).max(10_000)).optional().describe('lines per transaction (default 5000)'),
});

const summary = z.object({
  file_fingerprint: z.string(),
  platform: z.string(),
  dry_run: z.boolean(),
  lines: z.number(),
  accepted: z.number(),
  updated: z.number(),
  skipped: z.number(),
  refused: z.number(),
  reasons: z.record(z.string(), z.number()),
  hash_formats: z.record(z.string(), z.number()),
  resumed_after: z.number(),
  seconds: z.number(),
  lines_per_s: z.number(),
});

const jobOutput = z.object({
  id: z.string(),
  state: z.enum(['running', 'completed', 'failed', 'interrupted']),
  options: z.object({ format: z.string(), platform: z.string(), update: z.boolean(), dry_run: z.boolean(), allow_weak_hashes: z.boolean(), weak_hashes: z.string(), publish_events: z.boolean(), batch: z.number() }),
  progress: z.object({ lines: z.number(), bytes: z.number(), total_bytes: z.number() }),
  summary: summary.nullable(),
  error: z.string().nullable(),
  started_by: z.string(),
  created_at: z.number().int(),
  finished_at: z.number().int().nullable(),
});

/**
 * The upload's own scope: the body of a file's media type is handed on as a stream (the job
 * writes it to disk as it arrives); any other is a 415 `unsupported_media_type`.
 */
export function uploadParsers(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser([...UPLOAD_TYPES], (request, payload, done) => {
    const length = Number(request.headers['content-length']);
    const upload: Upload = { stream: payload, format: /^text\/csv\b/i.test(request.headers['content-type'] ?? '') ? 'csv' : 'ndjson', declaredBytes: Number.isFinite(length) ? length : undefined };
    done(null, upload);
  });
  scope.addContentTypeParser('*', (_request, _payload, done) => done(new DomainError('unsupported_media_type', 415, `Send the file as ${UPLOAD_TYPES.join(', ')}`)));
}

/** `/imports`: customers from another platform, uploaded and imported as a job (admin only). */
export function importRoutes(app: FastifyInstance, api: ApiRegistry, jobs: ImportJobs): void {
  api.add(app, {
    method: 'POST',
    url: '/imports',
    tag: 'customers',
    roles: ['admin'],
    summary: 'Import customers from a file (NDJSON or CSV with a header, as `portvakt import`): 202 with the job, which runs in the background',
    upload: UPLOAD_TYPES,
    query: importQuery,
    body: z.custom<Upload>((value) => typeof value === 'object' && value !== null && 'stream' in value, 'a file as the body'),
    status: 202,
    response: jobOutput,
    handler: async ({ query, body, operator }) => {
      const options: ImportJobOptions = {
        format: query.format ?? body.format,
        platform: query.platform ?? 'import',
        update: query.update === 'true',
        dry_run: query.dry_run === 'true',
        allow_weak_hashes: query.allow_weak_hashes === 'true',
        weak_hashes: query.weak_hashes ?? 'rehash',
        publish_events: query.publish_events === 'true',
        batch: query.batch ?? 5000,
      };
      return jobs.start(body.stream, body.declaredBytes, options, operator.id);
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/imports',
    tag: 'customers',
    roles: ['admin'],
    summary: 'The import jobs, newest first',
    query: z.strictObject({ limit: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(200)).optional() }),
    status: 200,
    response: z.object({ imports: z.array(jobOutput) }),
    handler: async ({ query }) => ({ imports: await jobs.list(query.limit ?? 50) }),
  });
  api.add(app, {
    method: 'GET',
    url: '/imports/:id',
    tag: 'customers',
    roles: ['admin'],
    summary: "An import job: its state, progress (lines done), and once completed its summary (counts by outcome, reason and hash format)",
    params: z.strictObject({ id: z.uuid() }),
    status: 200,
    response: jobOutput,
    handler: async ({ params }) => jobs.find(params.id),
  });
  api.add(app, {
    method: 'GET',
    url: '/imports/:id/report',
    tag: 'customers',
    roles: ['admin'],
    summary: 'The report of a completed import, as `portvakt import --report` writes it: every line\'s outcome (line number, source id, field, reason, hash format; no personal data) and the summary',
    params: z.strictObject({ id: z.uuid() }),
    status: 200,
    download: 'application/json',
    handler: async ({ params }) => jobs.report(params.id),
  });
}
