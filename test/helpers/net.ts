/** A port the OS says is free right now (bind to 0, read it, release it). */
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Send raw bytes to 127.0.0.1:`port` and collect what comes back until the server closes
 * the connection or `waitMs` passes ('' when nothing came). Requests should say
 * `Connection: close` so a complete answer ends the wait.
 */
export function rawRequest(port: number, bytes: Buffer, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, waitMs);
    socket.on('data', (d: Buffer) => (got += d.toString('utf8')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', () => undefined);
  });
}
