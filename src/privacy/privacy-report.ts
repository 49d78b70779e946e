import type { PrivacyTasksTable } from '../store/schema.ts';
import type { PrivacyRequest } from './privacy-request.ts';
import type { Receipt } from './system-contract.ts';

/** The evidence of a finished privacy request: what every system did and when, what is kept and why, and the audit head. */
export interface PrivacyReport {
  request: { id: string; kind: string; customer_id: string; source: string; received_at: string; verified_at: string | null; due_at: string; completed_at: string; state: string; verification: string | null };
  systems: Array<{
    system: string;
    name: string;
    access: string;
    mode: string;
    reference: string | null;
    state: string;
    /** False when the customer had none of the identifiers the system keys customers by: it was never told, nothing was done there. */
    identified: boolean;
    attempts: number;
    completed_at: string | null;
    deleted: string[];
    retained: Array<{ category: string; reason: string; until?: string | undefined }>;
    pseudonymized: string[];
    exported: boolean;
    note: string | null;
    confirmed_by: string | null;
    last_error: string | null;
  }>;
  scheduled: Array<{ system: string; at: string; mode: string }>;
  audit: { seq: number; hash: string } | null;
}

const iso = (at: number | null) => (at === null ? null : new Date(Number(at)).toISOString());

export function buildReport(request: PrivacyRequest, tasks: PrivacyTasksTable[], names: Map<string, string>): PrivacyReport {
  const finals = tasks.filter((task) => task.state === 'scheduled');
  return {
    request: {
      id: request.id,
      kind: request.kind,
      customer_id: request.customer_id,
      source: request.source,
      received_at: iso(request.received_at)!,
      verified_at: iso(request.verified_at),
      due_at: iso(request.due_at)!,
      completed_at: iso(request.completed_at)!,
      state: request.state,
      verification: request.verification,
    },
    systems: tasks
      .filter((task) => task.state !== 'scheduled')
      .map((task) => {
        const receipt = task.receipt ? (JSON.parse(task.receipt) as Receipt & { confirmed_by?: string; exported?: boolean }) : undefined;
        return {
          system: task.system,
          name: names.get(task.system) ?? task.system,
          access: task.access,
          mode: task.mode,
          reference: task.reference,
          state: task.state,
          identified: task.state !== 'not_identified',
          attempts: task.attempts,
          completed_at: iso(task.completed_at),
          deleted: receipt?.deleted ?? [],
          retained: receipt?.retained ?? [],
          pseudonymized: receipt?.pseudonymized ?? [],
          exported: receipt?.exported ?? false,
          note: receipt?.note ?? null,
          confirmed_by: receipt?.confirmed_by ?? null,
          last_error: task.last_error,
        };
      }),
    scheduled: finals.map((task) => ({ system: task.system, at: iso(task.next_attempt_at)!, mode: task.mode })),
    audit: null,
  };
}
