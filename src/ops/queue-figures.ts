/** What the queues' owners count for the metrics (ops/metrics.ts), read from the database at each scrape. */

/** The outbox's figures: what waits to be sent, since when, and what was given up. */
export interface OutboxFigures {
  queued: number;
  /** created_at of the oldest queued message; null when none is queued. */
  oldestQueuedAt: number | null;
  dead: number;
}

/** One webhook subscription's figures. */
export interface SubscriptionFigures {
  subscription: string;
  pending: number;
  /** created_at of the oldest pending delivery; null when none is pending. */
  oldestPendingAt: number | null;
  dead: number;
}

/** Privacy requests and tasks: the open ones, the overdue, and those waiting on a person. */
export interface PrivacyFigures {
  /** Tasks still worked on by the machine, by state (pending, waiting_callback, scheduled). */
  openTasks: Record<string, number>;
  /** Tasks waiting on a person, by state (waiting_operator, dead, not_identified). */
  waitingTasks: Record<string, number>;
  openRequests: number;
  overdueRequests: number;
}
