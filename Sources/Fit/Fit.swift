// Fit module of Recombine. See README.md for the module map.
//
// The minimiser core: a variable-metric (MIGRAD-like) minimiser with analytic gradients and box
// bounds (active set), HESSE by finite differences of the gradient, and a profile-likelihood
// crossing finder (MINOS-like). Everything is generic over `ObjectiveFunction`.

/// A smooth function to minimise, f: ℝⁿ → ℝ, with its analytic gradient ∇f.
///
/// Implementations are classes holding their own scratch buffers, so that evaluations do not
/// allocate. For a negative log-likelihood the natural error level is ½: the covariance of the
/// estimates is then H⁻¹, the inverse of the Hessian of f at its minimum.
public protocol ObjectiveFunction: AnyObject {
  /// The number n of parameters (fixed ones included).
  var dimension: Int { get }
  /// f(x); must not allocate. `x.count == dimension`.
  func value(_ x: UnsafeBufferPointer<Double>) -> Double
  /// f(x), with ∇f(x) written into `g` (`g.count == dimension`); must not allocate.
  func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>)
    -> Double
}

/// One parameter of a minimisation: its start value, its range, whether it is fixed, and its
/// initial scale (the expected uncertainty, 1 for unit-Gaussian nuisances).
public struct ParameterSpec: Sendable, Equatable {
  public var name: String
  /// Start value (clipped into [lower, upper]); for a fixed parameter, the value it is held at.
  public var value: Double
  /// Lower bound, `-.infinity` for none.
  public var lower: Double
  /// Upper bound, `+.infinity` for none.
  public var upper: Double
  /// Held at `value` and excluded from the minimisation.
  public var fixed: Bool
  /// Initial scale of the parameter (≈ its uncertainty); must be > 0.
  public var step: Double

  public init(
    name: String, value: Double, lower: Double = -.infinity, upper: Double = .infinity,
    fixed: Bool = false, step: Double = 1
  ) {
    self.name = name
    self.value = value
    self.lower = lower
    self.upper = upper
    self.fixed = fixed
    self.step = step
  }
}

/// Options of `Minimizer`.
public struct MinimizerOptions: Sendable {
  /// Convergence target on the estimated distance to the minimum,
  /// EDM = ½ gᵀ V g  (g the gradient over the free, unconstrained parameters, V the inverse Hessian).
  ///
  /// Minuit (as Combine runs it, tolerance 0.1, error level ½) stops at EDM < 0.002·0.1·0.5 = 1e-4;
  /// the default here is 100 times tighter, and the final HESSE-metric Newton step ("polish") makes
  /// the result essentially exact for smooth NLLs.
  public var tolerance: Double
  /// Maximum number of variable-metric iterations (all restarts together); `nil` = 1000 + 20·n.
  public var maxIterations: Int?
  /// Maximum number of objective calls; `nil` = Minuit's default 200 + 100·n + 5·n².
  public var maxCalls: Int?
  /// 0: when `minimize` is given an `initialInverseHessian` (a scan point or a profile fit seeded
  /// with a covariance), trust the variable-metric V at convergence; HESSE is run only if the
  /// iteration stalls. Without a seed metric strategy 0 behaves as 1 (a BFGS metric built from a
  /// diagonal start can underestimate EDM badly, engineering.md §3).
  /// ≥ 1 (default): as MIGRAD, verify convergence with HESSE (EDM recomputed with the HESSE
  /// covariance), restart from the HESSE covariance when EDM ≥ tolerance, and report the HESSE
  /// covariance in `MinimizationResult.inverseHessian` (after a restart the HESSE is repeated only
  /// if the iterations changed the metric by ≥ 5%). ≥ 2: always repeat HESSE after a restart.
  public var strategy: Int
  /// Maximum number of HESSE-seeded restarts before giving up with `.failed`.
  public var maxRestarts: Int
  /// Relative step of the finite differences in HESSE: h_i = hesseStep·σ_i (σ_i from the metric,
  /// or the parameter's `step`).
  public var hesseStep: Double
  /// Above this number of free parameters `Minimizer` uses the limited-memory minimiser
  /// (`LimitedMemoryMinimizer`: O(n) memory, no HESSE covariance) instead of the variable-metric
  /// one with its n×n metric.
  public var denseLimit: Int = 2000

  public init(
    tolerance: Double = 1e-6, maxIterations: Int? = nil, maxCalls: Int? = nil, strategy: Int = 1,
    maxRestarts: Int = 4, hesseStep: Double = 1e-4
  ) {
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.maxCalls = maxCalls
    self.strategy = strategy
    self.maxRestarts = maxRestarts
    self.hesseStep = hesseStep
  }
}

/// Outcome of a minimisation.
public enum FitStatus: Sendable, Equatable {
  /// EDM < tolerance, no parameter on a bound.
  case converged
  /// EDM < tolerance (over the parameters not held by their bounds) with at least one parameter on
  /// a bound, the gradient pushing it outwards (a Karush–Kuhn–Tucker point).
  case convergedOnBound
  /// `maxCalls` or `maxIterations` was reached; `x` is the best point found.
  case callLimit
  /// No convergence (the reason is given); `x` is the best point found.
  case failed(String)

  /// `.converged` or `.convergedOnBound`.
  public var isConverged: Bool {
    switch self {
    case .converged, .convergedOnBound: return true
    default: return false
    }
  }
}

/// Result of `Minimizer.minimize`.
public struct MinimizationResult: Sendable {
  /// The minimum, all `dimension` parameters (fixed ones at their values).
  public var x: [Double]
  /// f(x).
  public var fval: Double
  /// ½ gᵀ V g at `x` (free parameters not on a bound).
  public var edm: Double
  public var status: FitStatus
  /// Objective calls (each `value` or `valueAndGradient` counts one).
  public var nCalls: Int
  /// Variable-metric iterations.
  public var nIterations: Int
  /// Inverse Hessian (covariance for an NLL) in the full layout, row-major dimension × dimension,
  /// with zero rows and columns for fixed parameters and for parameters held on a bound.
  /// From HESSE for strategy ≥ 1 (possibly BFGS-updated after a restart, see `strategy`), from the
  /// variable-metric update for strategy 0.
  public var inverseHessian: [Double]?
  /// Indices of the parameters held on a bound at the minimum.
  public var atBound: [Int]

  /// √V_ii, the parabolic uncertainty of parameter i (0 if fixed or on a bound, nil without V).
  public func error(_ i: Int) -> Double? {
    guard let v = inverseHessian else { return nil }
    return v[i * x.count + i].squareRoot()
  }
}

/// Status of a HESSE computation.
public enum HesseStatus: Sendable, Equatable {
  /// The Hessian was positive definite; the covariance is its exact inverse.
  case ok
  /// Not positive definite: the covariance was built from the eigen-decomposition with eigenvalues
  /// replaced by max(|λ|, 1e-8·λ_max) (as Minuit forces positive definiteness).
  case madePositiveDefinite
  case failed(String)
}

/// Result of `Minimizer.hesse`.
public struct HesseResult: Sendable {
  /// H_ij = ∂²f/∂x_i∂x_j, full layout (dimension × dimension, row-major), zeros for fixed parameters.
  public var hessian: [Double]
  /// H⁻¹ over the free parameters (covariance for an NLL), full layout, zeros for fixed parameters.
  public var covariance: [Double]
  public var status: HesseStatus
  /// Objective calls used.
  public var nCalls: Int
}

