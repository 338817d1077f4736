/**
 * Stable failure codes shared by API responses and events. Each carries the shopper's message in
 * Chinese and English, whether retrying may help, and what to suggest.
 */
export type SuggestedAction = 'retry' | 'another_channel' | 'contact_support' | 'none' | 'fix_request';

export interface ErrorCodeDefinition {
  readonly retryable: boolean;
  readonly action: SuggestedAction;
  readonly messageZh: string;
  readonly messageEn: string;
  readonly httpStatus: number;
}

export const ERROR_CODES = {
  // API / request errors
  VALIDATION_FAILED: { retryable: false, action: 'fix_request', httpStatus: 400, messageZh: '请求参数不合法', messageEn: 'The request is invalid' },
  IDEMPOTENCY_KEY_MISSING: { retryable: false, action: 'fix_request', httpStatus: 400, messageZh: '缺少幂等键', messageEn: 'The Idempotency-Key header is required' },
  IDEMPOTENCY_KEY_REUSED: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '幂等键已用于不同的请求', messageEn: 'The Idempotency-Key was already used for a different request' },
  ORDER_ALREADY_PAID_DIFFERENTLY: { retryable: false, action: 'contact_support', httpStatus: 409, messageZh: '该订单已有不同条件的支付', messageEn: 'This order already has a payment with different terms' },
  PAYMENT_NOT_FOUND: { retryable: false, action: 'fix_request', httpStatus: 404, messageZh: '支付不存在', messageEn: 'Payment not found' },
  MERCHANT_ID_REQUIRED: { retryable: false, action: 'fix_request', httpStatus: 400, messageZh: '请指定商户号（订单号按商户区分）', messageEn: 'Name the merchant (merchantId): order ids are unique per merchant only' },
  SETTLEMENT_NOT_FOUND: { retryable: false, action: 'fix_request', httpStatus: 404, messageZh: '结算单不存在', messageEn: 'Settlement not found' },
  RESOURCE_NOT_FOUND: { retryable: false, action: 'fix_request', httpStatus: 404, messageZh: '资源不存在', messageEn: 'Not found' },
  PAYMENT_NOT_REFUNDABLE: { retryable: false, action: 'none', httpStatus: 409, messageZh: '该支付当前不可退款', messageEn: 'This payment cannot be refunded (it was not captured, or is fully refunded)' },
  REFUND_EXCEEDS_CAPTURED: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '退款金额超过可退金额', messageEn: 'The refund exceeds what is left to refund' },
  // channel outcomes
  CHANNEL_REFUND_FAILED: { retryable: true, action: 'retry', httpStatus: 502, messageZh: '渠道退款失败，请稍后重试', messageEn: 'The channel could not refund; please retry' },
  CHANNEL_DECLINED_INSUFFICIENT_FUNDS: { retryable: false, action: 'another_channel', httpStatus: 402, messageZh: '余额不足，请更换支付方式', messageEn: 'Insufficient funds; please use another payment method' },
  CHANNEL_UNAVAILABLE: { retryable: true, action: 'retry', httpStatus: 503, messageZh: '支付渠道暂时不可用，请稍后重试', messageEn: 'The payment channel is temporarily unavailable; please retry' },
  CHANNEL_OUTCOME_UNKNOWN: { retryable: false, action: 'contact_support', httpStatus: 202, messageZh: '支付结果确认中，请勿重复支付', messageEn: 'The payment outcome is being confirmed; please do not pay again' },
  CHANNEL_DECLINED: { retryable: false, action: 'another_channel', httpStatus: 402, messageZh: '支付未成功，请更换支付方式', messageEn: 'The payment was declined; please use another payment method' },
  CHANNEL_TRADE_CLOSED: { retryable: true, action: 'retry', httpStatus: 409, messageZh: '支付超时未完成，订单已关闭，请重新支付', messageEn: 'The payment was not completed in time and was closed; please pay again' },
  CARD_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '银行卡号无效', messageEn: 'The card number is not valid' },
  CARD_NOT_SUPPORTED: { retryable: false, action: 'another_channel', httpStatus: 422, messageZh: '暂不支持该银行卡', messageEn: 'This card is not supported; please use another card or payment method' },
  CARD_TOKEN_UNKNOWN: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '银行卡令牌无效', messageEn: 'The card token is not known' },
  CHANNEL_REJECTED_REQUEST: { retryable: false, action: 'contact_support', httpStatus: 502, messageZh: '支付渠道拒绝了请求', messageEn: 'The payment channel rejected the request' },
  // risk
  RISK_SINGLE_LIMIT_EXCEEDED: { retryable: false, action: 'none', httpStatus: 403, messageZh: '超过单笔支付限额', messageEn: 'The single payment limit is exceeded' },
  RISK_DAILY_LIMIT_EXCEEDED: { retryable: false, action: 'none', httpStatus: 403, messageZh: '超过每日支付限额', messageEn: 'The daily payment limit is exceeded' },
  RISK_YEARLY_LIMIT_EXCEEDED: { retryable: false, action: 'none', httpStatus: 403, messageZh: '超过年度支付限额', messageEn: 'The yearly payment limit is exceeded' },
  RISK_IDENTITY_UNVERIFIED: { retryable: false, action: 'contact_support', httpStatus: 403, messageZh: '请先完成实名认证', messageEn: 'Please complete real-name verification first' },
  RISK_BLOCKLISTED: { retryable: false, action: 'contact_support', httpStatus: 403, messageZh: '支付被风控拒绝', messageEn: 'The payment was declined by risk control' },
  RISK_VELOCITY: { retryable: true, action: 'retry', httpStatus: 429, messageZh: '支付过于频繁，请稍后再试', messageEn: 'Too many payments in a short time; please try later' },
  RISK_ANOMALY: { retryable: false, action: 'contact_support', httpStatus: 403, messageZh: '支付存在异常，已被拒绝', messageEn: 'The payment looks unusual and was declined' },
  REVIEW_NOT_PENDING: { retryable: false, action: 'none', httpStatus: 409, messageZh: '该支付不在待审核状态', messageEn: 'This payment is not waiting for review' },
  RISK_REVIEW_REJECTED: { retryable: false, action: 'contact_support', httpStatus: 403, messageZh: '支付未通过人工审核', messageEn: 'The payment did not pass manual review' },
  RISK_RULES_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '风控规则不合法', messageEn: 'The risk rule set is not valid' },
  RISK_RULES_VERSION_CONFLICT: { retryable: false, action: 'fix_request', httpStatus: 409, messageZh: '风控规则已被他人修改，请刷新后重试', messageEn: 'The risk rule set changed since it was read; reload it and try again' },
  // real-name identity (risk)
  IDENTITY_NAME_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '姓名格式不正确', messageEn: 'The name is not valid (2-30 Chinese characters or letters, optionally with ·)' },
  IDENTITY_ID_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '身份证号码不正确', messageEn: 'The resident ID number is not valid' },
  IDENTITY_PHONE_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '手机号码不正确', messageEn: 'The mobile number is not valid (11 digits starting 13-19)' },
  IDENTITY_CARD_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '银行卡号不正确或暂不支持', messageEn: 'The bank card number is not valid or its card scheme is not supported' },
  IDENTITY_ADDRESS_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '地址不完整或过长', messageEn: 'The address is incomplete or too long (province, city, district and street, 1-100 characters each)' },
  // settlement
  SETTLEMENT_TERMS_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '结算条款不合法', messageEn: 'The settlement terms are invalid' },
  SETTLEMENT_PAYOUT_FAILED: { retryable: true, action: 'retry', httpStatus: 502, messageZh: '结算打款失败', messageEn: 'The settlement payout failed' },
  SETTLEMENT_CALENDAR_OVERRIDE_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '营业日历调整不合法', messageEn: 'The calendar override is invalid' },
  SETTLEMENT_CALENDAR_OVERRIDE_NOT_FOUND: { retryable: false, action: 'fix_request', httpStatus: 404, messageZh: '该日期没有营业日历调整', messageEn: 'There is no calendar override on this date' },
  SETTLEMENT_RUN_AS_OF_IN_FUTURE: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '结算日期不能晚于今天', messageEn: 'A settlement run cannot be as of a date after today (China time)' },
  SETTLEMENT_RUN_IN_PROGRESS: { retryable: true, action: 'retry', httpStatus: 409, messageZh: '该结算批次正在执行，请稍后重试', messageEn: 'A settlement run with this Idempotency-Key is still in progress; please retry' },
  // reconciliation
  RECONCILIATION_CHANNEL_UNSUPPORTED: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '该渠道暂不支持对账', messageEn: 'Reconciliation is not offered for this channel' },
  RECONCILIATION_BILL_UNAVAILABLE: { retryable: true, action: 'retry', httpStatus: 502, messageZh: '渠道对账单暂时无法获取', messageEn: 'The channel bill could not be fetched; please retry' },
  RECONCILIATION_RUN_NOT_FOUND: { retryable: false, action: 'fix_request', httpStatus: 404, messageZh: '对账批次不存在', messageEn: 'Reconciliation run not found' },
  // merchants (the registry and every service's local copy of it)
  MERCHANT_UNKNOWN: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '商户不存在', messageEn: 'The merchant is not registered' },
  MERCHANT_SUSPENDED: { retryable: false, action: 'contact_support', httpStatus: 403, messageZh: '商户已暂停服务', messageEn: 'The merchant is suspended' },
  MERCHANT_CLOSED: { retryable: false, action: 'contact_support', httpStatus: 403, messageZh: '商户已关闭', messageEn: 'The merchant is closed' },
  MERCHANT_NOT_FOUND: { retryable: false, action: 'fix_request', httpStatus: 404, messageZh: '商户不存在', messageEn: 'Merchant not found' },
  MERCHANT_ALREADY_REGISTERED: { retryable: false, action: 'fix_request', httpStatus: 409, messageZh: '商户号已被注册', messageEn: 'A merchant with this id is already registered' },
  MERCHANT_STATUS_TRANSITION_INVALID: { retryable: false, action: 'none', httpStatus: 409, messageZh: '商户当前状态不允许该操作', messageEn: 'The merchant cannot move to that status from its current one' },
  MERCHANT_VERSION_CONFLICT: { retryable: false, action: 'fix_request', httpStatus: 409, messageZh: '商户信息已被他人修改，请刷新后重试', messageEn: 'The merchant changed since it was read; reload it and try again' },
  MERCHANT_PAYOUT_ACCOUNT_INVALID: { retryable: false, action: 'fix_request', httpStatus: 422, messageZh: '结算银行账户不合法', messageEn: 'The payout bank account is invalid (bank code: 12-digit CNAPS code; account number: 8-32 digits)' },
  PAYOUT_ACCOUNT_CHANGE_NOT_FOUND: { retryable: false, action: 'fix_request', httpStatus: 404, messageZh: '结算账户变更申请不存在', messageEn: 'Payout account change not found' },
  PAYOUT_ACCOUNT_CHANGE_PENDING: { retryable: false, action: 'none', httpStatus: 409, messageZh: '已有待生效的结算账户变更', messageEn: 'The merchant already has a payout account change in progress' },
  PAYOUT_ACCOUNT_CHANGE_NOT_PENDING: { retryable: false, action: 'none', httpStatus: 409, messageZh: '该结算账户变更不可再操作', messageEn: 'The payout account change is not in a state that allows this' },
  PAYOUT_ACCOUNT_CHANGE_SAME_OPERATOR: { retryable: false, action: 'none', httpStatus: 403, messageZh: '结算账户变更须由另一名财务人员审批', messageEn: 'A payout account change must be approved by a different finance operator than the one who proposed it' },
  SETTLEMENT_PAYOUT_ACCOUNT_MISSING: { retryable: false, action: 'contact_support', httpStatus: 409, messageZh: '商户没有结算账户，暂不打款', messageEn: 'The merchant has no payout account; the settlement is held' },
  // authentication and authorization (docs/design/trust-boundary.md section 4)
  AUTH_MISSING: { retryable: false, action: 'fix_request', httpStatus: 401, messageZh: '缺少认证信息', messageEn: 'The request carries no credentials' },
  AUTH_MALFORMED: { retryable: false, action: 'fix_request', httpStatus: 401, messageZh: '认证信息格式不正确', messageEn: 'The Authorization header is malformed' },
  AUTH_KEY_UNKNOWN: { retryable: false, action: 'fix_request', httpStatus: 401, messageZh: '密钥不存在', messageEn: 'The key is not known' },
  AUTH_KEY_REVOKED: { retryable: false, action: 'fix_request', httpStatus: 401, messageZh: '密钥已吊销或过期', messageEn: 'The key is revoked or expired' },
  AUTH_SIGNATURE_INVALID: { retryable: false, action: 'fix_request', httpStatus: 401, messageZh: '签名验证失败', messageEn: 'The signature does not verify' },
  AUTH_TIMESTAMP_SKEW: { retryable: false, action: 'fix_request', httpStatus: 401, messageZh: '请求时间戳超出允许范围', messageEn: 'The request timestamp is more than 300 seconds from the server clock' },
  AUTH_NONCE_REPLAYED: { retryable: false, action: 'fix_request', httpStatus: 401, messageZh: '请求随机数已使用', messageEn: 'The nonce was used before (replay)' },
  AUTH_MODE_MISMATCH: { retryable: false, action: 'fix_request', httpStatus: 403, messageZh: '测试密钥不能操作真实资金', messageEn: 'A test key cannot act on live money' },
  AUTH_FORBIDDEN: { retryable: false, action: 'none', httpStatus: 403, messageZh: '无权执行该操作', messageEn: 'The credential does not allow this' },
  // abuse protection (docs/design/trust-boundary.md section 8): nothing was done; the Retry-After header says when to try again
  RATE_LIMITED: { retryable: true, action: 'retry', httpStatus: 429, messageZh: '请求过于频繁，请稍后重试', messageEn: 'Too many requests; retry after the number of seconds in the Retry-After header' },
  INTERNAL_ERROR: { retryable: true, action: 'retry', httpStatus: 500, messageZh: '系统繁忙，请稍后重试', messageEn: 'Something went wrong on our side; please retry' },
} as const satisfies Record<string, ErrorCodeDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The failure as carried in events: code, English message, retryable flag. */
export interface FailureReason {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

/** Builds the event/API failure reason for a code from the catalogue. */
export function failureReason(code: ErrorCode, detail?: string): FailureReason {
  const def = ERROR_CODES[code];
  return { code, message: detail ? `${def.messageEn} (${detail})` : def.messageEn, retryable: def.retryable };
}

/**
 * A failure read back from storage: the code must still be in the catalogue, and whether retrying
 * may help comes from the catalogue (so a re-emitted failure says what the first one said).
 */
export function storedFailure(code: string, message: string | null): FailureReason {
  if (!isErrorCode(code)) throw new Error(`unknown failure code ${code} in storage`);
  return { code, message: message ?? '', retryable: ERROR_CODES[code].retryable };
}
