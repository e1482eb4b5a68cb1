import { idNumberCheckChar, parseIdNumber, parseUscc, usccCheckChar, maskName, maskIdNumber, ageOn, addWorkingDays, isWithinDivision } from '@citypoints/kit';

describe('identity', () => {
  it('accepts a GB 11643 ID number and derives its birth date', () => {
    const first = '44190019900101123';
    const id = first + idNumberCheckChar(first);
    expect(parseIdNumber(id).birthDate).toBe('1990-01-01');
  });
  it('refuses a wrong check character with BAD_USER_INPUT', () => {
    const first = '44190019900101123';
    const wrong = idNumberCheckChar(first) === '0' ? '1' : '0';
    expect(() => parseIdNumber(first + wrong)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
  it('knows the published example USCC 91350100M000100Y43', () => {
    expect(usccCheckChar('91350100M000100Y4')).toBe('3');
    expect(parseUscc('91350100M000100Y43')).toBe('91350100M000100Y43');
    expect(() => parseUscc('91350100M000100Y44')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
  it('masks names and ID numbers as docs/domain/00-terms.md says', () => {
    expect(maskName('张三明')).toBe('张*明');
    expect(maskName('李四')).toBe('李*');
    expect(maskName('欧阳娜娜')).toBe('欧**娜');
    expect(maskIdNumber('44190019900101123X')).toBe('441900********123X');
  });
  it('computes whole years of age', () => {
    expect(ageOn('1978-06-15', '2025-06-14')).toBe(46);
    expect(ageOn('1978-06-15', '2025-06-15')).toBe(47);
  });
  it('counts working days past weekends and holidays', () => {
    expect(addWorkingDays('2025-01-03', 1)).toBe('2025-01-06');
    expect(addWorkingDays('2025-01-03', 1, new Set(['2025-01-06']))).toBe('2025-01-07');
  });
  it('scopes divisions by code prefix', () => {
    expect(isWithinDivision('441900003001', '441900003')).toBe(true);
    expect(isWithinDivision('441900004001', '441900003')).toBe(false);
  });
});
