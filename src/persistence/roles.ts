/**
 * Least-privilege database roles.
 *
 * - The *migrator* role owns the schema: our tables and graphile-worker's. Only the
 *   migrate step (`media-analysis db migrate`, the Kubernetes migrate Job) connects as it.
 * - The *app* role, which the API and the workers use, may read and write our tables and
 *   nothing else there: no CREATE, DROP, ALTER or TRUNCATE, because it owns none of them.
 * - The queue's schema (`graphile_worker`) belongs to the app role: graphile-worker turns
 *   on row-level security without policies on its private tables, so only their owner
 *   may use them, and the worker applies the queue's own migrations when it starts.
 *
 * `media-analysis db roles` prints these statements; `--apply` runs them as an admin.
 */
import { sql, type Kysely } from 'kysely';

export interface RoleNames {
  migrator: string;
  app: string;
}

export const DEFAULT_ROLES: RoleNames = { migrator: 'media_migrator', app: 'media_app' };

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a plain PostgreSQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * The statements that create the roles (without passwords: set them with ALTER ROLE or
 * use certificate auth) and grant exactly what each needs in `database`.
 */
export function roleStatements(database: string, roles: RoleNames = DEFAULT_ROLES): string[] {
  const m = ident(roles.migrator);
  const a = ident(roles.app);
  const db = ident(database);
  const out = [
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${roles.migrator}') THEN CREATE ROLE ${m} LOGIN; END IF; END $$`,
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${roles.app}') THEN CREATE ROLE ${a} LOGIN; END IF; END $$`,
    `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${db} TO ${m}`,
    `GRANT CONNECT ON DATABASE ${db} TO ${a}`,
    // Nobody but the owner creates objects in our schema (PostgreSQL < 15 lets PUBLIC).
    `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
    `GRANT USAGE, CREATE ON SCHEMA public TO ${m}`,
    `GRANT USAGE ON SCHEMA public TO ${a}`,
    // Existing objects move to their owner (a database first migrated as another user):
    // ours to the migrator, the queue's to the app role.
    `DO $$ DECLARE r record; BEGIN
       FOR r IN SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ('public', 'graphile_worker') AND c.relkind IN ('r', 'p', 'v', 'S')
                  -- skip extension members and sequences owned by a column (they follow their table)
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.objsubid = 0
                                    AND d.refobjid <> c.oid AND d.deptype IN ('e', 'a', 'i'))
       LOOP
         EXECUTE format('ALTER %s %I.%I OWNER TO %s',
           CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.nspname, r.relname,
           CASE r.nspname WHEN 'public' THEN '${m}' ELSE '${a}' END);
       END LOOP;
       FOR r IN SELECT p.oid::regprocedure AS sig, n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('public', 'graphile_worker') AND p.prokind IN ('f', 'p')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
       LOOP
         EXECUTE format('ALTER ROUTINE %s OWNER TO %s', r.sig,
           CASE r.nspname WHEN 'public' THEN '${m}' ELSE '${a}' END);
       END LOOP;
       IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'graphile_worker') THEN
         EXECUTE 'ALTER SCHEMA graphile_worker OWNER TO ${a}';
       END IF;
     END $$`,
    // What the app may do today …
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${a}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${a}`,
    // … and on whatever later migrations (run as the migrator) create.
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${m} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${a}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${m} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${a}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${m} GRANT EXECUTE ON FUNCTIONS TO ${a}`,
    // Our migrations (as the migrator) enqueue through the queue's functions too.
    `DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'graphile_worker') THEN
       EXECUTE 'GRANT USAGE ON SCHEMA graphile_worker TO ${m}';
     END IF; END $$`,
  ];
  return out;
}

/** Run the role statements (as a role allowed to create roles and change owners). */
export async function applyRoles(
  db: Kysely<unknown>,
  database: string,
  roles: RoleNames = DEFAULT_ROLES,
): Promise<void> {
  for (const stmt of roleStatements(database, roles)) await sql.raw(stmt).execute(db);
}

export interface SessionRole {
  user: string;
  superuser: boolean;
  database: string;
}

/** Who this connection is (for the superuser check at boot). */
export async function sessionRole(db: Kysely<unknown>): Promise<SessionRole> {
  const r = await sql<SessionRole>`
    SELECT current_user AS user, r.rolsuper AS superuser, current_database() AS database
    FROM pg_roles r WHERE r.rolname = current_user`.execute(db);
  return r.rows[0]!;
}
