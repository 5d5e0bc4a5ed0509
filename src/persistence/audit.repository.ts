/** The audit log: one row per mutation, written in the mutation's own transaction. */
import type { Kysely, Transaction } from 'kysely';
import type { Database, AuditLogRow } from './schema.ts';
import type { Actor } from '../contract/analysis.types.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export interface AuditEntry {
  table: string;
  recordId: string;
  action: string;
  oldValues?: Record<string, unknown> | null;
  newValues?: Record<string, unknown> | null;
  actor: Actor;
}

export const auditRepository = {
  async record(db: Executor, e: AuditEntry): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        table_name: e.table,
        record_id: e.recordId,
        action: e.action,
        old_values: e.oldValues ? JSON.stringify(e.oldValues) : null,
        new_values: e.newValues ? JSON.stringify(e.newValues) : null,
        performed_by: e.actor.id,
        ip_address: e.actor.ip,
        correlation_id: e.actor.correlationId,
      })
      .execute();
  },

  async forRecord(db: Executor, table: string, recordId: string): Promise<AuditLogRow[]> {
    return db
      .selectFrom('audit_log')
      .selectAll()
      .where('table_name', '=', table)
      .where('record_id', '=', recordId)
      .orderBy('id')
      .execute();
  },
};
