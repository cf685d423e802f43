/** What `npm run dev` prints once the gateway answers. */
export function banner(options: {
  url: string;
  email: string;
  /** Printed only right after the admin was created. */
  newPassword?: string;
  adminFile: string;
  docs: boolean;
}): string {
  const { url, email } = options;
  const password = options.newPassword ?? `(see ${options.adminFile})`;
  const login = `'{"email":"${email}","password":"'"$PASSWORD"'"}'`;
  const lines = [
    '',
    `Gateway: ${url}`,
    `Admin: ${email} / ${password}`,
    options.newPassword
      ? `        (printed once; saved in ${options.adminFile}, mode 0600)`
      : `        (the password is saved in ${options.adminFile})`,
    options.docs ? `Docs: ${url}/docs` : 'Docs: off (DOCS_ENABLED=false)',
    '',
    'Try:',
    `  curl -s ${url}/health/ready`,
    `  PASSWORD=$(sed -n 's/^PASSWORD=//p' ${options.adminFile})`,
    `  TOKEN=$(curl -s ${url}/v1/auth/login -H 'content-type: application/json' -d ${login} | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')`,
    `  curl -s ${url}/v1/payments -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -H "idempotency-key: $(node -p 'crypto.randomUUID()')" -d '{"amount":1250,"currency":"EUR","recipientId":"'$(node -p 'crypto.randomUUID()')'"}'`,
    '',
    'Ctrl-C stops everything. `npm run dev:reset` wipes .dev/ (data, secrets, admin).',
    '',
  ];
  return lines.join('\n');
}
