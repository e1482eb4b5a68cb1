import { checkIdempotencyKey, IDEMPOTENCY_KEY_MAX, isUuid } from '@citypoints/kit';

describe('shared key helpers', () => {
  it('isUuid accepts the canonical form in either case and nothing else', () => {
    expect(isUuid('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(true);
    expect(isUuid('0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe(true);
    for (const bad of ['', '0f8fad5b-d9cb-469f-a165-70867728950', '0f8fad5bd9cb469fa16570867728950e', '------------------------------------', 'g f8fad5b-d9cb-469f-a165-70867728950e', null, undefined, 42]) {
      expect(isUuid(bad)).toBe(false);
    }
  });

  it('checkIdempotencyKey takes 1 to the limit of characters and names the field otherwise', () => {
    expect(checkIdempotencyKey('k')).toBe('k');
    expect(checkIdempotencyKey('x'.repeat(IDEMPOTENCY_KEY_MAX))).toHaveLength(IDEMPOTENCY_KEY_MAX);
    for (const bad of ['', 'x'.repeat(IDEMPOTENCY_KEY_MAX + 1), null, 7]) {
      expect(() => checkIdempotencyKey(bad)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'idempotencyKey' } }));
    }
    expect(() => checkIdempotencyKey('', 'key')).toThrow(expect.objectContaining({ details: { field: 'key' } }));
  });
});
