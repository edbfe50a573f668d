// Reads a Go module's zip as the Go module proxy serves it (and `go mod download` keeps it): the files of the
// module, each named `<module>@<version>/<path>`, and the module's `h1:` hash as go.sum records it, so that a zip
// from any proxy or cache is taken only when it is the release we pin.
import { createHash } from 'node:crypto';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/** Every file of the zip (directories left out), name → content. Throws on a zip it cannot read. */
export function zipFiles(zip: Buffer): Map<string, Buffer> {
  const end = endOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let index = 0; index < count; index++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL_DIRECTORY_ENTRY)
      throw new Error(`zip: entry ${index} of the central directory is damaged`);
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    files.set(name, entryContent(zip, localHeader, method, compressedSize, size, name));
  }
  return files;
}

/** The module's hash as go.sum records it (`h1:` + base64 of SHA-256 over each file's SHA-256 and name). */
export function goModuleHash(files: ReadonlyMap<string, Buffer>): string {
  const summary = createHash('sha256');
  for (const name of [...files.keys()].sort()) {
    if (name.includes('\n')) throw new Error(`zip: a file name holds a newline: ${JSON.stringify(name)}`);
    summary.update(`${createHash('sha256').update(files.get(name)!).digest('hex')}  ${name}\n`);
  }
  return `h1:${summary.digest('base64')}`;
}

function endOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65,535.
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 65_535); at--)
    if (zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) return at;
  throw new Error('zip: no end of central directory (not a zip, or cut short)');
}

function entryContent(
  zip: Buffer,
  localHeader: number,
  method: number,
  compressedSize: number,
  size: number,
  name: string,
): Buffer {
  if (localHeader + 30 > zip.length || zip.readUInt32LE(localHeader) !== LOCAL_FILE_HEADER)
    throw new Error(`zip: the header of ${name} is damaged`);
  const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
  const data = zip.subarray(start, start + compressedSize);
  if (data.length !== compressedSize) throw new Error(`zip: ${name} is cut short`);
  let content: Buffer;
  if (method === STORED) content = data;
  // node:zlib taken here: only a fetch of CRDs unzips, and every translate loads this module.
  else if (method === DEFLATED)
    content = process.getBuiltinModule('node:zlib').inflateRawSync(data, { maxOutputLength: size + 1 });
  else throw new Error(`zip: ${name} is compressed with method ${method}, which Go module zips do not use`);
  if (content.length !== size)
    throw new Error(`zip: ${name} is ${content.length} bytes, its entry says ${size}`);
  return content;
}
