import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { CHAIN_PROBLEMS, type AuditLog } from './audit-log.ts';

const verifyReport = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  broken_at: z.number().int().optional().describe('The first entry that does not fit'),
  problem: z.enum(CHAIN_PROBLEMS).optional().describe('How the chain broke there: missing_entry (removed), wrong_link (reordered or replaced), altered (its content changed), newest_removed (the head records more entries than there are)'),
  reason: z.string().optional().describe('The same in words'),
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
