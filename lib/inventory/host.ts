import type { Vars } from "./vars.ts";

/** Where a value was declared: file, 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** How to reach a host over SSH; unset fields fall back to `~/.ssh/config`. */
export interface SshTarget {
  /** HostName or alias given to `ssh`. */
  address: string;
  user?: string;
  port?: number;
  /** ProxyJump value. */
  jump?: string;
  /** Extra ssh_config file (`ssh -F`), e.g. the lab's. */
  configFile?: string;
}

/** One host of the selected inventory, fully resolved. */
export interface Host {
  /** Inventory name, e.g. `isaqal09`; also the `instance` label. */
  name: string;
  deployment: "qual" | "prod";
  groups: string[];
  ssh: SshTarget;
  vars: Vars;
  /** Where the host was declared. */
  pos: SourcePos;
}
