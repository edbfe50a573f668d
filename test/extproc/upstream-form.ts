// The multipart form a fake provider received (an upload), read as a provider's form parser reads it: the text
// fields by name and the file part's name, type and bytes.
import type { ReceivedRequest } from './fake-providers.ts';

export interface UpstreamForm {
  readonly fields: Record<string, string>;
  readonly file: { name: string; type: string; bytes: Buffer } | undefined;
}

export async function upstreamForm(seen: ReceivedRequest): Promise<UpstreamForm> {
  const form = await new Response(seen.raw, {
    headers: { 'content-type': seen.headers['content-type']! },
  }).formData();
  const fields: Record<string, string> = {};
  let file: UpstreamForm['file'];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else file = { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  return { fields, file };
}
