import http from 'node:http';
import { Agent as UndiciAgent } from 'undici';
import https from 'node:https';
import {
  DEFAULT_FLUSH_INTERVAL,
  DEFAULT_MAX_RESPONSE_HEADER_SIZE,
  DEFAULT_RESPONSE_HEADER_TIMEOUT,
  resolveOptions,
} from '../lib/options.js';
import type { ResolvedOptions } from '../lib/options.js';
import { defaultResponder } from '../lib/errors/responder.js';
import type { UpgradeAwareOptions } from '../lib/types.js';

const location = 'http://127.0.0.1:8080/base';
const agents: http.Agent[] = [];

/** A fresh agent, destroyed after each test. */
function agentOf(kind: typeof http | typeof https): http.Agent {
  const agent = new kind.Agent();
  agents.push(agent);
  return agent;
}

/** resolveOptions: it builds no client, so nothing is left to destroy. */
function resolve(options: UpgradeAwareOptions): ResolvedOptions {
  return resolveOptions(options);
}

afterEach(() => {
  for (const agent of agents.splice(0)) agent.destroy();
});

/** Bypasses the types, as a JavaScript caller would. */
function untyped(options: Record<string, unknown>): UpgradeAwareOptions {
  return options as unknown as UpgradeAwareOptions;
}

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not throw');
}

