import { ObservedPrivilegesRow, privilegeFindings, privilegeProblem, RUNTIME_GRANTS } from './runtime-privileges';

/** What a member of gateway_runtime observes after the migrations: exactly RUNTIME_GRANTS. */
function exactRow(overrides: Partial<ObservedPrivilegesRow> = {}): ObservedPrivilegesRow {
  return {
    role: 'gateway_app',
    superuser: false,
    createrole: false,
    schema_create: false,
    relations: [
      { name: '_prisma_migrations', kind: 'table', owned: false, privileges: [] },
      ...Object.entries(RUNTIME_GRANTS.tables).map(([name, privileges]) => ({
        name,
        kind: 'table' as const,
        owned: false,
        privileges: [...privileges],
      })),
      ...Object.entries(RUNTIME_GRANTS.sequences).map(([name, privileges]) => ({
        name,
        kind: 'sequence' as const,
        owned: false,
        privileges: [...privileges],
      })),
    ],
    functions: RUNTIME_GRANTS.functions.map((signature) => ({ signature, executable: true })),
    ...overrides,
  };
}

/** Everything an owner or superuser holds on a relation. */
const all = (kind: 'table' | 'sequence'): string[] =>
  kind === 'sequence'
    ? ['USAGE', 'SELECT', 'UPDATE']
    : ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

describe('runtime role check', () => {
  it('finds nothing wrong with exactly the runtime grants', () => {
    const findings = privilegeFindings(exactRow());
    expect(findings).toEqual({ role: 'gateway_app', powers: [], missing: [], excess: [] });
    expect(privilegeProblem(findings)).toBeUndefined();
  });

  it('a superuser is reported as that alone, with the fix', () => {
    const row = exactRow({
      role: 'postgres',
      superuser: true,
      createrole: true,
      schema_create: true,
      relations: exactRow().relations.map((r) => ({ ...r, owned: true, privileges: all(r.kind) })),
    });
    const findings = privilegeFindings(row);
    expect(findings).toEqual({ role: 'postgres', powers: ['it is a superuser'], missing: [], excess: [] });
    expect(privilegeProblem(findings)).toMatch(
      /^the database role "postgres" is not a least-privilege runtime role: .*it is a superuser\. Fix: run the gateway as a login role that is a member of gateway_runtime only/,
    );
  });

  it('an owner is reported with the tables it owns and its DDL rights, not as excess grants', () => {
    const row = exactRow({
      role: 'gateway_owner',
      schema_create: true,
      relations: exactRow().relations.map((r) => ({ ...r, owned: true, privileges: all(r.kind) })),
    });
    const findings = privilegeFindings(row);
    expect(findings.excess).toEqual([]);
    expect(findings.powers).toEqual([
      'it may create objects in the schema (CREATE on the schema)',
      expect.stringMatching(/^it owns _prisma_migrations, users, .*admin_audit_id_seq \(itself or as a member/),
    ]);
  });

  it('names each missing grant and the fix', () => {
    const row = exactRow();
    row.relations = row.relations.map((r) =>
      r.name === 'admin_audit'
        ? { ...r, privileges: ['SELECT'] }
        : r.name === 'payments'
          ? { ...r, privileges: [] }
          : r,
    );
    row.functions = [{ signature: 'gateway_discard_unsent_payment(uuid)', executable: false }];
    const findings = privilegeFindings(row);
    expect(findings.missing).toEqual([
      'SELECT on payments',
      'INSERT on payments',
      'UPDATE on payments',
      'INSERT on admin_audit',
      'EXECUTE on gateway_discard_unsent_payment(uuid)',
    ]);
    expect(privilegeProblem(findings)).toContain('GRANT gateway_runtime TO "gateway_app"');
  });

  it('a missing table (migrations not applied) is a missing grant', () => {
    const row = exactRow();
    row.relations = row.relations.filter((r) => r.name !== 'refresh_families');
    expect(privilegeFindings(row).missing).toEqual([
      'SELECT on refresh_families',
      'INSERT on refresh_families',
      'UPDATE on refresh_families',
      'DELETE on refresh_families',
    ]);
  });

  it('names grants beyond the list, on listed and unlisted tables, and the REVOKE', () => {
    const row = exactRow();
    row.relations = row.relations.map((r) =>
      r.name === 'payments'
        ? { ...r, privileges: [...r.privileges, 'DELETE'] }
        : r.name === 'admin_audit'
          ? { ...r, privileges: [...r.privileges, 'UPDATE', 'TRUNCATE'] }
          : r.name === '_prisma_migrations'
            ? { ...r, privileges: ['SELECT'] }
            : r,
    );
    const findings = privilegeFindings(row);
    expect(findings.excess).toEqual([
      'SELECT on _prisma_migrations',
      'DELETE on payments',
      'UPDATE on admin_audit',
      'TRUNCATE on admin_audit',
    ]);
    expect(privilegeProblem(findings)).toContain('REVOKE those from "gateway_app"');
  });

  it('quotes the role name as an identifier in the message', () => {
    const findings = privilegeFindings(exactRow({ role: 'we"ird', createrole: true }));
    expect(privilegeProblem(findings)).toContain('the database role "we""ird"');
  });

  it('grants no DELETE on payments and only INSERT and SELECT on admin_audit', () => {
    expect(RUNTIME_GRANTS.tables.payments).not.toContain('DELETE');
    expect([...(RUNTIME_GRANTS.tables.admin_audit ?? [])].sort()).toEqual(['INSERT', 'SELECT']);
  });
});
