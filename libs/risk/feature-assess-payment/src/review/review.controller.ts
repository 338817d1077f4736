import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { z } from 'zod';
import { describeIssues, uuidSchema, storableText } from '@paystream/contracts';
import { RiskDecisionRepository, type StoredDecision } from '@paystream/risk/data-access';
import { inTransaction } from '@paystream/shared/persistence';
import { actorOf, ApiError, Platform, refuseActorClaim, type ActorRequest } from '@paystream/shared/platform';
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

/** GET /risk/reviews (held payments with their reasons), POST /risk/reviews/:paymentId/approve | reject. */
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
  approve(@Param('paymentId') paymentId: string, @Body() body: unknown, @Req() request: ActorRequest) {
    return this.settle(paymentId, 'APPROVED', body, request);
  }

  @Post(':paymentId/reject')
  @Allow('operator:risk')
  @HttpCode(200)
  reject(@Param('paymentId') paymentId: string, @Body() body: unknown, @Req() request: ActorRequest) {
    return this.settle(paymentId, 'REJECTED', body, request);
  }

  private async settle(paymentId: string, status: 'APPROVED' | 'REJECTED', body: unknown, request: ActorRequest) {
    if (!uuidSchema.safeParse(paymentId).success) throw new ApiError('VALIDATION_FAILED', 'paymentId must be a UUID');
    refuseActorClaim(body);
    const verdict = verdictSchema.safeParse(body);
    if (!verdict.success) throw new ApiError('VALIDATION_FAILED', describeIssues(verdict.error.issues));
    const reviewer = actorOf(request).id;
    const settled = await inTransaction(this.platform.ds, async (tx) => {
      const moved = await this.decisions.resolveReview(tx, paymentId, status, reviewer, verdict.data.note);
      return moved ? this.queue.announce(tx, moved, actorOf(request)) : undefined;
    });
    if (settled) return view(settled);
    const current = await this.decisions.find(this.platform.ds.manager, paymentId);
    if (!current) throw new ApiError('RESOURCE_NOT_FOUND', `no risk decision for payment ${paymentId}`);
    // the same verdict again is a repeat (idempotent); anything else is too late
    if (current.review?.status === status && current.review.by === reviewer) return view(current);
    throw new ApiError('REVIEW_NOT_PENDING', `payment ${paymentId} is ${current.review ? `already ${current.review.status.toLowerCase()}` : `not held (${current.decision})`}`);
  }
}
