import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import type { AuditLog } from './audit-log.ts';

const verifyReport = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  broken_at: z.number().int().optional(),
  reason: z.string().optional(),
});

export function auditRoutes(app: FastifyInstance, api: ApiRegistry, audit: AuditLog): void {
  api.add(app, {
    method: 'GET',
    url: '/audit/verify',
    tag: 'audit',
    roles: ['admin', 'privacy_officer'],
    summary: 'Re-compute the hash chain of the audit log; names the first entry that was altered, removed or reordered',
    status: 200,
    response: verifyReport,
    handler: () => audit.verify(),
  });
}