describe('resolveOptions', () => {
  it.each([
    ['location', 42],
    ['upgradeRequired', 'yes'],
    ['appendLocationPath', 1],
    ['useRequestLocation', 'true'],
    ['useLocationHost', null],
    ['wrapTransport', 0],
    ['rejectForwardingRedirects', {}],
    ['transport', {}],
    ['upgradeTransport', 'agent'],
    ['upgradeTransport', null],
    ['flushInterval', '200'],
    ['maxBytesPerSec', true],
    ['responseHeaderTimeout', '60000'],
    ['maxResponseHeaderSize', '1mb'],
    ['responder', 42],
    ['responder', {}],
  ])('throws a TypeError naming `%s` for %j', (name, value) => {
    const err = thrownBy(() => resolve(untyped({ location, [name]: value })));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toContain(`\`${name}\``);
  });

  it.each([
    ['agent', { agent: {} }, 'upgradeTransport.agent'],
    ['wrapRequest', { wrapRequest: 'add auth' }, 'upgradeTransport.wrapRequest'],
  ])(
    'throws a TypeError naming the wrong upgradeTransport.%s',
    (_field, upgradeTransport, name) => {
      const err = thrownBy(() => resolve(untyped({ location, upgradeTransport })));
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toContain(`\`${name}\``);
    },
  );

  it.each([
    ['flushInterval', -2],
    ['flushInterval', 1.5],
    ['flushInterval', Number.NaN],
    ['flushInterval', Number.POSITIVE_INFINITY],
    ['maxBytesPerSec', -1],
    ['maxBytesPerSec', 0.5],
    ['responseHeaderTimeout', -1],
    ['responseHeaderTimeout', 2 ** 53],
    ['maxResponseHeaderSize', 0],
    ['maxResponseHeaderSize', -1],
    ['maxResponseHeaderSize', 1.5],
    ['maxResponseHeaderSize', Number.POSITIVE_INFINITY],
    ['location', ''],
    ['location', 'ftp://127.0.0.1/'],
  ])('throws a RangeError naming `%s` for %p', (name, value) => {
    const err = thrownBy(() => resolve(untyped({ location, [name]: value })));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toContain(`\`${name}\``);
  });

  it('throws a TypeError naming an unknown option', () => {
    const err = thrownBy(() => resolve(untyped({ location, target: 'http://127.0.0.1:1' })));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toContain('`target`');
  });

  it('throws a TypeError when location is missing', () => {
    const err = thrownBy(() => resolve(untyped({ useRequestLocation: true })));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toContain('`location`');
  });

  it.each([null, undefined, 'http://127.0.0.1:8080'])(
    'throws a TypeError for options %p',
    (options) => {
      expect(() => resolve(options as unknown as UpgradeAwareOptions)).toThrow(TypeError);
    },
  );

  it('accepts a frozen options object and never changes it', () => {
    const wrapRequest = (init: {
      method: string;
      path: string;
      headers: http.OutgoingHttpHeaders;
    }) => init;
    const upgradeTransport = Object.freeze({ wrapRequest });
    const transport = agentOf(http);
    const options = Object.freeze({
      location,
      transport,
      upgradeTransport,
      flushInterval: -1,
      useLocationHost: true,
    });
    const before = { ...options };
    const resolved = resolve(options);
    expect(options).toEqual(before);
    expect(Object.keys(options)).toEqual(Object.keys(before));
    expect(upgradeTransport).toEqual({ wrapRequest });
    expect(resolved.flushInterval).toBe(-1);
    expect(resolved.useLocationHost).toBe(true);
  });

  it('leaves a plain options object as it was', () => {
    const responder = jest.fn();
    const options: UpgradeAwareOptions = {
      location: new URL(location),
      responder,
      maxBytesPerSec: 10,
      upgradeTransport: {},
    };
    const href = (options.location as URL).href;
    resolve(options);
    expect(Object.keys(options)).toEqual([
      'location',
      'responder',
      'maxBytesPerSec',
      'upgradeTransport',
    ]);
    expect((options.location as URL).href).toBe(href);
    expect(options.responder).toBe(responder);
    expect(options.maxBytesPerSec).toBe(10);
    expect(options.upgradeTransport).toEqual({});
  });

  it('returns a frozen object', () => {
    const resolved = resolve({ location });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.location)).toBe(true);
  });

  it('fills in the defaults', () => {
    const resolved = resolve({ location });
    expect(resolved).toMatchObject({
      upgradeRequired: false,
      appendLocationPath: false,
      useRequestLocation: false,
      useLocationHost: false,
      rejectForwardingRedirects: false,
      flushInterval: 200,
      maxBytesPerSec: 0,
      responseHeaderTimeout: 60000,
      maxResponseHeaderSize: 1048576,
      wrapRequest: undefined,
      dial: undefined,
      locate: undefined,
      requestStages: [],
      responseStages: [],
      requestBody: undefined,
      connectTimeout: 30000,
      proxyFromEnvironment: false,
    });
    expect(DEFAULT_FLUSH_INTERVAL).toBe(200);
    expect(DEFAULT_RESPONSE_HEADER_TIMEOUT).toBe(60000);
    expect(DEFAULT_MAX_RESPONSE_HEADER_SIZE).toBe(1048576);
    expect(resolved.responder).toBe(defaultResponder);
  });

  it('builds no client: without `transport` and `upgradeTransport.agent` both stay undefined (the transport makes its own)', () => {
    for (const url of [location, 'https://127.0.0.1:8443']) {
      const resolved = resolve({ location: url });
      expect([resolved.transport, resolved.upgradeAgent]).toEqual([undefined, undefined]);
    }
  });

  it('takes an undici Dispatcher as transport, and an agent for upgrades next to it', () => {
    const dispatcher = new UndiciAgent();
    try {
      const resolved = resolve({ location, transport: dispatcher });
      expect(resolved.transport).toBe(dispatcher);
      expect(resolved.upgradeAgent).toBeUndefined();
      const given = agentOf(http);
      const withAgent = resolve({
        location,
        transport: dispatcher,
        upgradeTransport: { agent: given },
      });
      expect(withAgent.transport).toBe(dispatcher);
      expect(withAgent.upgradeAgent).toBe(given);
    } finally {
      void dispatcher.destroy();
    }
  });

  it('accepts the bounds of each number', () => {
    const resolved = resolve({
      location,
      flushInterval: 0,
      maxBytesPerSec: 0,
      responseHeaderTimeout: 0,
    });
    expect(resolved).toMatchObject({
      flushInterval: 0,
      maxBytesPerSec: 0,
      responseHeaderTimeout: 0,
    });
    expect(resolve({ location, flushInterval: -1 }).flushInterval).toBe(-1);
    expect(resolve({ location, maxBytesPerSec: 1024 }).maxBytesPerSec).toBe(1024);
    expect(resolve({ location, maxResponseHeaderSize: 1 }).maxResponseHeaderSize).toBe(1);
  });

  describe('rewrite', () => {
    it('is true when no transport is given', () => {
      expect(resolve({ location }).rewrite).toBe(true);
      expect(resolve({ location, wrapTransport: false }).rewrite).toBe(true);
    });

    it('is true with a transport and wrapTransport', () => {
      const resolved = resolve({ location, transport: agentOf(http), wrapTransport: true });
      expect(resolved.rewrite).toBe(true);
    });

    it('is false with a transport and no wrapTransport', () => {
      expect(resolve({ location, transport: agentOf(http) }).rewrite).toBe(false);
    });
  });

  describe('transport', () => {
    it('is used as given', () => {
      const transport = agentOf(http);
      const resolved = resolve({ location, transport });
      expect(resolved.transport).toBe(transport);
      expect(resolved.upgradeAgent).toBeUndefined(); // upgrades then take the transport: __tests__/transport/transport.test.ts
    });

    it('rejects an http.Agent for an https location', () => {
      const err = thrownBy(() =>
        resolve({ location: 'https://127.0.0.1:8443', transport: agentOf(http) }),
      );
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toContain('`transport`');
    });

    it('rejects an https.Agent for an http location', () => {
      const err = thrownBy(() => resolve({ location, transport: agentOf(https) }));
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toContain('`transport`');
    });
  });

  describe('upgradeTransport', () => {
    it('gives neither agent nor wrapRequest when empty', () => {
      const transport = agentOf(http);
      const resolved = resolve({ location, transport, upgradeTransport: {} });
      expect(resolved.upgradeAgent).toBeUndefined();
      expect(resolved.wrapRequest).toBeUndefined();
    });

    it('keeps its agent apart from the transport', () => {
      const agent = agentOf(http);
      const resolved = resolve({ location, upgradeTransport: { agent } });
      expect(resolved.upgradeAgent).toBe(agent);
      expect(resolved.transport).toBeUndefined();
    });

    it('keeps wrapRequest', () => {
      const wrapRequest = (init: {
        method: string;
        path: string;
        headers: http.OutgoingHttpHeaders;
      }) => init;
      expect(resolve({ location, upgradeTransport: { wrapRequest } }).wrapRequest).toBe(
        wrapRequest,
      );
    });

    it('rejects an agent of the wrong scheme', () => {
      const err = thrownBy(() =>
        resolve({ location, upgradeTransport: { agent: agentOf(https) } }),
      );
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toContain('`upgradeTransport.agent`');
    });
  });

  describe('responder', () => {
    it('accepts a function', () => {
      const fn = jest.fn();
      expect(resolve({ location, responder: fn }).responder.error).toBe(fn);
    });

    it('accepts an object with an error method', () => {
      const responder = { error: jest.fn() };
      expect(resolve({ location, responder }).responder).toBe(responder);
    });
  });

  describe('the extensions', () => {
    it('keeps a location function to call per request, with no fixed location', () => {
      const locate = (): string => location;
      expect(resolve({ location: locate })).toMatchObject({ location: undefined, locate });
    });

    it('copies and freezes the stage lists', () => {
      const request = [(): void => {}];
      const resolved = resolve({ location, stages: { request } });
      request.push(() => {});
      expect(resolved.requestStages).toHaveLength(1);
      expect(Object.isFrozen(resolved.requestStages)).toBe(true);
      expect(resolved.responseStages).toEqual([]);
    });

    it.each<[string, Partial<UpgradeAwareOptions>, string]>([
      [
        'stages not an object',
        { stages: [] as never },
        'option `stages` must be an object with `request` and/or `response` lists',
      ],
      [
        'an unknown stages key',
        { stages: { before: [] } as never },
        'unknown option `stages.before`',
      ],
      [
        'stages.request not a list',
        { stages: { request: (() => {}) as never } },
        'option `stages.request` must be an array of functions',
      ],
      [
        'a stage not a function',
        { stages: { response: [() => {}, 'x' as never] } },
        'option `stages.response[1]` must be a function',
      ],
      [
        'requestBody not a function',
        { requestBody: Buffer.from('x') as never },
        'option `requestBody` must be a function',
      ],
      [
        'connectTimeout a string',
        { connectTimeout: '5' as never },
        'option `connectTimeout` must be a number',
      ],
      [
        'proxyFromEnvironment a string',
        { proxyFromEnvironment: 'yes' as never },
        'option `proxyFromEnvironment` must be a boolean',
      ],
      [
        'upgradeTransport.dial not a function',
        { upgradeTransport: { dial: 1 as never } },
        'option `upgradeTransport.dial` must be a function',
      ],
      [
        'an unknown upgradeTransport key',
        { upgradeTransport: { agnet: 1 } as never },
        'unknown option `upgradeTransport.agnet`',
      ],
    ])('throws a TypeError for %s', (_what, input, message) => {
      const err = thrownBy(() => resolve({ location, ...input }));
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toBe(message);
    });

    it.each([-1, 1.5])('throws a RangeError for connectTimeout %p', (connectTimeout) => {
      const err = thrownBy(() => resolve({ location, connectTimeout }));
      expect(err).toBeInstanceOf(RangeError);
      expect(err.message).toBe('option `connectTimeout` must be a non-negative integer (ms)');
    });
  });
});
