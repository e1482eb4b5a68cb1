import { captureLogs, logger, scrubber, withLogContext } from '@citypoints/log';

describe('the logger', () => {
  it('scrubs ID numbers, tokens, secrets and Chinese names from text, and redacts sensitive keys', () => {
    const scrub = scrubber({ AUTH_JWT_SECRET: 'super-secret-value-0123456789-abcdef', DATABASE_URL: 'postgres://u:pg-pass-42@db/x' });
    const line = scrub('id 44190019900101123X and 441900199001011234 token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln Bearer abc.def secret super-secret-value-0123456789-abcdef pw pg-pass-42 name 王小明');
    expect(line).not.toMatch(/4419001990/);
    expect(line).not.toContain('eyJ');
    expect(line).not.toContain('abc.def');
    expect(line).not.toContain('super-secret');
    expect(line).not.toContain('pg-pass-42');
    expect(line).not.toContain('王小明');
    expect(line).toContain('[id-number]');
    // uuids, timestamps and codes survive
    expect(scrub('resident 3f1c2a9e-9b7a-4f8e-8a51-1d2c3b4a5f60 at 2026-11-30T01:00:00Z code 23505')).toBe('resident 3f1c2a9e-9b7a-4f8e-8a51-1d2c3b4a5f60 at 2026-11-30T01:00:00Z code 23505');
  });

  it('writes JSON lines with the request id, redacting keys at any depth up to two', () => {
    const capture = captureLogs({ level: 'debug' });
    try {
      withLogContext({ requestId: 'req-1' }, () => logger('unit').info({ authorization: 'Bearer x', input: { idNumber: '1', name: 'n', ok: 1 }, deep: { a: { password: 'p' } } }, 'hello'));
      logger('unit').debug('below the level of other tests, visible here');
    } finally {
      capture.stop();
    }
    const [first, second] = capture.lines().map((l) => JSON.parse(l));
    expect(first).toMatchObject({ level: 'info', component: 'unit', requestId: 'req-1', msg: 'hello', authorization: '[redacted]', input: { idNumber: '[redacted]', name: '[redacted]', ok: 1 }, deep: { a: { password: '[redacted]' } } });
    expect(second.msg).toMatch(/visible here/);
  });
});
