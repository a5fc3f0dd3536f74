/**
 * Special functions behind the posteriors: log-gamma, regularized incomplete beta and gamma, the
 * normal distribution with accurate tails, and safeguarded inverses. Written here rather than taken
 * from jstat because jstat's incomplete beta stops after 100 continued-fraction steps at a 3e-7
 * tolerance (wrong for large samples) and its normal cdf loses the far tails.
 */

const EPS = 1e-15;
const TINY = 1e-300;
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const LN_SQRT_2PI = 0.9189385332046728;

/** ln Γ(x) for x > 0 (Lanczos, relative error ~1e-15). */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b). */
export function lbeta(a: number, b: number): number {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

function maxIterations(scale: number): number {
  return 1000 + Math.ceil(20 * Math.sqrt(scale));
}

/** Continued fraction of the incomplete beta (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
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

/** Regularized incomplete beta I_x(a, b) (the Beta(a, b) cdf at x); `lnB` = lbeta(a, b) if known. */
export function ibeta(x: number, a: number, b: number, lnB: number = lbeta(a, b)): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = a * Math.log(x) + b * Math.log1p(-x) - lnB;
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** 1 − I_x(a, b), computed without cancellation. */
export function ibetac(x: number, a: number, b: number, lnB: number = lbeta(a, b)): number {
  return ibeta(1 - x, b, a, lnB);
}

/** Beta(a, b) density; `lnB` = lbeta(a, b) if known. */
export function betaPdf(x: number, a: number, b: number, lnB: number = lbeta(a, b)): number {
  if (x < 0 || x > 1) return 0;
  if (x === 0) return a < 1 ? Infinity : a === 1 ? Math.exp(-lnB) : 0;
  if (x === 1) return b < 1 ? Infinity : b === 1 ? Math.exp(-lnB) : 0;
  return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lnB);
}

/** Lower regularized incomplete gamma P(a, x); `lnGammaA` = lgamma(a) if known. */
export function gammaP(a: number, x: number, lnGammaA: number = lgamma(a)): number {
  if (x <= 0) return 0;
  if (x < a + 1) return gammaSeries(a, x, lnGammaA);
  return 1 - gammaContinuedFraction(a, x, lnGammaA);
}

/** Upper regularized incomplete gamma Q(a, x) = 1 − P(a, x), without cancellation. */
export function gammaQ(a: number, x: number, lnGammaA: number = lgamma(a)): number {
  if (x <= 0) return 1;
  if (x < a + 1) return 1 - gammaSeries(a, x, lnGammaA);
  return gammaContinuedFraction(a, x, lnGammaA);
}

function gammaSeries(a: number, x: number, lnGammaA: number): number {
  let ap = a;
  let del = 1 / a;
  let sum = del;
  const limit = maxIterations(a) * 2;
  for (let n = 0; n < limit; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGammaA);
}

function gammaContinuedFraction(a: number, x: number, lnGammaA: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  const limit = maxIterations(a) * 2;
  for (let i = 1; i <= limit; i++) {
    const an = -i * (i - a);
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
  return Math.exp(-x + a * Math.log(x) - lnGammaA) * h;
}

/** Gamma(shape, rate) density; `lnGammaShape` = lgamma(shape) if known. */
export function gammaPdf(x: number, shape: number, rate: number, lnGammaShape: number = lgamma(shape)): number {
  if (x < 0) return 0;
  if (x === 0) return shape < 1 ? Infinity : shape === 1 ? rate : 0;
  return Math.exp(shape * Math.log(rate) + (shape - 1) * Math.log(x) - rate * x - lnGammaShape);
}

/** erfc(x), accurate to ~1e-15 relative in the upper tail (via Q(1/2, x²)). */
export function erfc(x: number): number {
  if (x >= 0) return gammaQ(0.5, x * x);
  return 1 + gammaP(0.5, x * x);
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

/**
 * Inverts a monotone cdf on [lo, hi] by safeguarded Newton steps with bisection fallback.
 * `cdf` and `pdf` describe the distribution; `guess` is a starting point inside the bracket.
 */
export function invertCdf(
  p: number,
  cdf: (x: number) => number,
  pdf: (x: number) => number,
  lo: number,
  hi: number,
  guess: number,
): number {
  let low = lo;
  let high = hi;
  let x = Math.min(Math.max(guess, low), high);
  for (let i = 0; i < 200; i++) {
    const f = cdf(x) - p;
    if (f === 0) return x;
    if (f < 0) low = x;
    else high = x;
    const density = pdf(x);
    let next = density > 0 && Number.isFinite(density) ? x - f / density : NaN;
    if (!(next > low && next < high)) next = Number.isFinite(high) ? (low + high) / 2 : Math.max(2 * x, x + 1);
    if (Math.abs(next - x) <= 1e-14 * Math.max(Math.abs(x), 1e-300)) return next;
    x = next;
    if (high - low <= 1e-15 * Math.max(Math.abs(low), Math.abs(high))) return x;
  }
  return x;
}
