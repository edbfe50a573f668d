import { describe, expect, it } from 'vitest';
import { ENVOY_REGEX_VERDICTS } from '../testdata/envoy-regex-verdicts.ts';
import { compileRe2, RE2_MAX_PROGRAM_SIZE, re2Error } from './re2.ts';

describe('RE2 as Envoy reads a regex', () => {
  it.each(ENVOY_REGEX_VERDICTS)('%s', (pattern, envoyError) => {
    const error = re2Error(pattern);
    if (envoyError === undefined) expect(error).toBeUndefined();
    else expect(envoyError.startsWith(error ?? '(accepted)') || error === envoyError).toBe(true);
  });

  it('reads the program size Envoy reports where the encodings agree (ASCII classes)', () => {
    // Envoy: "regex 'a{1000}' RE2 program size of 1004 > …", "[a-z]{1,50}" 103, "^/v1/…{36}$" 128.
    expect(compileRe2('a{1000}')).toEqual({ ok: true, programSize: 1004 });
    expect(compileRe2('[a-z]{1,50}')).toEqual({ ok: true, programSize: 103 });
    expect(compileRe2('^/v1/(users|accounts)/[0-9a-f-]{36}$')).toEqual({ ok: true, programSize: 128 });
  });

  it('refuses a program larger than the limit the Envoy bootstrap sets', () => {
    // Envoy reads `.` as two Latin-1 byte ranges: `.{0,120}` is 364 instructions there (1084 in UTF-8).
    expect(re2Error('.{0,120}')).toBeUndefined();
    expect(re2Error('.{0,400}')).toBe(
      `RE2 program size of 1204 > max program size of ${RE2_MAX_PROGRAM_SIZE}`,
    );
    expect(re2Error('[a-z]{1,50}', 100)).toBe('RE2 program size of 103 > max program size of 100');
  });

  it('survives a pattern whose UTF-8 program overflows the WebAssembly heap, and goes on', () => {
    expect(compileRe2('\\pL{0,100}')).toEqual({
      ok: false,
      error: expect.stringMatching(/^pattern too large/),
    });
    expect(re2Error('\\pL{0,100}')).toBeUndefined(); // Envoy: 904 instructions
    expect(re2Error('\\pL{0,200}')).toBe('RE2 program size of 1804 > max program size of 1000');
    expect(re2Error('\\p{Greek}{0,1000}')).toBeUndefined(); // no Greek letter in Latin-1: Envoy counts 4
    expect(compileRe2('[a-z]{1,50}')).toEqual({ ok: true, programSize: 103 });
  });

  it('frees what it compiles (two thousand patterns do not grow the WebAssembly heap)', () => {
    compileRe2('x');
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 2_000; i++) compileRe2(`[a-z]{${i % 50}}/(?<n>.*)`);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});
