/**
 * Errors of Linux isolation mode, as values.
 */
import { Schema } from "effect"

/** A system command (`ip`, `runc`, `unshare`) failed: its command line and what it said on stderr. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  command: Schema.String,
  stderr: Schema.String
}) {}
