import type { Brands } from '../../brands/brands.ts';
import { held, type PageStep } from './after-sign-in.ts';

/** The first sign-in at this brand of someone who used the group account elsewhere: told once. Any other arrival is recorded here. */
export function brandNotice(deps: { brands: Pick<Brands, 'arrive'> }): PageStep {
  return {
    name: 'brand_notice',
    page: '/brand',
    async due(signedIn) {
      const notice = await deps.brands.arrive(signedIn.customerId, signedIn.brand);
      return notice ? { state: 'brand_notice', ...held(signedIn) } : undefined;
    },
  };
}
