import { describe, expect, it } from 'vitest';
import { ProblemBook } from './problem-book.ts';

describe('the problem book', () => {
  it('lists a problem once however often it is reported', () => {
    const book = new ProblemBook();
    for (let i = 0; i < 3; i++) book.add({ origin: '/m/a.yaml:3', message: 'rejected: spec: required' });
    expect(book.list()).toEqual([{ origin: '/m/a.yaml:3', message: 'rejected: spec: required' }]);
  });

  it('lists at most so many per file and in all, and counts the rest in one line per file', () => {
    const book = new ProblemBook({ perFile: 3, total: 5 });
    const admissions = Array.from({ length: 100_000 }, (_, i) =>
      book.add({ origin: `/m/a.yaml:${i + 1}`, message: 'rejected: spec: required' }),
    );
    expect(admissions.filter((a) => a === 'listed')).toHaveLength(3);
    for (let i = 0; i < 5; i++) book.add({ origin: `/m/b.yaml:${i + 1}`, message: 'rejected' });
    expect(book.list().map((p) => [p.origin, p.message])).toEqual([
      ['/m/a.yaml:1', 'rejected: spec: required'],
      ['/m/a.yaml:2', 'rejected: spec: required'],
      ['/m/a.yaml:3', 'rejected: spec: required'],
      ['/m/b.yaml:1', 'rejected'],
      ['/m/b.yaml:2', 'rejected'],
      ['/m/a.yaml', '99997 more problems here are not listed'],
      ['/m/b.yaml', '3 more problems here are not listed'],
    ]);
  });

  it('forgets what concerns a file read again or removed, including problems naming it with another file', () => {
    const book = new ProblemBook();
    book.add({ origin: '/m/a.yaml:1', message: 'not valid YAML' });
    book.add({ origin: '/m/b.yaml:4', message: 'rejected' });
    book.add({ origin: '/m/b.yaml:1', message: 'defined twice', files: ['/m/a.yaml', '/m/b.yaml'] });
    book.add({ origin: 'HTTPRoute', message: 'the API server refused the watch' });
    book.clearFiles(['/m/a.yaml']);
    expect(book.list().map((p) => p.message)).toEqual(['rejected', 'the API server refused the watch']);
    book.clearFiles(['/m/b.yaml']);
    expect(book.list().map((p) => p.message)).toEqual(['the API server refused the watch']);
    // Once forgotten, the same problem is listed (and logged) again when it is reported again.
    expect(book.add({ origin: '/m/a.yaml:1', message: 'not valid YAML' })).toBe('listed');
  });

  it('frees room for other files when a file is cleared', () => {
    const book = new ProblemBook({ perFile: 2, total: 2 });
    book.add({ origin: '/m/a.yaml:1', message: 'x' });
    book.add({ origin: '/m/a.yaml:2', message: 'x' });
    expect(book.add({ origin: '/m/b.yaml:1', message: 'x' })).toBe('counted');
    book.clearFiles(['/m/a.yaml', '/m/b.yaml']);
    expect(book.list()).toEqual([]);
    expect(book.add({ origin: '/m/b.yaml:1', message: 'x' })).toBe('listed');
  });

  it("withdraws an object's problems (of a category, or all), freeing their room", () => {
    const book = new ProblemBook({ perFile: 1, total: 10 });
    const web = { kind: 'HTTPRoute', namespace: 'apps', name: 'web' };
    book.add({ origin: 'kubernetes', message: 'rejected: web', category: 'rejected', object: web });
    book.add({
      origin: 'kubernetes',
      message: 'rejected: api',
      category: 'rejected',
      object: { ...web, name: 'api' },
    });
    book.add({ origin: 'HTTPRoute apps/web', message: 'selects nothing', category: 'policy', object: web });
    book.withdrawObject(web, 'policy');
    expect(book.list().map((p) => p.message)).toEqual([
      'rejected: web',
      '1 more problems here are not listed',
    ]);
    book.withdrawObject(web);
    expect(book.list().map((p) => p.message)).toEqual(['1 more problems here are not listed']);
    expect(book.add({ origin: 'kubernetes', message: 'rejected: web again', object: web })).toBe('listed');
  });
});
