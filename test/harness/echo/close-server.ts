// Closing a Node server waits for its open connections (keep-alive, HTTP/2 sessions, WebSockets);
// tests want them gone at once, so every connection is tracked and destroyed on close.
import type { Server, Socket } from 'node:net';

/** Call before listen: returns a close function that ends the server and destroys its connections. */
export function closerFor(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
}
