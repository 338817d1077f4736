/** Rounding modes for divisions of minor units; every call names one. */
export type Rounding = 'half-up' | 'down' | 'up';

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

const MINOR_DIGITS_BY_CURRENCY: Record<string, number> = { CNY: 2 };
const BASIS_POINTS_PER_UNIT = 10_000n;
const DECIMAL_MINOR = /^-?(0|[1-9][0-9]*)$/;

/** Divides a by positive b with an explicit rounding mode (half-up rounds .5 away from zero). */
export function divideRounded(a: bigint, b: bigint, rounding: Rounding): bigint {
  if (b <= 0n) throw new MoneyError('divisor must be positive');
  const negative = a < 0n;
  const abs = negative ? -a : a;
  let q = abs / b;
  const r = abs % b;
  if (r !== 0n) {
    if (rounding === 'up') q += 1n;
    else if (rounding === 'half-up' && r * 2n >= b) q += 1n;
  }
  return negative ? -q : q;
}

/** An exact amount in integer minor units (fen for CNY) with its currency. Never a float. */
export class Money {
  private constructor(
    readonly minor: bigint,
    readonly currency: string,
  ) {}

  /** Money from minor units. */
  static of(minor: bigint, currency: string): Money {
    if (typeof minor !== 'bigint') throw new MoneyError('minor units must be a bigint');
    if (!(currency in MINOR_DIGITS_BY_CURRENCY)) throw new MoneyError(`unsupported currency ${currency}`);
    return new Money(minor, currency);
  }

  /** Money from a decimal string of minor units, as carried on the wire ("12345" = 123.45). */
  static parse(minor: string, currency: string): Money {
    if (!DECIMAL_MINOR.test(minor)) throw new MoneyError(`not an integer amount in minor units: ${JSON.stringify(minor)}`);
    return Money.of(BigInt(minor), currency);
  }

  static zero(currency: string): Money {
    return Money.of(0n, currency);
  }

  add(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.minor + other.minor, this.currency);
  }

  subtract(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.minor - other.minor, this.currency);
  }

  negate(): Money {
    return new Money(-this.minor, this.currency);
  }

  /** A share of this amount in basis points (60n = 0.60 %), rounded to the minor unit as stated. */
  percent(amount: bigint, unit: 'basis-points', rounding: Rounding): Money {
    if (unit !== 'basis-points') throw new MoneyError(`unsupported unit ${unit}`);
    return new Money(divideRounded(this.minor * amount, BASIS_POINTS_PER_UNIT, rounding), this.currency);
  }

  isZero(): boolean {
    return this.minor === 0n;
  }
  isNegative(): boolean {
    return this.minor < 0n;
  }
  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other);
    return this.minor < other.minor ? -1 : this.minor > other.minor ? 1 : 0;
  }
  equals(other: Money): boolean {
    return this.currency === other.currency && this.minor === other.minor;
  }

  /** Minor units as a decimal string, as carried on the wire and in JSON. */
  toMinorString(): string {
    return this.minor.toString();
  }

  /** Major units with the currency's digits, e.g. "123.45", for channels that want yuan. */
  toMajorString(): string {
    const digits = MINOR_DIGITS_BY_CURRENCY[this.currency]!;
    const scale = 10n ** BigInt(digits);
    const abs = this.minor < 0n ? -this.minor : this.minor;
    const whole = abs / scale;
    const frac = (abs % scale).toString().padStart(digits, '0');
    return `${this.minor < 0n ? '-' : ''}${whole}.${frac}`;
  }

  toString(): string {
    return `${this.toMajorString()} ${this.currency}`;
  }

  toJSON(): { minor: string; currency: string } {
    return { minor: this.toMinorString(), currency: this.currency };
  }

  private assertSameCurrency(other: Money): void {
    if (other.currency !== this.currency) {
      throw new MoneyError(`currency mismatch: ${this.currency} vs ${other.currency}`);
    }
  }
}

/** Parses "123.45"-style major units (exact, no floats) into minor units for the currency. */
export function parseMajor(major: string, currency: string): Money {
  const digits = MINOR_DIGITS_BY_CURRENCY[currency];
  if (digits === undefined) throw new MoneyError(`unsupported currency ${currency}`);
  const m = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(major);
  if (!m || (m[3] !== undefined && m[3].length > digits)) {
    throw new MoneyError(`not an amount with at most ${digits} decimals: ${JSON.stringify(major)}`);
  }
  const frac = (m[3] ?? '').padEnd(digits, '0');
  const minor = BigInt(m[2]!) * 10n ** BigInt(digits) + BigInt(frac || '0');
  return Money.of(m[1] === '-' ? -minor : minor, currency);
}
