/**
 * Flat strings for what is kept long: V8 keeps a string built with `+` or a template as a tree of
 * its pieces (32 bytes per piece) until a character is read, which flattens it in place for every
 * holder.
 */

/** The string itself, flattened (for strings kept in statuses and caches for a pod's lifetime). */
export const flat = (text: string): string => {
  text.charCodeAt(0)
  return text
}
