import { Body, Controller, Get, Headers, Inject, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Allow } from '@paystream/shared/auth';
import { z } from 'zod';
import { describeIssues, storableText } from '@paystream/contracts';
import { RiskRuleSetRepository, type StoredRuleSet } from '@paystream/risk/data-access';
import { validateRuleSet } from '@paystream/risk/domain';
import { appendAudit } from '@paystream/shared/audit-log';
import { inTransaction } from '@paystream/shared/persistence';
import { actorOf, answerOnce, ApiError, IDEMPOTENT_REPLAYED_HEADER, Platform, refuseActorClaim, requireIdempotencyKey, type ActorRequest } from '@paystream/shared/platform';

/** The most versions one history listing returns. */
const RULE_HISTORY_LIMIT_MAX = 200;

// the rules themselves are checked by validateRuleSet, so their problems come back as RISK_RULES_INVALID;
// the publisher is the authenticated principal, never a field of the body
export const publishSchema = z.strictObject({
  expectedVersion: z.number().int().min(0),
  reason: storableText().trim().min(1).max(500),
  rules: z.unknown(),
});

function view(s: StoredRuleSet) {
  return { version: s.ruleSet.version, rules: s.ruleSet.rules, createdBy: s.createdBy, reason: s.reason, createdAt: s.createdAt?.toISOString() ?? null };
}

/** GET /risk/rules (the rule set in force), GET /risk/rules/history, PUT /risk/rules (publish the next version, Idempotency-Key). */
@Controller('risk/rules')
export class RuleSetController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RiskRuleSetRepository) private readonly ruleSets: RiskRuleSetRepository,
  ) {}

  @Get()
  @Allow('operator:risk')
  async current() {
    return view(await this.ruleSets.current(this.platform.ds.manager));
  }

  @Get('history')
  @Allow('operator:risk')
  async history(@Query('limit') limit?: string) {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > RULE_HISTORY_LIMIT_MAX) throw new ApiError('VALIDATION_FAILED', `limit is 1 to ${RULE_HISTORY_LIMIT_MAX}`);
    return { versions: (await this.ruleSets.history(this.platform.ds.manager, n)).map(view) };
  }

  /** Publishes the next version (Idempotency-Key, per operator: the same key and body answer the first result again). */
  @Put()
  @Allow('operator:risk')
  async publish(@Headers('idempotency-key') rawKey: string | undefined, @Body() body: unknown, @Req() http: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const key = requireIdempotencyKey(rawKey);
    refuseActorClaim(body);
    const request = publishSchema.safeParse(body);
    if (!request.success) throw new ApiError('VALIDATION_FAILED', describeIssues(request.error.issues, '(body)'));
    const { expectedVersion, reason, rules } = request.data;
    const actor = actorOf(http);
    const createdBy = actor.id;
    const checked = validateRuleSet({ version: expectedVersion + 1, rules });
    if (!checked.ok) throw new ApiError('RISK_RULES_INVALID', checked.problems.join('; '), { problems: checked.problems });
    const answered = await inTransaction(this.platform.ds, (tx) =>
      answerOnce(tx, { principal: actor, key, route: 'PUT /risk/rules', request: request.data }, async () => {
        const outcome = await this.ruleSets.publish(tx, { ruleSet: checked.ruleSet, createdBy, reason, expectedVersion });
        if (!outcome.ok) throw new ApiError('RISK_RULES_VERSION_CONFLICT', `version ${outcome.currentVersion} is in force, not ${expectedVersion}`, { currentVersion: outcome.currentVersion });
        const version = outcome.stored.ruleSet.version;
        await appendAudit(tx, { actor, action: 'rule_set.published', subject: `rule_set:${version}`, details: { version, previousVersion: expectedVersion, reason, rules: outcome.stored.ruleSet.rules, idempotencyKey: key } });
        return view(outcome.stored);
      }),
    );
    if (answered.replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    else this.platform.logger.info({ version: answered.result.version, createdBy, reason }, 'risk rule set published');
    return answered.result;
  }
}
