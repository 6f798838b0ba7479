/**
 * Go's `path` package (`Clean`, `Join`; src/path/path.go), with which Kubernetes' rewriting
 * transport joins the path prefix to `X-Forwarded-Uri` and to rewritten links.
 */

/**
 * Go's `path.Clean`: one slash between elements, `.` dropped, `..` eats the element before it
 * (and is dropped at the root), no trailing slash except for `/`, `.` for nothing.
 * @example cleanPath('/a//b/../c/') // '/a/c'
 */
export function cleanPath(path: string): string {
  const rooted = path.startsWith('/');
  // Already clean (the common case): rooted, no empty, `.` or `..` segment, no trailing slash.
  if (rooted && (path === '/' || !path.endsWith('/')) && !/\/\/|\/\.\.?(?:\/|$)/.test(path))
    return path;
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg !== '..') out.push(seg);
    else if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!rooted) out.push('..');
  }
  const joined = (rooted ? '/' : '') + out.join('/');
  return joined === '' ? '.' : joined;
}

/**
 * Go's `path.Join`: the elements from the first non-empty one, joined with `/` and cleaned;
 * `''` when all are empty.
 * @example joinPath('/proxy', '/a/../b/') // '/proxy/b'
 */
export function joinPath(...elems: string[]): string {
  const first = elems.findIndex((e) => e !== '');
  return first < 0 ? '' : cleanPath(elems.slice(first).join('/'));
}
