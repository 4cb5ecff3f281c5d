import type { ResolvedConfig } from '../core/config.js'
import { openSqliteStore } from './sqlite/open.js'
import type { Store } from './types.js'

/** Opens the metadata store the configuration names. */
export function openStore(config: Pick<ResolvedConfig, 'store'>): Promise<Store> {
  switch (config.store.backend) {
    case 'sqlite':
      return openSqliteStore(config.store.path)
  }
}
