import type { ResolvedConfig } from '../core/config.js'
import { FsArtifactStore } from './fs/store.js'
import type { ArtifactStore } from './types.js'

/** Opens the artifact store the configuration names. */
export function openArtifactStore(config: Pick<ResolvedConfig, 'artifacts'>): ArtifactStore {
  switch (config.artifacts.backend) {
    case 'fs':
      return new FsArtifactStore(config.artifacts.path)
  }
}
