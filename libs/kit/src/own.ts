/**
 * A caller's string looked up in an object built from data or a literal (`prices[material]`,
 * `value in options`) finds what every object inherits as well — `constructor`, `toString`,
 * `valueOf`, `__proto__` … — and hands back a function or a prototype where a price or a rule was
 * expected. These look among the object's own keys only.
 */

/** True when `key` is one of the object's own keys (never an inherited member). */
export function hasOwnKey(obj: object | null | undefined, key: string): boolean {
  return obj != null && Object.hasOwn(obj, key);
}

/** The value the object holds under `key` as its own property, or undefined. */
export function ownValue<V>(obj: Readonly<Record<string, V>> | null | undefined, key: string): V | undefined {
  return obj != null && Object.hasOwn(obj, key) ? obj[key] : undefined;
}
