/**
 * The one inventory of secret configuration. The boot check (placeholder refusal), log redaction
 * and the README/docs secrets table all read this list, so a new secret is added here once.
 */
export interface SecretVariable {
  readonly name: string;
  /** What leaks if the value leaks. */
  readonly protects: string;
  /** Comma-separated list of values (rotation keys) rather than one value. */
  readonly list?: boolean;
  /** The value is a URL whose password component is the secret part. */
  readonly url?: boolean;
}

export const SECRET_VARIABLES: readonly SecretVariable[] = [
  { name: 'DATABASE_URL', protects: 'PostgreSQL credentials (password component)', url: true },
  { name: 'REDIS_URL', protects: 'Redis credentials (password component)', url: true },
  { name: 'REDIS_SENTINEL_PASSWORD', protects: 'Redis Sentinel credentials (REDIS_MODE=sentinel)' },
  { name: 'JWT_ACCESS_SECRET', protects: 'signing key of access tokens: whoever has it can mint any identity' },
  {
    name: 'JWT_ACCESS_PREVIOUS_SECRETS',
    protects: 'older access-token keys still accepted during rotation',
    list: true,
  },
  { name: 'REFRESH_TOKEN_PEPPER', protects: 'HMAC key of stored refresh-token hashes' },
  {
    name: 'REFRESH_TOKEN_PEPPER_PREVIOUS',
    protects: 'older refresh-token peppers still matched during rotation',
    list: true,
  },
  { name: 'PAYMENT_PROVIDER_API_KEY', protects: 'credential for charging money at the payment provider' },
  {
    name: 'PAYMENT_PROVIDER_WEBHOOK_SECRET',
    protects: 'key the provider signs webhooks with: whoever has it can settle payments by forged events',
  },
  {
    name: 'PAYMENT_PROVIDER_WEBHOOK_SECRET_PREVIOUS',
    protects: 'older webhook signing keys still accepted during rotation',
    list: true,
  },
];

const PLACEHOLDER_WORDS =
  /change[-_ .]?me|replace[-_ .]?me|placeholder|example|your[-_ .]?([a-z]+[-_ .])?(secret|key|token|password|pepper)|goes[-_ .]?here|dummy|default|insecure|not[-_ .]?a[-_ .]?secret|todo|xxxxxx|^secret$|^password$/i;

/**
 * True for values that are clearly not a generated secret: template words, or too few distinct
 * characters to have come from a random generator (e.g. "aaaa…", "1234…1234").
 */
export function isKnownPlaceholder(value: string): boolean {
  if (new Set(value).size < 10) return true;
  if (!PLACEHOLDER_WORDS.test(value)) return false;
  // A generated secret can hold a template word by chance ("todo" in about one 32-byte base64url
  // value of 25,000): it is still a secret when what is left without the words looks generated.
  return !looksGenerated(value.replace(PLACEHOLDER_WORDS_ALL, ''));
}

const PLACEHOLDER_WORDS_ALL = new RegExp(PLACEHOLDER_WORDS.source, 'gi');

/** At least 24 characters, 20 of them distinct, with upper and lower case. */
function looksGenerated(rest: string): boolean {
  return rest.length >= 24 && new Set(rest).size >= 20 && /[A-Z]/.test(rest) && /[a-z]/.test(rest);
}

/**
 * The concrete secret strings configured in `env`: whole values and, for URLs, their password
 * component (raw and percent-decoded), so redaction can find them wherever they appear.
 */
export function configuredSecretValues(env: Record<string, unknown>): string[] {
  const values = new Set<string>();
  for (const secret of SECRET_VARIABLES) {
    const raw = env[secret.name];
    const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
    for (const item of items) {
      if (typeof item !== 'string' || item.length === 0) continue;
      if (secret.url) {
        try {
          const url = new URL(item);
          if (url.password) {
            values.add(url.password);
            values.add(decodeURIComponent(url.password));
            values.add(item);
          }
        } catch {
          values.add(item);
        }
      } else {
        values.add(item);
      }
    }
  }
  // Very short fragments (e.g. a 3-letter DB password) would redact ordinary words; still mask them
  // but only when they are at least 4 characters, which the boot check's rules make true for secrets.
  return [...values].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
}
