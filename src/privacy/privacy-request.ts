import type { PrivacyRequestsTable } from '../store/schema.ts';

/**
 * One data-subject request (erasure or export) as stored, and the states in which it is still
 * open. Its state machine lives in `privacy-requests.ts`; the exports, the report and the worker
 * read this type from here so that none of them imports the others.
 */
export type PrivacyRequest = PrivacyRequestsTable;
export const OPEN_REQUEST_STATES: ReadonlyArray<PrivacyRequest['state']> = ['received', 'verified', 'in_progress'];
