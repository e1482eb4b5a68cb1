import type { EntityManager } from 'typeorm';
import type { LedgerScope } from './internal';
import type { InvariantViolation } from './types';

/** Every way the stored state can disagree with the postings; empty when the ledger is sound. */
export async function checkInvariants(s: LedgerScope, m: EntityManager): Promise<InvariantViolation[]> {
  const t = s.t;
  const violations: InvariantViolation[] = [];
  const accounts: {
    id: string;
    allow_negative: boolean;
    expiring: boolean;
    balance: string;
    lifetime_earned: string;
    lifetime_spent: string;
    posted: string;
    earned: string;
    spent: string;
    last_after: string | null;
    lots: string;
  }[] = await m.query(
    `SELECT a.id, a.allow_negative, a.policy ? 'expiryMonths' AS expiring,
            a.balance, a.lifetime_earned, a.lifetime_spent,
            coalesce(p.posted, 0) AS posted, coalesce(p.earned, 0) AS earned, coalesce(p.spent, 0) AS spent,
            (SELECT balance_after FROM ${t.postings} l WHERE l.account_id = a.id ORDER BY l.id DESC LIMIT 1) AS last_after,
            coalesce((SELECT sum(remaining) FROM ${t.lots} o WHERE o.account_id = a.id), 0) AS lots
       FROM ${t.accounts} a
       LEFT JOIN (
         SELECT account_id, sum(amount) AS posted,
                sum(amount) FILTER (WHERE amount > 0) AS earned,
                -sum(amount) FILTER (WHERE amount < 0) AS spent
           FROM ${t.postings} GROUP BY account_id
       ) p ON p.account_id = a.id
      ORDER BY a.id`,
  );
  for (const a of accounts) {
    const balance = Number(a.balance);
    const check = (rule: InvariantViolation['rule'], stored: number, expected: number, what: string) => {
      if (stored !== expected) violations.push({ rule, subject: a.id, detail: `${what} ${stored}, expected ${expected}` });
    };
    check('BALANCE_NOT_SUM_OF_POSTINGS', balance, Number(a.posted), 'balance');
    if (a.last_after !== null) check('BALANCE_AFTER_MISMATCH', balance, Number(a.last_after), 'balance');
    check('LIFETIME_EARNED_MISMATCH', Number(a.lifetime_earned), Number(a.earned), 'lifetime_earned');
    check('LIFETIME_SPENT_MISMATCH', Number(a.lifetime_spent), Number(a.spent), 'lifetime_spent');
    if (a.expiring) check('LOTS_NOT_BALANCE', Number(a.lots), balance, 'sum of lot remainders');
    if (!a.allow_negative && balance < 0) {
      violations.push({ rule: 'NEGATIVE_BALANCE', subject: a.id, detail: `balance ${balance}` });
    }
  }
  const unbalanced: { id: string; total: string | null }[] = await m.query(
    `SELECT t.id, sum(p.amount) AS total
       FROM ${t.transactions} t LEFT JOIN ${t.postings} p ON p.transaction_id = t.id
      GROUP BY t.id HAVING sum(p.amount) IS DISTINCT FROM 0`,
  );
  for (const u of unbalanced) {
    violations.push({
      rule: 'TRANSACTION_NOT_BALANCED',
      subject: u.id,
      detail: u.total === null ? 'no postings' : `postings sum to ${u.total}`,
    });
  }
  return violations;
}
