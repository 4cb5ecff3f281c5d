import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
} from 'kysely'

type DriverConfig = ConstructorParameters<typeof SqliteDriver>[0]

/**
 * Kysely's SQLite dialect, with transactions opened by BEGIN IMMEDIATE: the write lock is taken
 * at the start, so a writer waits (busy_timeout) instead of failing when it upgrades a read lock
 * that another process's commit made stale. Migrations also run in such a transaction (SQLite's
 * DDL is transactional), so processes opening a new home at the same moment migrate it once.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: DriverConfig

  constructor(config: DriverConfig) {
    super(config)
    this.#config = config
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config)
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter()
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #database: DriverConfig['database']

  constructor(config: DriverConfig) {
    super(config)
    this.#database = config.database
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }

  /**
   * After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has already rolled the
   * transaction back; a ROLLBACK then fails with "cannot rollback - no transaction is active",
   * and that error would replace the one that said what went wrong.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const db = this.#database as { inTransaction?: boolean }
    if (db.inTransaction === false) return
    await super.rollbackTransaction(connection)
  }
}
