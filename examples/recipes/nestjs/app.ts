/* Recipe: the proxy in a NestJS application on Express (docs/recipes.md, "NestJS"). */
import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { upgradeAware } from 'upgrade-aware-proxy';

/** The application's own module; the proxy needs nothing from it. */
@Module({})
export class AppModule {}

/** The application with its body parsers off: the proxy streams request bodies itself. */
function withoutParsers(): Promise<NestExpressApplication> {
  return NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    logger: false,
  });
}

/**
 * The application with a JSON parser in front of everything, the proxy included (`useBodyParser`
 * adds it at once, where Nest's default parsers come only at `init()`, after `app.use`), keeping
 * the bytes it read in `req.rawBody`.
 */
async function withParsers(): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    rawBody: true,
    logger: false,
  });
  return app.useBodyParser('json');
}

/**
 * A Nest application that proxies /proxy, upgrades included. `rawBody: false` (the default) turns
 * Nest's body parsers off, so the proxy streams request bodies itself; `rawBody: true` parses JSON
 * in front of the proxy and forwards the bytes Nest kept in `req.rawBody` (`requestBody`).
 *
 * @example const app = await createApp('http://127.0.0.1:8080/'); await app.listen(3000);
 */
export async function createApp(
  location: string,
  { rawBody = false }: { rawBody?: boolean } = {},
): Promise<NestExpressApplication> {
  const proxy = upgradeAware({
    location,
    useRequestLocation: true,
    ...(rawBody && {
      requestBody: (req: IncomingMessage) => (req as { rawBody?: Buffer }).rawBody,
    }),
  });
  const app = await (rawBody ? withParsers() : withoutParsers());
  app.use('/proxy', proxy); // Express's app.use: the proxy learns its mount, upgrades included
  const server = app.getHttpServer();
  server.on('upgrade', proxy.upgrade);
  server.on('close', () => void proxy.close());
  return app;
}
