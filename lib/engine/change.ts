/** One planned change on a host: a sentence for people, an optional diff, and how to apply it. */
export interface Change {
  /** Human sentence, e.g. "write /etc/apache2/conf-available/EPFL_isa.conf". */
  summary: string;
  /** Unified diff of a file's content, already redacted of secrets. */
  diff?: string;
  /**
   * The file keeps its content; only its mode or owner is restored. Containers that read it see the
   * same bytes, so nothing keeps a copy of the previous version for a rollback.
   */
  sameContent?: boolean;
  /** Performs the change; not called under `--check`. */
  apply: () => Promise<void>;
}
