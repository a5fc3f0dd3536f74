/**
 * Special functions behind the posteriors: log-gamma and log-beta, regularized incomplete beta and
 * gamma, the normal and Student-t distributions with accurate tails, and a safeguarded monotone root
 * finder for their inverses. Written here rather than taken from jstat because jstat's incomplete
 * beta stops after 100 continued-fraction steps at a 3e-7 tolerance (wrong for large samples) and its
 * normal cdf loses the far tails.
 *
 * Large shapes (a billion trials) keep their precision: log-beta and the x^a(1−x)^b/B(a, b) and
 * x^a e^−x/Γ(a) factors are computed in Stirling/saddle-point form (Loader's binomial-deviance
 * idea), never as differences of huge log-gammas, which would carry absolute errors of ~1e-5.
 */

const EPS = 1e-15;
const TINY = 1e-300;
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const LN_SQRT_2PI = 0.9189385332046728;
/** From this argument on, log-gammas are handled in Stirling form. */
const STIRLING_FROM = 10;

function lanczosLgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lanczosLgamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ω(x) = ln Γ(x) − ((x − ½) ln x − x + ½ ln 2π): the Stirling remainder. */
export function stirlingRemainder(x: number): number {
  if (x < STIRLING_FROM) return lanczosLgamma(x) - ((x - 0.5) * Math.log(x) - x + LN_SQRT_2PI);
  const r = 1 / x;
  const r2 = r * r;
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360 - r2 / 156))))));
}

/** ln Γ(x) for x > 0 (relative error ~1e-15). */
export function lgamma(x: number): number {
  if (x < STIRLING_FROM) return lanczosLgamma(x);
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingRemainder(x);
}

/** ln(a / (a + b)) without cancellation when b ≪ a. */
function lnShare(a: number, b: number): number {
  return a <= b ? Math.log(a / (a + b)) : Math.log1p(-b / (a + b));
}

/** ln B(a, b), accurate for large and very unequal shapes. */
export function lbeta(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (hi < STIRLING_FROM) return lanczosLgamma(a) + lanczosLgamma(b) - lanczosLgamma(a + b);
  const c = a + b;
  if (lo >= STIRLING_FROM) {
    return (a - 0.5) * lnShare(a, b) + (b - 0.5) * lnShare(b, a) - 0.5 * Math.log(c) + LN_SQRT_2PI + stirlingRemainder(a) + stirlingRemainder(b) - stirlingRemainder(c);
  }
  // ln Γ(hi) − ln Γ(hi + lo) in Stirling form.
  const ratio = -(hi - 0.5) * Math.log1p(lo / hi) - lo * Math.log(c) + lo + stirlingRemainder(hi) - stirlingRemainder(c);
  return lgamma(lo) + ratio;
}

/** φ(t) = t − ln(1 + t) ≥ 0 for t > −1, without cancellation near 0. */
export function log1pmx(t: number): number {
  const v = t / (2 + t);
  if (Math.abs(v) > 0.3) return t - Math.log1p(t);
  // ln(1 + t) = 2 atanh(v) and t − 2v = t·v.
  const v2 = v * v;
  let term = v * v2;
  let sum = 0;
  for (let k = 3; k < 80; k += 2) {
    const add = term / k;
    sum += add;
    if (Math.abs(add) <= 1e-17 * Math.abs(sum)) break;
    term *= v2;
  }
  return t * v - 2 * sum;
}

/** Constants of a Beta(a, b) for its density and cdf, computed once per distribution. */
export interface BetaShape {
  readonly a: number;
  readonly b: number;
  /** Both shapes large: the saddle-point form applies. */
  readonly saddle: boolean;
  /** ln of the constant factor: −ln B(a, b), or the saddle form's ½ ln(ab/c) − ½ ln 2π − Δω. */
  readonly lnK: number;
}

export function betaShape(a: number, b: number): BetaShape {
  const saddle = Math.min(a, b) >= STIRLING_FROM;
  const c = a + b;
  const lnK = saddle
    ? 0.5 * Math.log((a / c) * b) - LN_SQRT_2PI - (stirlingRemainder(a) + stirlingRemainder(b) - stirlingRemainder(c))
    : -lbeta(a, b);
  return { a, b, saddle, lnK };
}

/** ln(x^a (1 − x)^b / B(a, b)) for 0 < x < 1. */
function lnBetaFront(x: number, s: BetaShape): number {
  if (!s.saddle) return s.a * Math.log(x) + s.b * Math.log1p(-x) + s.lnK;
  const c = s.a + s.b;
  const p = s.a / c;
  const q = s.b / c;
  const d = x - p;
  return -(s.a * log1pmx(d / p) + s.b * log1pmx(-d / q)) + s.lnK;
}

function maxIterations(scale: number): number {
  return 1000 + Math.ceil(20 * Math.sqrt(scale));
}

/**
 * Continued fraction of the incomplete beta (modified Lentz). `y` = 1 − x as known to the caller:
 * the first denominator 1 − (a+b)x/(a+1) is formed from whichever of x, y is exact, so a tiny
 * 1 − x (a billion trials, few failures) does not lose its digits to cancellation.
 */
