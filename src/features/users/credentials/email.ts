/** The one normal form of an email (trimmed, lower case); the users table enforces it. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
