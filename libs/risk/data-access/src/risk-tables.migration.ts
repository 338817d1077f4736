import type { MigrationInterface, QueryRunner } from 'typeorm';
import { RiskReviews1764062000000 } from './risk-reviews.migration';
import { RiskRuleSet1764063000000 } from './risk-rule-set.migration';
import { RiskIdentity1764061000000 } from './identity.migration';
import { RiskLimits1764060000000 } from './risk-limits.migration';
import { RiskCaps1764064200000 } from './risk-caps.migration';
import { RiskAttempt1764064300000 } from './risk-attempt.migration';
import { RiskAttemptRetention1765100000000 } from './risk-attempt-retention.migration';
import { RiskLimitRefunds1765200000000 } from './risk-limit-refunds.migration';
import { RiskIdentityTenant1766000100000 } from './identity-tenant.migration';
import { RiskShopperTenant1766000200000 } from './shopper-tenant.migration';

/** One risk decision per payment. */
export class RiskTables1764052000000 implements MigrationInterface {
  name = 'RiskTables1764052000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE risk_decision (
        payment_id   UUID PRIMARY KEY,
        order_id     TEXT NOT NULL,
        merchant_id  TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
        currency     CHAR(3) NOT NULL,
        decision     TEXT NOT NULL CHECK (decision IN ('approve', 'review', 'reject')),
        score        INT NOT NULL CHECK (score BETWEEN 0 AND 1000),
        reasons      JSONB NOT NULL,
        reject_code  TEXT,
        reject_message TEXT,
        decided_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX risk_decision_user_idx ON risk_decision (user_id, decided_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE risk_decision`);
  }
}

export const RISK_MIGRATIONS = [RiskTables1764052000000, RiskLimits1764060000000, RiskIdentity1764061000000, RiskReviews1764062000000, RiskRuleSet1764063000000, RiskCaps1764064200000, RiskAttempt1764064300000, RiskAttemptRetention1765100000000, RiskLimitRefunds1765200000000, RiskIdentityTenant1766000100000, RiskShopperTenant1766000200000];
