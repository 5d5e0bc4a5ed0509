/**
 * The runtime's database: embedded PostgreSQL when DATABASE_URL is unset, the pool, and
 * the production refusal of a superuser connection.
 */
import type { Kysely } from 'kysely';
import { maskUrl } from '../config/config-parse.ts';
import type { AppConfig } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import { createDatabase, type DatabaseHandle } from '../persistence/database.ts';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../persistence/embedded-postgres.ts';
import { sessionRole } from '../persistence/roles.ts';

export async function openDatabase(
  config: AppConfig,
  logger: Logger,
  applicationName: string | undefined,
): Promise<{ url: string; database: DatabaseHandle; embedded: EmbeddedHandle | null }> {
  let embedded: EmbeddedHandle | null = null;
  let url = config.database.url;
  if (!url) {
    logger.info(
      { data_dir: config.dataDir, port: config.database.embeddedPort },
      'DATABASE_URL not set; starting embedded PostgreSQL',
    );
    const pgLog = logger.child({ component: 'embedded-postgres' });
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.database.embeddedPort,
      log: (line) => pgLog.debug(line),
    });
    url = embedded.connectionString;
  }
  logger.info({ database: maskUrl(url) }, 'connecting to PostgreSQL');
  return { url, database: createDatabase(url, config.database, applicationName), embedded };
}

/**
 * Production runs as the least-privileged role (see `media-analysis db roles`); a
 * superuser connection is refused unless DATABASE_ALLOW_SUPERUSER says it is meant.
 */
export async function refuseSuperuser(config: AppConfig, db: Kysely<unknown>, logger: Logger): Promise<void> {
  if (config.env !== 'production') return;
  const role = await sessionRole(db);
  if (!role.superuser) return;
  if (config.operations.allowSuperuser) {
    logger.warn({ role: role.user }, 'connected as a PostgreSQL superuser (DATABASE_ALLOW_SUPERUSER=true)');
    return;
  }
  throw new Error(
    `Refusing to run as PostgreSQL superuser "${role.user}" in production: connect as the app role ` +
      '(`media-analysis db roles` prints the grants), or set DATABASE_ALLOW_SUPERUSER=true',
  );
}
