import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import type { ConsentFigures, DecisionCounts } from './consent-figures.ts';

const counts = {
  granted: z.number().int().describe('Current decision granted, to a version that still counts: the purpose\'s audience'),
  granted_outdated: z.number().int().describe('Current decision granted, to a version before the last one that asked for fresh consent: it no longer counts, and the customer is asked again'),
  declined: z.number().int(),
  withdrawn: z.number().int().describe('Erased customers count here for the grants their erasure withdrew'),
};

const figuresOutput = z.object({
  purposes: z.array(
    z.object({
      purpose: z.string(),
      purpose_brand: z.string().nullable().describe('The brand the purpose belongs to; null: the whole group'),
      current_version: z.number().int(),
      ...counts,
      by_brand: z
        .array(z.object({ brand: z.string().nullable(), ...counts }))
        .describe('The same counts by the brand of the client where each current decision was given; null: no brand (customer service, the account pages, a client of no brand)'),
    }),
  ),
});

const present = (figures: DecisionCounts) => ({ granted: figures.granted, granted_outdated: figures.grantedOutdated, declined: figures.declined, withdrawn: figures.withdrawn });

/** `/consent-figures`: how many customers stand where on each purpose, in total and by brand, from the ledger's kept projection. */
export function consentFigureRoutes(app: FastifyInstance, api: ApiRegistry, figures: ConsentFigures): void {
  api.add(app, {
    method: 'GET',
    url: '/consent-figures',
    tag: 'consent',
    roles: ['admin', 'privacy_officer'],
    summary: 'Per purpose, and per brand where the decision was given, how many customers have granted, declined or withdrawn as their current decision',
    status: 200,
    response: figuresOutput,
    handler: async () => ({
      purposes: (await figures.list()).map((purpose) => ({
        purpose: purpose.purpose,
        purpose_brand: purpose.purposeBrand,
        current_version: purpose.currentVersion,
        ...present(purpose),
        by_brand: purpose.byBrand.map((entry) => ({ brand: entry.brand, ...present(entry) })),
      })),
    }),
  });
}
