/**
 * Recursively freezes plain data (objects and arrays) so nobody can change what is shared between
 * requests. Descends into already-frozen objects too: a shallowly frozen view may hold unfrozen parts.
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
