/**
 * The one normal form of an email: surrounding whitespace trimmed, Unicode NFC, lower case. A
 * composed "é" (U+00E9) and a decomposed one ("e" + U+0301) are the same address, as are "Ada@" and
 * "ada@". Every entry point (login, the admin route, `user:create`, lockout keys) passes through
 * here, and the users table refuses any other form (CHECK users_email_normalized).
 * NFC again after lower-casing: a case mapping may leave a sequence that composes further.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase().normalize('NFC');
}
