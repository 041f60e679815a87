/**
 * Errors of the Node adapters, as values.
 */
import { Schema } from "effect"

/** The SQLite database could not be opened (bad path, not a database, held by another process). */
export class StorageOpenError extends Schema.TaggedError<StorageOpenError>()("StorageOpenError", {
  path: Schema.String,
  message: Schema.String
}) {}
