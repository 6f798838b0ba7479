const HTML = /^\s*text\/html\s*(?:;|$)/i;

/**
 * Whether a `Content-Type` value is `text/html`, in any case and with parameters: the bodies whose
 * links are rewritten (docs/rewriting.md, "HTML links"). Apart from html/, so that the rewriter is
 * loaded only when such a body comes.
 */
export function isHtml(contentType: string | undefined): boolean {
  return contentType !== undefined && HTML.test(contentType);
}
