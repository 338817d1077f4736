import { failureReason, type EventPayload, type TOPICS } from '@paystream/contracts';
import type { StoredDecision } from '@paystream/risk/data-access';

/**
 * risk.assessment-decided.v1 for a decision as it stands: a held decision that a person (or the
 * expiry) settled is told as that outcome, approve or reject with RISK_REVIEW_REJECTED.
 */
export function decidedEvent(d: StoredDecision): EventPayload<typeof TOPICS.riskAssessmentDecided> {
  const review = d.review;
  const base = { paymentId: d.paymentId, orderId: d.orderId, score: d.score, reasons: d.reasons };
  if (review && review.status !== 'PENDING') {
    const decidedAt = (review.at ?? d.decidedAt).toISOString();
    if (review.status === 'APPROVED') return { ...base, decision: 'approve', decidedAt };
    const detail = review.status === 'EXPIRED' ? 'the review expired' : `rejected by ${review.by ?? 'a reviewer'}: ${review.note ?? ''}`.trim();
    return { ...base, decision: 'reject', rejectReason: failureReason('RISK_REVIEW_REJECTED', detail), decidedAt };
  }
  return { ...base, decision: d.decision, ...(d.rejectReason ? { rejectReason: d.rejectReason } : {}), decidedAt: d.decidedAt.toISOString() };
}
