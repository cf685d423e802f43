/**
 * What the gateway's own database role may do, and the check of it at start. The gateway runs as a
 * login role that is a member of `gateway_runtime` (created and granted by the migrations, see
 * prisma/migrations/*_runtime_role); the table owner only ever runs migrations.
 *
 * RUNTIME_GRANTS is the list the migrations grant, and nothing more: every table, sequence and
 * function of the gateway's schema with exactly the privileges the code uses. A migration that adds
 * one adds its grant, and its line here, in the same change (a test compares the two).
 */
export const RUNTIME_ROLE = 'gateway_runtime';

export const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;
export const SEQUENCE_PRIVILEGES = ['USAGE', 'SELECT', 'UPDATE'] as const;

export interface RuntimeGrants {
  /** Table name -> the table privileges the gateway needs on it (any other is refused). */
  tables: Readonly<Record<string, readonly (typeof TABLE_PRIVILEGES)[number][]>>;
  sequences: Readonly<Record<string, readonly (typeof SEQUENCE_PRIVILEGES)[number][]>>;
  /** Function signatures the gateway calls (EXECUTE). */
  functions: readonly string[];
}

export const RUNTIME_GRANTS: RuntimeGrants = {
  tables: {
    users: ['SELECT', 'INSERT', 'UPDATE'],
    refresh_families: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    refresh_tokens: ['SELECT', 'INSERT', 'UPDATE'],
    payments: ['SELECT', 'INSERT', 'UPDATE'],
    idempotency_keys: ['SELECT', 'INSERT', 'UPDATE'],
    admin_audit: ['SELECT', 'INSERT'],
    payment_webhook_events: ['SELECT', 'INSERT', 'UPDATE'],
  },
  sequences: { admin_audit_id_seq: ['USAGE'] },
  functions: ['gateway_discard_unsent_payment(uuid)', 'gateway_rotate_refresh_token(text[], uuid, text)'],
};

/**
 * One round trip: the role's attributes, whether it may create objects in the schema, and for
 * every table and sequence of the schema whether the role owns it (itself or through membership in
 * the owner) and which privileges it holds (directly or inherited). $1: the function signatures.
 */
export const OBSERVE_PRIVILEGES_SQL = `SELECT current_user AS role, r.rolsuper AS superuser, r.rolcreaterole AS createrole,
  has_schema_privilege(current_schema(), 'CREATE') AS schema_create,
  (SELECT coalesce(json_agg(json_build_object(
      'name', c.relname,
      'kind', CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END,
      'owned', pg_has_role(current_user, c.relowner, 'MEMBER'),
      'privileges', CASE WHEN c.relkind = 'S'
        THEN ARRAY(SELECT p FROM unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) AS p WHERE has_sequence_privilege(c.oid, p))
        ELSE ARRAY(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p
                    WHERE has_table_privilege(c.oid, p)) END)
    ORDER BY c.relname), '[]'::json)
     FROM pg_class AS c
    WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')) AS relations,
  (SELECT coalesce(json_agg(json_build_object(
      'signature', s,
      'executable', to_regprocedure(s) IS NOT NULL AND has_function_privilege(to_regprocedure(s), 'EXECUTE'))), '[]'::json)
     FROM unnest($1::text[]) AS s) AS functions
  FROM pg_roles AS r WHERE r.rolname = current_user`;

export interface ObservedPrivilegesRow {
  role: string;
  superuser: boolean;
  createrole: boolean;
  schema_create: boolean;
  relations: { name: string; kind: 'table' | 'sequence'; owned: boolean; privileges: string[] }[];
  functions: { signature: string; executable: boolean }[];
}

/** What is wrong with the role, in three kinds: too powerful, missing grants, grants beyond the list. */
export interface PrivilegeFindings {
  role: string;
  /** Rights no runtime role may have: superuser, CREATEROLE, DDL in the schema, owning tables. */
  powers: string[];
  /** Grants the gateway needs and lacks, as `PRIVILEGE on name`. */
  missing: string[];
  /** Grants beyond RUNTIME_GRANTS, as `PRIVILEGE on name`. */
  excess: string[];
}

