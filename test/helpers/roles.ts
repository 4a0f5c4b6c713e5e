// Acting as one of scoreline's database roles (docs/security.md), the way an attacker
// holding that role would: `set local role` in a transaction, or a reserved session
// switched to the role for procedures that COMMIT.
import type { Sql, TransactionSql } from 'postgres';

export type RoleKind = 'owner' | 'worker' | 'app' | 'reader' | 'checker';

/** The cluster-wide name of the role of that kind, as recorded in core.db_role. */
export async function roleName(sql: Sql, kind: RoleKind): Promise<string> {
  const [r] = await sql<{ role_name: string }[]>`select core.role_name(${kind}) as role_name`;
  return r!.role_name;
}

/**
 * Runs `work` in a transaction as the role of that kind; `userId` is the forecaster an app
 * session acts for (scoreline.user_id), any text the attack needs.
 */
export async function asRole<T>(sql: Sql, kind: RoleKind, work: (tx: TransactionSql) => Promise<T>, userId?: number | string): Promise<T> {
  const role = await roleName(sql, kind);
  return (await sql.begin(async (tx) => {
    await tx`select set_config('role', ${role}, true)`;
    if (userId !== undefined) await tx`select set_config('scoreline.user_id', ${String(userId)}, true)`;
    return work(tx);
  })) as T;
}

/** Runs `work` on a reserved session switched to the role (for procedures that COMMIT), then resets it. */
export async function asRoleSession<T>(sql: Sql, kind: RoleKind, work: (s: Sql) => Promise<T>): Promise<T> {
  const role = await roleName(sql, kind);
  const s = await sql.reserve();
  try {
    await s`select set_config('role', ${role}, false)`;
    return await work(s as unknown as Sql);
  } finally {
    await s`reset role`;
    s.release();
  }
}
