/**
 * A status change and its audit row, inside the caller's transaction: the building
 * block of every lifecycle move (user transitions here, worker transitions in the queue).
 */
import type { AnalysisUpdate } from '../../persistence/schema.ts';
import type { Tx } from '../../persistence/database.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import { TRANSITIONS, type TransitionName } from './analysis.state.ts';
import type { Actor, Analysis } from '../../contract/analysis.types.ts';

/** The audited table: audit rows name it with the analysis id. */
const AUDIT_TABLE = 'media_analysis_requests';

/** What a transition writes through: the guarded update and the audit log. */
export type TransitionRepositories = Pick<Repositories, 'analyses' | 'audit'>;

/** Write the audit row of a status change. */
export async function auditTransition(
  repos: Pick<Repositories, 'audit'>,
  trx: Tx,
  before: Analysis,
  after: Analysis,
  action: string,
  actor: Actor,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await repos.audit.record(trx, {
    table: AUDIT_TABLE,
    recordId: after.id,
    action,
    oldValues: { status: before.status, version: before.version, progress: before.progress },
    newValues: { status: after.status, version: after.version, progress: after.progress, ...extra },
    actor,
  });
}

/**
 * Guarded transition plus its audit row, inside the caller's transaction. Returns
 * undefined (and writes nothing) when another actor moved the analysis first.
 */
export async function applyTransition(
  repos: TransitionRepositories,
  trx: Tx,
  current: Analysis,
  name: TransitionName,
  patch: AnalysisUpdate,
  actor: Actor,
  auditExtra: Record<string, unknown> = {},
): Promise<Analysis | undefined> {
  const next = await repos.analyses.transition(trx, current.id, TRANSITIONS[name], patch, current.version);
  if (next) await auditTransition(repos, trx, current, next, name, actor, auditExtra);
  return next;
}