function betaContinuedFraction(x: number, y: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = y < 0.5 ? (1 - b + qab * y) / qap : 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  const limit = maxIterations(Math.max(a, b));
  for (let m = 1; m <= limit; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/**
 * One shape tiny next to the other (0 errors in a billion requests): the continued fraction then
 * loses ~b·1e-16 to rounding, while I_x(a, b) → P(a, −(b + (a − 1)/2)·ln(1 − x)) with a relative
 * error of about a³/b² (measured against mpmath quadrature): below 1e-16 here.
 */
function gammaLimit(x: number, s: BetaShape, upper: boolean): number | undefined {
  const small = Math.min(s.a, s.b);
  const large = Math.max(s.a, s.b);
  if ((small + 1) ** 3 > 1e-16 * large * large) return undefined;
  const shape = gammaShape(small);
  const t = large + (small - 1) / 2;
  if (s.a <= s.b) return gammaTail(-t * Math.log1p(-x), shape, upper);
  return gammaTail(-t * Math.log(x), shape, !upper);
}

/** I_x(a, b) (`upper` false) or 1 − I_x(a, b) (`upper` true), each without cancellation in its small tail. */
export function ibetaTail(x: number, s: BetaShape, upper: boolean): number {
  if (x <= 0) return upper ? 1 : 0;
  if (x >= 1) return upper ? 0 : 1;
  const limit = gammaLimit(x, s, upper);
  if (limit !== undefined) return limit;
  const front = Math.exp(lnBetaFront(x, s));
  if (x < (s.a + 1) / (s.a + s.b + 2)) {
    const lower = (front * betaContinuedFraction(x, 1 - x, s.a, s.b)) / s.a;
    return upper ? 1 - lower : lower;
  }
  const tail = (front * betaContinuedFraction(1 - x, x, s.b, s.a)) / s.b;
  return upper ? tail : 1 - tail;
}

/** Regularized incomplete beta I_x(a, b) (the Beta(a, b) cdf at x). */
export function ibeta(x: number, a: number, b: number): number {
  return ibetaTail(x, betaShape(a, b), false);
}

/** 1 − I_x(a, b), computed without cancellation. */
export function ibetac(x: number, a: number, b: number): number {
  return ibetaTail(x, betaShape(a, b), true);
}

/** Beta density at x for a prepared shape. */
export function betaDensity(x: number, s: BetaShape): number {
  if (x < 0 || x > 1) return 0;
  if (x === 0) return s.a < 1 ? Infinity : s.a === 1 ? Math.exp(-lbeta(s.a, s.b)) : 0;
  if (x === 1) return s.b < 1 ? Infinity : s.b === 1 ? Math.exp(-lbeta(s.a, s.b)) : 0;
  return Math.exp(lnBetaFront(x, s) - Math.log(x) - Math.log1p(-x));
}

/** Beta(a, b) density. */
export function betaPdf(x: number, a: number, b: number): number {
  return betaDensity(x, betaShape(a, b));
}

/** Constants of a Gamma(a, 1) for its density and cdf. */
export interface GammaShape {
  readonly a: number;
  readonly saddle: boolean;
  /** −ln Γ(a), or the saddle form's ½ ln a − ½ ln 2π − ω(a). */
  readonly lnK: number;
}

export function gammaShape(a: number): GammaShape {
  const saddle = a >= STIRLING_FROM;
  return { a, saddle, lnK: saddle ? 0.5 * Math.log(a) - LN_SQRT_2PI - stirlingRemainder(a) : -lgamma(a) };
}

/** ln(x^a e^−x / Γ(a)) for x > 0. */
function lnGammaFront(x: number, s: GammaShape): number {
  if (!s.saddle) return s.a * Math.log(x) - x + s.lnK;
  return -s.a * log1pmx((x - s.a) / s.a) + s.lnK;
}

function gammaSeries(x: number, s: GammaShape): number {
  let ap = s.a;
  let del = 1 / s.a;
  let sum = del;
  const limit = maxIterations(s.a) * 2;
  for (let n = 0; n < limit; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(lnGammaFront(x, s));
}

function gammaContinuedFraction(x: number, s: GammaShape): number {
  let b = x + 1 - s.a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  const limit = maxIterations(s.a) * 2;
  for (let i = 1; i <= limit; i++) {
    const an = -i * (i - s.a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(lnGammaFront(x, s)) * h;
}

/** P(a, x) (`upper` false) or Q(a, x) = 1 − P(a, x) (`upper` true), each without cancellation. */
export function gammaTail(x: number, s: GammaShape, upper: boolean): number {
  if (x <= 0) return upper ? 1 : 0;
  if (x === Infinity) return upper ? 0 : 1;
  if (x < s.a + 1) {
    const lower = gammaSeries(x, s);
    return upper ? 1 - lower : lower;
  }
  const tail = gammaContinuedFraction(x, s);
  return upper ? tail : 1 - tail;
}

/** Lower regularized incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  return gammaTail(x, gammaShape(a), false);
}

/** Upper regularized incomplete gamma Q(a, x) = 1 − P(a, x), without cancellation. */
export function gammaQ(a: number, x: number): number {
  return gammaTail(x, gammaShape(a), true);
}

/** Gamma(a, 1) density at x for a prepared shape. */
export function gammaDensity(x: number, s: GammaShape): number {
  if (x < 0) return 0;
  if (x === 0) return s.a < 1 ? Infinity : s.a === 1 ? 1 : 0;
  if (x === Infinity) return 0;
  return Math.exp(lnGammaFront(x, s) - Math.log(x));
}

/** Gamma(shape, rate) density. */
export function gammaPdf(x: number, shape: number, rate: number): number {
  return rate * gammaDensity(x * rate, gammaShape(shape));
}

const HALF_SHAPE = gammaShape(0.5);

/** erfc(x), accurate to ~1e-15 relative in the upper tail (via Q(1/2, x²)). */
export function erfc(x: number): number {
  if (x >= 0) return gammaTail(x * x, HALF_SHAPE, true);
  return 1 + gammaTail(x * x, HALF_SHAPE, false);
}

/** Standard normal cdf Φ(z), accurate in both tails. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal density φ(z). */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LN_SQRT_2PI);
}

const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const;
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;

/** Standard normal quantile Φ⁻¹(p) (Acklam's approximation refined by one Halley step). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const [a0, a1, a2, a3, a4, a5] = ACKLAM_A;
  const [b0, b1, b2, b3, b4] = ACKLAM_B;
  const [c0, c1, c2, c3, c4, c5] = ACKLAM_C;
  const [d0, d1, d2, d3] = ACKLAM_D;
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x = -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  // Halley refinement against the accurate cdf (use the smaller tail to keep precision).
  const err = x < 0 ? normalCdf(x) - p : 1 - p - normalCdf(-x);
  const u = err * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Constants of a standard Student-t with `dof` degrees of freedom. */
export interface StudentShape {
  readonly dof: number;
  /** Beta(ν/2, ½), whose cdf gives the t tails. */
  readonly beta: BetaShape;
  /** Beta(½, ν/2), for the complementary form near the centre. */
  readonly swapped: BetaShape;
  /** ln of the density's constant, −½ ln ν − ln B(ν/2, ½). */
  readonly lnK: number;
}

export function studentShape(dof: number): StudentShape {
  return { dof, beta: betaShape(dof / 2, 0.5), swapped: betaShape(0.5, dof / 2), lnK: -0.5 * Math.log(dof) - lbeta(dof / 2, 0.5) };
}

/** P(T ≤ t) for a standard Student-t, accurate in both tails. */
export function studentCdf(t: number, s: StudentShape): number {
  if (Number.isNaN(t)) return NaN;
  const t2 = t * t;
  // P(T < −|t|) = ½ I_{ν/(ν+t²)}(ν/2, ½); near the centre use the complementary form.
  const tail = t2 < s.dof ? 0.5 * ibetaTail(t2 / (s.dof + t2), s.swapped, true) : 0.5 * ibetaTail(s.dof / (s.dof + t2), s.beta, false);
  return t < 0 ? tail : 1 - tail;
}

/** Standard Student-t density. */
export function studentPdf(t: number, s: StudentShape): number {
  return Math.exp(s.lnK - ((s.dof + 1) / 2) * Math.log1p((t * t) / s.dof));
}

/**
 * The root of an increasing function on the real line: Newton steps from `u0` (the caller's guess),
 * safeguarded by a bracket that is learnt on the way. While the root is not bracketed a step is
 * capped (`step`, doubling each time it binds); once it is, a step that would leave the bracket is
 * replaced by bisection. `dh` is h's derivative (0 or non-finite makes that step a bisection or a
 * capped probe). Stops when a step is below relTol·max(|u|, 1). Returns ±Infinity when h keeps its
 * sign all the way (the target lies at the end of the support).
 */
export function solveIncreasing(h: (u: number) => number, dh: (u: number) => number, u0: number, step: number, relTol: number): number {
  const tolAt = (x: number): number => relTol * Math.max(Math.abs(x), 1);
  let lo = -Infinity;
  let hi = Infinity;
  let cap = Math.max(step, tolAt(u0));
  let u = u0;
  for (let i = 0; i < 2000; i++) {
    const f = h(u);
    if (f === 0 || Number.isNaN(f)) return u;
    if (f < 0) lo = u;
    else hi = u;
    const slope = dh(u);
    const newton = slope > 0 && Number.isFinite(slope) ? -f / slope : NaN;
    let next: number;
    if (Number.isFinite(lo) && Number.isFinite(hi)) {
      next = u + newton;
      if (!(next > lo && next < hi)) next = lo + (hi - lo) / 2;
      if (hi - lo <= tolAt(next)) return next;
    } else {
      const direction = f < 0 ? 1 : -1;
      if (Number.isFinite(newton) && Math.abs(newton) <= cap) next = u + newton;
      else {
        next = u + direction * cap;
        cap *= 2;
      }
      if (!Number.isFinite(next)) return direction > 0 ? Infinity : -Infinity;
    }
    if (Math.abs(next - u) <= tolAt(next)) return next;
    u = next;
  }
  return u;
}
