// Bytes → text without copying: Buffer.from(uint8array) copies, a Buffer view over the same memory does not.

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function utf8(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('utf8');
}
