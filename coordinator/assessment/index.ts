/**
 * Bayesian A/B/n assessment: SLO probabilities, P(best), expected loss, credible intervals, lift,
 * winner and a recommended traffic split; `analyze` input parsing; a text rendering.
 */
export { assess, assessResult } from "./assess.js";
export type { Assessment, AssessmentInput, NullableQuantity, RewardAssessment, RewardVersionAssessment, SplitSettings } from "./assess.js";
export { analyzeDocument } from "./analyze.js";
export { renderAssessmentText } from "./render.js";
export { resolveOptions, DEFAULT_DRAWS, DEFAULT_FLOOR, DEFAULT_SEED } from "./options.js";
export type { AssessmentOptions, MeanPriorOption, PriorOptions, ResolvedOptions } from "./options.js";
export { DEFAULT_PRIORS } from "./posterior.js";
export type { BetaPrior, GammaPrior, MeanPrior, NigPrior, NormalPrior, Posterior, Priors } from "./posterior.js";
export type { Comparison, Direction, Method } from "./compare.js";
export {
  betaProbGreater,
  compareArms,
  expectedShortfallClosedForm,
  gammaProbGreater,
  gammaProbGreaterSum,
  integrateComparison,
  monteCarloComparison,
  normalProbGreater,
} from "./compare.js";
export { cdf, countPosterior, credibleInterval, meanPosterior, pdf, posteriorMean, posteriorSd, ratePosterior, sf, tailQuantile } from "./posterior.js";
export { liftInterval } from "./lift.js";
export type { Outcome } from "./posterior.js";
export { createRng } from "./rng.js";
export type { Rng } from "./rng.js";
export { ibeta, ibetac, gammaP, gammaQ, lbeta, lgamma, normalCdf, normalQuantile } from "./special.js";
export { recommendSplit } from "./split.js";
export type { SplitOptions } from "./split.js";
export { benchAssessment } from "./bench.js";