function expectedFor(relation: { name: string; kind: 'table' | 'sequence' }, grants: RuntimeGrants): readonly string[] {
  const expected = relation.kind === 'sequence' ? grants.sequences[relation.name] : grants.tables[relation.name];
  return expected ?? [];
}

export function privilegeFindings(
  row: ObservedPrivilegesRow,
  grants: RuntimeGrants = RUNTIME_GRANTS,
): PrivilegeFindings {
  const powers: string[] = [];
  // A superuser may do anything; the rest of the list would only repeat that.
  if (row.superuser) powers.push('it is a superuser');
  else {
    if (row.createrole) powers.push('it has CREATEROLE');
    if (row.schema_create) powers.push('it may create objects in the schema (CREATE on the schema)');
    const owned = row.relations.filter((r) => r.owned).map((r) => r.name);
    if (owned.length > 0) powers.push(`it owns ${owned.join(', ')} (itself or as a member of the owner)`);
  }

  const missing: string[] = [];
  const excess: string[] = [];
  // A superuser or owner holds every privilege; that is reported above, not as excess grants.
  const powerful = row.superuser;
  const present = new Map(row.relations.map((r) => [`${r.kind}:${r.name}`, r]));
  const wanted: { name: string; kind: 'table' | 'sequence' }[] = [
    ...Object.keys(grants.tables).map((name) => ({ name, kind: 'table' as const })),
    ...Object.keys(grants.sequences).map((name) => ({ name, kind: 'sequence' as const })),
  ];
  for (const relation of wanted) {
    const held = present.get(`${relation.kind}:${relation.name}`)?.privileges ?? [];
    for (const privilege of expectedFor(relation, grants)) {
      if (!held.includes(privilege)) missing.push(`${privilege} on ${relation.name}`);
    }
  }
  if (!powerful) {
    for (const relation of row.relations) {
      if (relation.owned) continue;
      const expected = expectedFor(relation, grants);
      for (const privilege of relation.privileges) {
        if (!expected.includes(privilege)) excess.push(`${privilege} on ${relation.name}`);
      }
    }
  }
  for (const fn of row.functions) if (!fn.executable) missing.push(`EXECUTE on ${fn.signature}`);
  return { role: row.role, powers, missing, excess };
}

function quoted(role: string): string {
  return `"${role.replace(/"/g, '""')}"`;
}

/**
 * One message an operator can act on, or undefined when the role is exactly what it should be.
 * It names the role, what is wrong and the fix; never a URL or password.
 */
export function privilegeProblem(findings: PrivilegeFindings): string | undefined {
  const { powers, missing, excess } = findings;
  if (powers.length + missing.length + excess.length === 0) return undefined;
  const role = quoted(findings.role);
  const parts: string[] = [];
  const fixes: string[] = [];
  if (powers.length > 0) {
    parts.push(`it has more rights than the gateway needs: ${powers.join('; ')}`);
    fixes.push(
      `run the gateway as a login role that is a member of ${RUNTIME_ROLE} only (CREATE ROLE ... LOGIN; GRANT ${RUNTIME_ROLE} TO it) and keep the table owner for migrations (MIGRATION_DATABASE_URL)`,
    );
  }
  if (missing.length > 0) {
    parts.push(`it lacks ${missing.join(', ')}`);
    fixes.push(
      `apply the migrations as the table owner (npm run db:migrate with MIGRATION_DATABASE_URL) and GRANT ${RUNTIME_ROLE} TO ${role}`,
    );
  }
  if (excess.length > 0) {
    parts.push(`it holds grants beyond what the gateway needs: ${excess.join(', ')}`);
    fixes.push(`REVOKE those from ${role} (and from PUBLIC); ${RUNTIME_ROLE} alone carries what the gateway needs`);
  }
  return `the database role ${role} is not a least-privilege runtime role: ${parts.join('; ')}. Fix: ${fixes.join('; ')} (see docs/deployment.md, "Database roles").`;
}
