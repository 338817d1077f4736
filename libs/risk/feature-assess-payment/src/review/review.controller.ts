import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Allow } from '@paystream/shared/auth';
import { z } from 'zod';
import { describeIssues, uuidSchema, storableText } from '@paystream/contracts';
import { RiskDecisionRepository, type StoredDecision } from '@paystream/risk/data-access';
import { inTransaction } from '@paystream/shared/persistence';
import { actorOf, answerOnce, ApiError, IDEMPOTENT_REPLAYED_HEADER, Platform, refuseActorClaim, requireIdempotencyKey, type ActorRequest } from '@paystream/shared/platform';
import { ReviewQueue } from './review-queue.service';

/** The most held payments one listing returns. */
const REVIEW_LIST_LIMIT_MAX = 200;

/** The body of POST /risk/reviews/:paymentId/approve | reject: the note only; the reviewer is the authenticated principal. */
export const verdictSchema = z.object({ note: storableText().trim().min(1).max(500) }).strict();

function view(d: StoredDecision) {
  return {
    paymentId: d.paymentId,
    orderId: d.orderId,
    merchantId: d.merchantId,
    userId: d.userId,
    amountMinor: d.amountMinor.toString(),
    currency: d.currency,
    score: d.score,
    reasons: d.reasons,
    decidedAt: d.decidedAt.toISOString(),
    review: d.review && { ...d.review, expiresAt: d.review.expiresAt.toISOString(), at: d.review.at?.toISOString() ?? null },
  };
}

/** GET /risk/reviews (held payments with their reasons), POST /risk/reviews/:paymentId/approve | reject (Idempotency-Key). */
@Controller('risk/reviews')
export class ReviewController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RiskDecisionRepository) private readonly decisions: RiskDecisionRepository,
    @Inject(ReviewQueue) private readonly queue: ReviewQueue,
  ) {}

  @Get()
  @Allow('operator:risk')
  async list(@Query('limit') limit?: string) {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > REVIEW_LIST_LIMIT_MAX) throw new ApiError('VALIDATION_FAILED', `limit is 1 to ${REVIEW_LIST_LIMIT_MAX}`);
    return { reviews: (await this.decisions.pendingReviews(this.platform.ds.manager, n)).map(view) };
  }

  @Post(':paymentId/approve')
  @Allow('operator:risk')
  @HttpCode(200)
  approve(@Param('paymentId') paymentId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() body: unknown, @Req() request: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.settle(paymentId, 'APPROVED', rawKey, body, request, reply);
  }

  @Post(':paymentId/reject')
  @Allow('operator:risk')
  @HttpCode(200)
  reject(@Param('paymentId') paymentId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() body: unknown, @Req() request: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.settle(paymentId, 'REJECTED', rawKey, body, request, reply);
  }

  /** A verdict once per operator and Idempotency-Key (the same key and body answer the first result again). */
  private async settle(paymentId: string, status: 'APPROVED' | 'REJECTED', rawKey: string | undefined, body: unknown, request: ActorRequest, reply: FastifyReply) {
    if (!uuidSchema.safeParse(paymentId).success) throw new ApiError('VALIDATION_FAILED', 'paymentId must be a UUID');
    const key = requireIdempotencyKey(rawKey);
    refuseActorClaim(body);
    const verdict = verdictSchema.safeParse(body);
    if (!verdict.success) throw new ApiError('VALIDATION_FAILED', describeIssues(verdict.error.issues));
    const actor = actorOf(request);
    const reviewer = actor.id;
    const route = `POST /risk/reviews/${paymentId}/${status === 'APPROVED' ? 'approve' : 'reject'}`;
    const answered = await inTransaction(this.platform.ds, (tx) =>
      answerOnce(tx, { principal: actor, key, route, request: verdict.data }, async () => {
        const moved = await this.decisions.resolveReview(tx, paymentId, status, reviewer, verdict.data.note);
        if (moved) return view(await this.queue.announce(tx, moved, actor));
        const current = await this.decisions.find(tx, paymentId);
        if (!current) throw new ApiError('RESOURCE_NOT_FOUND', `no risk decision for payment ${paymentId}`);
        // the same verdict again by the same reviewer (under another key) is a repeat; anything else is too late
        if (current.review?.status === status && current.review.by === reviewer) return view(current);
        throw new ApiError('REVIEW_NOT_PENDING', `payment ${paymentId} is ${current.review ? `already ${current.review.status.toLowerCase()}` : `not held (${current.decision})`}`);
      }),
    );
    if (answered.replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return answered.result;
  }
}
