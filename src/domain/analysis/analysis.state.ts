/**
 * The analysis lifecycle as data. Every status change names a transition from this
 * table; the repository turns it into `UPDATE … WHERE status = ANY($from) AND version = $v`.
 *
 *   pending ──start──▶ processing ──complete──▶ completed
 *      ▲                  │  │
 *      └────requeue───────┘  └──fail──▶ failed ──retry──▶ pending
 *   pending|processing ──cancel──▶ cancelled ──retry──▶ pending
 *   completed (partial: an optional stage failed) ──retry_partial──▶ pending
 *   any but deleted ──delete──▶ deleted
 */
import type { AnalysisStatus } from '../../contract/analysis.types.ts';

export const TRANSITIONS = {
  start: { from: ['pending'], to: 'processing' },
  requeue: { from: ['processing'], to: 'pending' },
  complete: { from: ['processing'], to: 'completed' },
  fail: { from: ['pending', 'processing'], to: 'failed' },
  cancel: { from: ['pending', 'processing'], to: 'cancelled' },
  retry: { from: ['failed', 'cancelled'], to: 'pending' },
  // Only for a completed analysis whose results say `partial` (the service checks it; the
  // version guard makes sure the results it read are still the row's).
  retry_partial: { from: ['completed'], to: 'pending' },
  delete: { from: ['pending', 'processing', 'completed', 'failed', 'cancelled'], to: 'deleted' },
} as const satisfies Record<string, { from: readonly AnalysisStatus[]; to: AnalysisStatus }>;

export type TransitionName = keyof typeof TRANSITIONS;

/** Statuses from which no job will move the analysis any further. */
export const TERMINAL_STATUSES: readonly AnalysisStatus[] = ['completed', 'failed', 'cancelled', 'deleted'];

export function canTransition(from: AnalysisStatus, name: TransitionName): boolean {
  return (TRANSITIONS[name].from as readonly AnalysisStatus[]).includes(from);
}

export function isTerminal(status: AnalysisStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
