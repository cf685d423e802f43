/**
 * The path of a request URL: everything before the first `?`. What the access line, the probe
 * check and a problem's `instance` say of a URL (its query string is user data).
 */
export function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
