import { MountPaths } from '../../lib/upgrade/mount.js';
import { upgradeAware } from '../../lib/index.js';

describe('MountPaths', () => {
  it('covers every path, query split off, while nothing is recorded', () => {
    const mounts = new MountPaths();
    expect(mounts.mounted).toBe(false);
    expect(mounts.match('/any/path?x=1')).toEqual({ path: '/any/path', query: 'x=1' });
    expect(mounts.match('/')).toEqual({ path: '/', query: null });
  });

  it('strips the mount from a path under it, at a segment boundary', () => {
    const mounts = new MountPaths();
    mounts.record('/proxy');
    expect(mounts.mounted).toBe(true);
    expect(mounts.match('/proxy/x/y?watch=1')).toEqual({ path: '/x/y', query: 'watch=1' });
    expect(mounts.match('/proxy/')).toEqual({ path: '/', query: null });
    expect(mounts.match('/proxy')).toEqual({ path: '', query: null });
    expect(mounts.match('/proxy?x')).toEqual({ path: '', query: 'x' });
  });

  it('leaves out paths outside the mount, including ones that merely start with its text', () => {
    const mounts = new MountPaths();
    mounts.record('/proxy');
    expect(mounts.match('/proxyx/y')).toBeUndefined();
    expect(mounts.match('/other/proxy/x')).toBeUndefined();
    expect(mounts.match('/')).toBeUndefined();
    expect(mounts.match('/proxy%2Fx')).toBeUndefined();
  });

  it("matches case-insensitively, as Express and Connect do, and keeps the rest's case", () => {
    const mounts = new MountPaths();
    mounts.record('/Proxy');
    expect(mounts.match('/PROXY/Some/Path')).toEqual({ path: '/Some/Path', query: null });
  });

  it('ignores a trailing slash on the mount', () => {
    const mounts = new MountPaths();
    mounts.record('/proxy/');
    expect(mounts.match('/proxy/x')).toEqual({ path: '/x', query: null });
  });

  it('takes the longest matching mount of several', () => {
    const mounts = new MountPaths();
    mounts.record(['/a', '/a/b']);
    mounts.record('/c');
    expect(mounts.match('/a/b/c')).toEqual({ path: '/c', query: null });
    expect(mounts.match('/a/bc')).toEqual({ path: '/bc', query: null });
    expect(mounts.match('/c/d')).toEqual({ path: '/d', query: null });
  });

  it('treats the root mount (`app.use(proxy)` reports /) as covering everything unchanged', () => {
    const mounts = new MountPaths();
    mounts.record('/');
    expect(mounts.match('/x?y')).toEqual({ path: '/x', query: 'y' });
  });

  it('uses only the path and query of an absolute-form target', () => {
    const mounts = new MountPaths();
    mounts.record('/proxy');
    expect(mounts.match('http://other.example/proxy/x?y=1')).toEqual({ path: '/x', query: 'y=1' });
  });

  it('covers nothing it cannot tell when mounted at a pattern or a RegExp', () => {
    for (const pattern of ['/user/:id', '/files/*', /^\/re/, 42]) {
      const mounts = new MountPaths();
      mounts.record(pattern);
      expect(mounts.patterned).toBe(true);
      expect(mounts.mounted).toBe(true);
      expect(mounts.match('/user/1/x')).toBeUndefined();
      expect(mounts.match('/re/x')).toBeUndefined();
    }
  });

  it('still covers its plain mounts next to a pattern', () => {
    const mounts = new MountPaths();
    mounts.record(['/plain', '/user/:id']);
    expect(mounts.match('/plain/x')).toEqual({ path: '/x', query: null });
    expect(mounts.match('/user/1')).toBeUndefined();
  });
});

describe('the sub-app mount protocol of upgradeAware', () => {
  it('looks like a sub-app to Express and Connect (handle, set, emit) and hides what it is told', () => {
    const proxy = upgradeAware({ location: 'http://127.0.0.1:1/' }) as unknown as Record<
      string,
      unknown
    > & { close(): Promise<void> };
    expect(typeof proxy.handle).toBe('function');
    expect(typeof proxy.set).toBe('function');
    expect(typeof proxy.emit).toBe('function');
    proxy.mountpath = '/proxy';
    proxy.route = '/other';
    expect(proxy.mountpath).toBeUndefined();
    expect(proxy.route).toBeUndefined();
    return proxy.close();
  });
});
