// The stand-in for the coredns image of the conformance suite's base manifests, run as a pod by the node agent:
// a UDP DNS server on :53 that answers A queries for the zones whose Corefile block uses `whoami` with the
// client's own address (what coredns' whoami plugin answers), and REFUSED for anything else (the suite's
// Corefile forwards other names to public resolvers, which a test machine must not reach).
// Usage: node dns-whoami.ts -conf <Corefile>
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const confIndex = process.argv.indexOf('-conf');
const corefile = confIndex > 0 ? readFileSync(process.argv[confIndex + 1]!, 'utf8') : '';
const whoamiZones = [...corefile.matchAll(/^\s*([^\s{]+?)(?::\d+)?\s*\{([^}]*)\}/gm)]
  .filter((block) => /\bwhoami\b/.test(block[2]!))
  .map((block) => block[1]!.replace(/\.$/, '').toLowerCase());

const server = createSocket('udp4');
server.on('message', (query, client) => {
  if (query.length < 12) return;
  const question = readQuestion(query);
  if (!question) return;
  const inZone = whoamiZones.some((zone) => question.name === zone || question.name.endsWith(`.${zone}`));
  const answer = inZone && question.type === 1 ? client.address.split('.').map(Number) : undefined;
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  // QR=1, opcode and RD from the query, AA=1; RCODE 0 (answer) or 5 (REFUSED).
  header[2] = 0x84 | (query[2]! & 0x79);
  header[3] = inZone ? 0 : 5;
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answer ? 1 : 0, 6);
  const questionBytes = query.subarray(12, question.end);
  const records = answer
    ? Buffer.concat([
        Buffer.from([0xc0, 0x0c]),
        Buffer.from([0, 1, 0, 1, 0, 0, 0, 0, 0, 4]),
        Buffer.from(answer),
      ])
    : Buffer.alloc(0);
  server.send(Buffer.concat([header, questionBytes, records]), client.port, client.address);
});
server.bind(53, '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));

function readQuestion(packet: Buffer): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let offset = 12;
  while (offset < packet.length) {
    const length = packet[offset]!;
    offset++;
    if (length === 0) break;
    if (length > 63 || offset + length > packet.length) return undefined;
    labels.push(
      packet
        .subarray(offset, offset + length)
        .toString('ascii')
        .toLowerCase(),
    );
    offset += length;
  }
  if (offset + 4 > packet.length) return undefined;
  return { name: labels.join('.'), type: packet.readUInt16BE(offset), end: offset + 4 };
}
