/** The shape shared by every `stowage init` preset (see index.ts for the list). */

/** One starting stowage.yaml that `stowage init --preset NAME` writes. */
export interface Preset {
  /** What `--preset` takes, e.g. `ziggie`. */
  readonly name: string;
  /** One line for the list of presets and for `stowage init --help`. */
  readonly description: string;
  /** The whole file: commented YAML with a `buckets:` section, valid as written. */
  readonly yaml: string;
}
