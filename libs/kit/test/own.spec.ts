import { hasOwnKey, ownValue } from '@citypoints/kit';

/** Names every plain object answers to without holding them. */
const INHERITED = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'];

describe('own-key lookups', () => {
  const prices: Record<string, number> = { PAPER: 1.2, GLASS: 0.3 };

  it('find what the object holds', () => {
    expect(ownValue(prices, 'PAPER')).toBe(1.2);
    expect(hasOwnKey(prices, 'GLASS')).toBe(true);
    expect(ownValue(prices, 'METAL')).toBeUndefined();
    expect(hasOwnKey(prices, 'METAL')).toBe(false);
  });

  it.each(INHERITED)('find nothing under %s, which a plain lookup finds on any object', (key) => {
    expect(key in prices).toBe(true);
    expect(ownValue(prices, key)).toBeUndefined();
    expect(hasOwnKey(prices, key)).toBe(false);
    expect(ownValue(JSON.parse('{"a": 1}'), key)).toBeUndefined();
  });

  it('find an own key named like an inherited member, as JSON can hold one', () => {
    const parsed = JSON.parse('{"__proto__": 5, "constructor": 6}') as Record<string, number>;
    expect(ownValue(parsed, '__proto__')).toBe(5);
    expect(ownValue(parsed, 'constructor')).toBe(6);
  });

  it('take no object at all', () => {
    expect(ownValue(undefined, 'PAPER')).toBeUndefined();
    expect(hasOwnKey(null, 'PAPER')).toBe(false);
  });
});
