import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

const open: net.Socket[] = [];

/** Two ends of a real TCP connection on 127.0.0.1; {@link destroySocketPairs} closes them. */
export async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const near = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(near, 'connect');
  const [far] = await accepted;
  server.close();
  for (const socket of [near, far]) {
    socket.on('error', () => {});
    open.push(socket);
  }
  return [near, far];
}

/** Destroys every socket {@link socketPair} made. */
export function destroySocketPairs(): void {
  for (const socket of open.splice(0)) socket.destroy();
}
