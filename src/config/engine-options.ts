/** The engine's options as a config file sets them (`dataDir`, `engine.*`). */
import type { EngineOptions } from '../engine/engine.js';
import type { StowageConfig } from './schema.js';

/**
 * What `stowage serve` and the `stowage engine` commands open the data directory with.
 *
 * @example
 * const engine = await Engine.open(engineOptionsFrom(await loadConfig()));
 */
export function engineOptionsFrom(config: StowageConfig): EngineOptions {
  return {
    dataDir: config.dataDir,
    fsync: config.engine.fsync,
    allowNetworkFilesystem: config.engine.allowNetworkFilesystem,
    limits: {
      minPartSizeBytes: config.engine.minPartSizeBytes,
      maxPutSizeBytes: config.engine.maxPutSizeBytes,
      maxObjectSizeBytes: config.engine.maxObjectSizeBytes,
    },
  };
}
