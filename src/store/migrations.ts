import { type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, sql } from 'kysely'

export type DialectName = 'sqlite' | 'postgres'

/**
 * Versioned migrations, applied in name order by Kysely's Migrator. Append new ones; never edit a
 * released one. Only the auto-increment id differs between dialects.
 */
export function migrations(dialect: DialectName): MigrationProvider {
  // SQLite: tables keyed by a composite primary key are stored in that key's order (WITHOUT ROWID),
  // so a lookup by key reads the row itself and secondary indexes carry the key columns.
  const clustered = <T extends string, C extends string>(table: CreateTableBuilder<T, C>) =>
    dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table
  const id = <T extends string>(table: CreateTableBuilder<T, never>) =>
    dialect === 'sqlite'
      ? table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      : table.addColumn('id', 'bigserial', (c) => c.primaryKey())

  const all: Record<string, Migration> = {
    '0001_registry': {
      async up(db: Kysely<unknown>) {
        await id(db.schema.createTable('models'))
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('description', 'text')
          .addColumn('next_version', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await id(db.schema.createTable('model_versions'))
          .addColumn('model_id', 'bigint', (c) => c.notNull().references('models.id'))
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('status_reason', 'text')
          .addColumn('artifact_digest', 'text', (c) => c.notNull())
          .addColumn('artifact_size', 'bigint', (c) => c.notNull())
          .addColumn('artifact_kind', 'text', (c) => c.notNull())
          .addColumn('flavor', 'text', (c) => c.notNull())
          .addColumn('signature', 'text')
          .addColumn('params', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('run_id', 'text')
          .addColumn('code_commit', 'text')
          .addColumn('code_dirty', 'integer')
          .addColumn('environment', 'text')
          .addColumn('parent_version', 'integer')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('model_versions_model_version', ['model_id', 'version'])
          .execute()
        await db.schema
          .createIndex('model_versions_status')
          .on('model_versions')
          .columns(['status', 'id'])
          .execute()

        await clustered(db.schema.createTable('version_metrics'))
          .addColumn('version_id', 'bigint', (c) => c.notNull().references('model_versions.id'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'double precision', (c) => c.notNull())
          .addPrimaryKeyConstraint('version_metrics_pk', ['version_id', 'key'])
          .execute()
        await db.schema
          .createIndex('version_metrics_key_value')
          .on('version_metrics')
          .columns(['key', 'value', 'version_id'])
          .execute()

        await clustered(db.schema.createTable('version_tags'))
          .addColumn('version_id', 'bigint', (c) => c.notNull().references('model_versions.id'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('version_tags_pk', ['version_id', 'key'])
          .execute()
        await db.schema
          .createIndex('version_tags_key_value')
          .on('version_tags')
          .columns(['key', 'value', 'version_id'])
          .execute()

        await clustered(db.schema.createTable('model_aliases'))
          .addColumn('model_id', 'bigint', (c) => c.notNull().references('models.id'))
          .addColumn('alias', 'text', (c) => c.notNull())
          .addColumn('version_id', 'bigint', (c) => c.notNull().references('model_versions.id'))
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('model_aliases_pk', ['model_id', 'alias'])
          .execute()
        await db.schema
          .createIndex('model_aliases_alias')
          .on('model_aliases')
          .columns(['alias', 'version_id'])
          .execute()
        await db.schema
          .createIndex('model_aliases_version')
          .on('model_aliases')
          .column('version_id')
          .execute()

        await id(db.schema.createTable('datasets'))
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('next_version', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute()
        await id(db.schema.createTable('dataset_versions'))
          .addColumn('dataset_id', 'bigint', (c) => c.notNull().references('datasets.id'))
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('format', 'text', (c) => c.notNull())
          .addColumn('rows', 'bigint', (c) => c.notNull())
          .addColumn('columns', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('dataset_versions_version', ['dataset_id', 'version'])
          .addUniqueConstraint('dataset_versions_digest', ['dataset_id', 'digest'])
          .execute()

        await clustered(db.schema.createTable('version_datasets'))
          .addColumn('version_id', 'bigint', (c) => c.notNull().references('model_versions.id'))
          .addColumn('dataset_version_id', 'bigint', (c) => c.notNull().references('dataset_versions.id'))
          .addColumn('role', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('version_datasets_pk', ['version_id', 'dataset_version_id', 'role'])
          .execute()

        await clustered(db.schema.createTable('blob_refs'))
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('owner', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('blob_refs_pk', ['digest', 'owner'])
          .execute()
        await db.schema.createIndex('blob_refs_owner').on('blob_refs').column('owner').execute()
      },
    },
    '0002_pipeline': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('file_hashes')
          .addColumn('path', 'text', (c) => c.primaryKey())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('mtime_ns', 'text', (c) => c.notNull())
          .addColumn('inode', 'text', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createTable('stage_cache')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('stage', 'text', (c) => c.notNull())
          .addColumn('outs', 'text', (c) => c.notNull())
          .addColumn('metrics', 'text', (c) => c.notNull())
          .addColumn('log', 'text')
          .addColumn('run_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createTable('runs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('record', 'text', (c) => c.notNull())
          .execute()
        await clustered(db.schema.createTable('run_stages'))
          .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('record', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('run_stages_pk', ['run_id', 'name'])
          .execute()
        await db.schema
          .createIndex('run_stages_name')
          .on('run_stages')
          .columns(['name', 'status', 'run_id'])
          .execute()
      },
    },
    '0003_deployments': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('deployments')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('alias', 'text')
          .addColumn('batch_max_rows', 'integer')
          .addColumn('batch_max_wait_ms', 'double precision')
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await id(db.schema.createTable('deployment_events'))
          .addColumn('deployment', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('alias', 'text')
          .addColumn('previous_version', 'integer')
          .addColumn('at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('deployment_events_deployment')
          .on('deployment_events')
          .columns(['deployment', 'id'])
          .execute()
      },
    },
    '0004_rollouts': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('deployments').addColumn('routing', 'text').execute()
        await db.schema
          .createTable('rollouts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('deployment', 'text', (c) => c.notNull())
          // The deployment's name while the rollout runs, null once it ended: the unique index
          // lets one rollout run per deployment, whichever process starts it.
          .addColumn('active', 'text', (c) => c.unique())
          .addColumn('strategy', 'text', (c) => c.notNull())
          .addColumn('phase', 'text', (c) => c.notNull())
          .addColumn('spec', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('rollouts_deployment')
          .on('rollouts')
          .columns(['deployment', 'created_at'])
          .execute()
        await id(db.schema.createTable('rollout_decisions'))
          .addColumn('rollout', 'text', (c) => c.notNull())
          .addColumn('deployment', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('message', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('rollout_decisions_deployment')
          .on('rollout_decisions')
          .columns(['deployment', 'id'])
          .execute()
      },
    },
    '0005_tokens': {
      async up(db: Kysely<unknown>) {
        // Only a hash of each secret is kept; token_id (`slc_` and the secret's first 8
        // characters) is what a request's token is looked up by, and what listings show.
        await id(db.schema.createTable('api_tokens'))
          .addColumn('token_id', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('last_used_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute()
        // A name belongs to one token until it is revoked (then it can be given again).
        await db.schema
          .createIndex('api_tokens_live_name')
          .on('api_tokens')
          .column('name')
          .unique()
          .where(sql.ref('revoked_at'), 'is', null)
          .execute()
      },
    },
  }
  return { getMigrations: async () => all }
}
