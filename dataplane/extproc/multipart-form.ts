// multipart/form-data request bodies (RFC 7578), as OpenAI's audio uploads send them: read for their text fields
// (the model routes the request) and rewritten field by field, every other byte kept as the client sent it.

/** One part: its field name, file name (file parts) and where its content lies in the body. */
export interface FormPart {
  readonly name: string;
  readonly filename: string | undefined;
  /** Offsets of the part's content in the body (after its headers, before the CRLF ending it). */
  readonly start: number;
  readonly end: number;
}

export interface MultipartForm {
  readonly body: Buffer;
  readonly boundary: string;
  readonly parts: readonly FormPart[];
}

/** The boundary a content-type names, when it is multipart/form-data; undefined otherwise. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...parameters] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const parameter of parameters) {
    const at = parameter.indexOf('=');
    if (at < 0 || parameter.slice(0, at).trim().toLowerCase() !== 'boundary') continue;
    const value = parameter.slice(at + 1).trim();
    const boundary = value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    // RFC 2046: 1 to 70 characters.
    return boundary.length >= 1 && boundary.length <= 70 ? boundary : undefined;
  }
  return undefined;
}

/** The form's parts, or a message saying why the body is not a multipart form with this boundary. */
export function parseForm(body: Buffer, boundary: string): MultipartForm | string {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return `the body has no part delimited by the content-type's boundary`;
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return { body, boundary, parts }; // "--": the close delimiter
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) return 'a part delimiter is not followed by CRLF';
    const headersEnd = body.indexOf('\r\n\r\n', at + 2);
    if (headersEnd < 0) return 'a part has no end to its headers';
    const disposition = partHeaders(body.toString('latin1', at + 2, headersEnd))['content-disposition'];
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) return 'the body ends before its closing boundary';
    const name = disposition === undefined ? undefined : dispositionParameter(disposition, 'name');
    if (name === undefined) return 'a part has no content-disposition form-data name';
    parts.push({
      name,
      filename: dispositionParameter(disposition!, 'filename'),
      start: headersEnd + 4,
      end: next,
    });
    at = next + 2;
  }
}

/** A text field's value (the first part of that name that is not a file). */
export function formField(form: MultipartForm, name: string): string | undefined {
  const part = form.parts.find((candidate) => candidate.name === name && candidate.filename === undefined);
  return part === undefined ? undefined : form.body.toString('utf8', part.start, part.end);
}

/** The body with the content of each named text field replaced; parts, headers and boundary otherwise as sent. */
export function withFields(form: MultipartForm, values: Readonly<Record<string, string>>): Buffer {
  const pieces: Buffer[] = [];
  let copied = 0;
  for (const part of form.parts) {
    const value = values[part.name];
    if (value === undefined || part.filename !== undefined) continue;
    pieces.push(form.body.subarray(copied, part.start), Buffer.from(value));
    copied = part.end;
  }
  if (copied === 0) return form.body;
  pieces.push(form.body.subarray(copied));
  return Buffer.concat(pieces);
}

function partHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A parameter of `form-data; name="model"; filename="a.wav"` (quoted, with backslash escapes, or a token). */
function dispositionParameter(disposition: string, parameter: 'name' | 'filename'): string | undefined {
  if (!/^\s*form-data\s*(;|$)/i.test(disposition)) return undefined;
  const match = new RegExp(`;\\s*${parameter}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(
    disposition,
  );
  if (match === null) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}
