import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResolvedOptions } from '../options.js';

/** Placeholder: the upgrade path. */
export class Upgrades {
  constructor(readonly options: ResolvedOptions) {}
  fromRequest(_req: IncomingMessage, res: ServerResponse): void {
    res.statusCode = 501;
    res.end();
  }
  fromUpgradeEvent(_req: IncomingMessage, socket: Duplex, _head: Buffer): void {
    socket.destroy();
  }
  closeAll(): void {}
}
