/** Replaces every token value with [REDACTED] (tokens never end up in a report file). */
export function makeRedactor(values: readonly (string | undefined)[]): (text: string) => string {
  const needles = values.filter((v): v is string => typeof v === 'string' && v.length >= 8);
  return (text) => needles.reduce((acc, needle) => acc.split(needle).join('[REDACTED]'), text);
}

/** Fills `{{name}}` placeholders of security/dast/targets.json; an unknown name becomes ''. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? '');
}
