import { describe, expect, test } from 'vitest';
import { formBoundary, formField, parseForm, withFields } from './multipart-form.ts';

/** A form as fetch encodes it (the encoder clients use), with its content-type. */
async function encoded(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const request = new Request('http://form.test/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}

const AUDIO = Buffer.from(Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));

async function transcription() {
  const form = new FormData();
  form.append('file', new Blob([AUDIO], { type: 'audio/wav' }), 'hello; "world".wav');
  form.append('model', 'whisper-client');
  form.append('language', 'en');
  return encoded(form);
}

describe('multipart/form-data', () => {
  test('the boundary of a form content-type, quoted or not; other types have none', () => {
    expect(formBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(formBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(formBoundary('multipart/mixed; boundary=abc')).toBeUndefined();
    expect(formBoundary('multipart/form-data')).toBeUndefined();
    expect(formBoundary('application/json')).toBeUndefined();
  });

  test("reads the fields and the file of fetch's encoding", async () => {
    const { body, contentType } = await transcription();
    const form = parseForm(body, formBoundary(contentType)!);
    if (typeof form === 'string') throw new Error(form);
    expect(form.parts.map((part) => [part.name, part.filename])).toEqual([
      ['file', expect.stringContaining('hello')],
      ['model', undefined],
      ['language', undefined],
    ]);
    expect(body.subarray(form.parts[0]!.start, form.parts[0]!.end).equals(AUDIO)).toBe(true);
    expect(formField(form, 'model')).toBe('whisper-client');
    expect(formField(form, 'file')).toBeUndefined(); // a file is not a text field
    expect(formField(form, 'prompt')).toBeUndefined();
  });

  test('rewrites a field in place: the file and every other byte as sent, the same boundary', async () => {
    const { body, contentType } = await transcription();
    const boundary = formBoundary(contentType)!;
    const form = parseForm(body, boundary) as Exclude<ReturnType<typeof parseForm>, string>;
    const rewritten = withFields(form, { model: 'whisper-1' });
    expect(rewritten.length).toBe(body.length - 'whisper-client'.length + 'whisper-1'.length);
    const again = parseForm(rewritten, boundary) as Exclude<ReturnType<typeof parseForm>, string>;
    expect(formField(again, 'model')).toBe('whisper-1');
    expect(formField(again, 'language')).toBe('en');
    expect(rewritten.subarray(again.parts[0]!.start, again.parts[0]!.end).equals(AUDIO)).toBe(true);
    expect(withFields(form, {})).toBe(body);
  });

  test('a body that is not a form with that boundary says why', async () => {
    const { body } = await transcription();
    expect(parseForm(body, 'other-boundary')).toBe(
      "the body has no part delimited by the content-type's boundary",
    );
    const cut = body.subarray(0, body.length - 10);
    expect(parseForm(cut, formBoundary((await transcription()).contentType) ?? '')).toEqual(
      expect.any(String),
    );
    const boundary = 'b';
    const noName = Buffer.from('--b\r\ncontent-disposition: form-data\r\n\r\nx\r\n--b--\r\n');
    expect(parseForm(noName, boundary)).toBe('a part has no content-disposition form-data name');
  });
});
