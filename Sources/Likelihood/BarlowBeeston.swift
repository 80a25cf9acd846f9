//===--- BarlowBeeston.swift ----------------------------------------------===//
// autoMCStats' Barlow–Beeston-lite parameter of one bin, profiled analytically (Combine §3.5):
// its value at the minimum and the envelope derivatives the NLL's gradient needs.
//===----------------------------------------------------------------------===//

/// The minimum x̂ of ν − n ln ν + ½(x − g)² over x, ν = v + e·x (e > 0): the larger root of
///
///     x² + b·x + c = 0,   b = e + v/e − g,   c = v − n − g·v/e,
///
/// computed stably as r = −½(b + sign(b)·√(b² − 4c)), x̂ = max(r, c/r) (0 when r = 0; the
/// discriminant is clipped at 0). With g = 0 this is Combine's nominal minimisation.
@inline(__always)
public func barlowBeestonMinimum(v: Double, e: Double, n: Double, g: Double) -> Double {
  let b = e + v / e - g, c = v - n - g * v / e
  let disc = max(b * b - 4 * c, 0).squareRoot()
  let r = -0.5 * (b + (b >= 0 ? disc : -disc))
  return r != 0 ? max(r, c / r) : 0
}

/// The derivatives of the profiled bin term F(v, e) = min_x [ν − n ln ν + ½(x − g)²] with respect
/// to the bin's yield v and its MC error e (envelope theorem): with w = ∂(ν − n ln ν)/∂ν = 1 − n/ν,
/// ∂F/∂v = w and ∂F/∂e = w·x̂; when the minimum sits at the floored ν (n = 0, x̂ = −v/e),
/// F = ½(x̂ − g)², so ∂F/∂v = −(x̂ − g)/e and ∂F/∂e = −x̂(x̂ − g)/e.
@inline(__always)
public func barlowBeestonGradient(w: Double, xhat: Double, g: Double, e: Double, floored: Bool) -> (dv: Double, de: Double) {
  if floored {
    let d = xhat - g
    return (-d / e, -xhat * d / e)
  }
  return (w, w * xhat)
}
