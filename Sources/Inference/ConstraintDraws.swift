//===--- ConstraintDraws.swift --------------------------------------------===//
// The draw of a parameter from its constraint pdf (toys, FitDiagnostics' resampling).
//===----------------------------------------------------------------------===//

import Likelihood
import Maths

extension RandomStream {
  /// A draw from a parameter's constraint pdf, as Combine's toys and FitDiagnostics sample the
  /// nuisance pdfs:
  /// - Gaussian: m + σ z;
  /// - bifurcated (RooBifurGauss, ∝ exp(−(θ−m)²/2σ_L²) below m, exp(−(θ−m)²/2σ_R²) above): the side
  ///   below m has probability σ_L/(σ_L + σ_R), then m ∓ σ_side |z|;
  /// - Poisson(N | θ) as a pdf in θ (gmN): Gamma(N + 1, 1), the flat-prior posterior; Pois(N | sθ)
  ///   (shapesys): Gamma(N + 1, 1)/s.
  /// Nil for unconstrained and flat (lnU) parameters, which are not drawn.
  func draw(_ c: Constraint) -> Double? {
    switch c {
    case .gaussian(let m, let s): return m + s * normal()
    case .bifurcatedGaussian(let m, let lo, let hi):
      let z = abs(normal())
      return uniform() * (lo + hi) < lo ? m - lo * z : m + hi * z
    case .poisson(let n): return gamma(n + 1)
    case .scaledPoisson(let n, let scale): return gamma(n + 1) / scale
    case .none, .flat: return nil
    }
  }

  /// Draws every constrained parameter of `model` not in `fixed` from its constraint pdf (`draw`),
  /// in parameter order, into `x`; the others keep their values.
  func drawConstrained(_ model: CompiledModel, into x: inout [Double], fixed: Set<Int>) {
    for (i, p) in model.parameters.enumerated() where !fixed.contains(i) {
      if let v = draw(p.constraint) { x[i] = v }
    }
  }
}
