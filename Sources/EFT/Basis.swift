//===--- Basis.swift ------------------------------------------------------===//
// Rotated bases: POIs φ that are linear combinations of the Wilson coefficients c.
//===----------------------------------------------------------------------===//

import Maths
import Foundation

/// A basis of POIs φ for the physical coefficients c of an `EFTParametrisation`, given by the
/// linear map c = T φ (T is n×m: n coefficients, m POIs). Coefficient directions outside the span
/// of T are fixed at 0.
public struct EFTBasis: Sendable, Equatable {
  /// A basis parameter (POI) with its initial value and range.
  public struct Parameter: Sendable, Hashable {
    public var name: String
    public var value: Double
    public var minimum: Double
    public var maximum: Double
    public init(name: String, value: Double = 0, minimum: Double = -10, maximum: Double = 10) {
      self.name = name
      self.value = value
      self.minimum = minimum
      self.maximum = maximum
    }
  }

  public var parameters: [Parameter]
  /// T, n rows × m columns: c_i = Σ_a T_ia φ_a.
  public var transform: [[Double]]
  /// For a Fisher eigenbasis: the kept eigenvalues, in the order of `parameters`.
  public var eigenvalues: [Double]?

  /// c = T φ given directly (TopEFT's `expr::` rotations are of this kind).
  public init(parameters: [Parameter], transform: [[Double]], eigenvalues: [Double]? = nil) throws {
    guard transform.allSatisfy({ $0.count == parameters.count }) else {
      throw EFTError("every row of the transform needs \(parameters.count) entries")
    }
    self.parameters = parameters
    self.transform = transform
    self.eigenvalues = eigenvalues
  }

  /// POIs defined as linear combinations of the coefficients, φ = R c (R is m×n, rank m). The
  /// coefficients are then c = Rᵀ (R Rᵀ)⁻¹ φ (= R⁻¹ φ when R is square; = Rᵀ φ when R has
  /// orthonormal rows), i.e. the minimum-norm c with the given φ.
  public static func combinations(parameters: [Parameter], rows r: [[Double]]) throws -> EFTBasis {
    let m = r.count
    guard m == parameters.count, m > 0 else { throw EFTError("need one row of R per parameter") }
    let n = r[0].count
    guard r.allSatisfy({ $0.count == n }), m <= n else {
      throw EFTError("R must be m×n with m ≤ n")
    }
    // G = R Rᵀ (m×m), then T = Rᵀ G⁻¹.
    var g = [Double](repeating: 0, count: m * m)
    for a in 0..<m {
      for b in 0..<m {
        var s = 0.0
        for i in 0..<n { s += r[a][i] * r[b][i] }
        g[a * m + b] = s
      }
    }
    let gInv = try invert(g, m)
    var t = [[Double]](repeating: [Double](repeating: 0, count: m), count: n)
    for i in 0..<n {
      for a in 0..<m {
        var s = 0.0
        for b in 0..<m { s += r[b][i] * gInv[b * m + a] }
        t[i][a] = s
      }
    }
    return try EFTBasis(parameters: parameters, transform: t)
  }

  /// The eigenvector basis of a symmetric Fisher information matrix F (n×n, in the physical
  /// coefficients, e.g. at the SM point). With F = Σ_a λ_a v_a v_aᵀ (GSL `gsl_eigen_symmv`), the POIs
  /// are φ_a = v_aᵀ c for the eigenvalues λ_a > `threshold`, ordered by decreasing λ, and c = Σ_a v_a φ_a.
  /// Each v_a is normalised to unit length and signed so that its largest-magnitude component is
  /// positive. The POIs are called `"\(prefix)\(a)"` with range ±`range`.
  public static func fisherEigenbasis(
    fisher: [[Double]], threshold: Double, prefix: String = "EV", range: Double = 10
  ) throws -> EFTBasis {
    let n = fisher.count
    guard n > 0, fisher.allSatisfy({ $0.count == n }) else {
      throw EFTError("Fisher matrix must be square")
    }
    for i in 0..<n {
      for j in 0..<i where abs(fisher[i][j] - fisher[j][i]) > 1e-9 * max(1, abs(fisher[i][j])) {
        throw EFTError("Fisher matrix is not symmetric at (\(i), \(j))")
      }
    }
    let (values, vectors) = try eigenDecomposition(fisher)
    let order = (0..<n).filter { values[$0] > threshold }.sorted { values[$0] > values[$1] }
    guard !order.isEmpty else { throw EFTError("no eigenvalue above the threshold \(threshold)") }
    var t = [[Double]](repeating: [Double](repeating: 0, count: order.count), count: n)
    for (a, k) in order.enumerated() {
      var v = (0..<n).map { vectors[$0 * n + k] }
      let norm = sqrt(v.reduce(0) { $0 + $1 * $1 })
      let big = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
      let sign: Double = v[big] < 0 ? -1 : 1
      v = v.map { sign * $0 / norm }
      for i in 0..<n { t[i][a] = v[i] }
    }
    let params = order.indices.map {
      Parameter(name: "\(prefix)\($0)", minimum: -range, maximum: range)
    }
    return try EFTBasis(parameters: params, transform: t, eigenvalues: order.map { values[$0] })
  }

  /// Row a of R for the POIs φ = R c when T has orthonormal columns (as for an eigenbasis): R = Tᵀ.
  public func parameterDefinition(_ a: Int) -> [Double] { transform.map { $0[a] } }
}

/// Eigenvalues and eigenvectors (column-major in the returned n×n array: vectors[i*n + k] is
/// component i of vector k) of a symmetric matrix (`Maths.symmetricEigen`).
func eigenDecomposition(_ a: [[Double]]) throws -> ([Double], [Double]) {
  do {
    let r = try Maths.symmetricEigen(a)
    return (r.values, r.vectors)
  } catch { throw EFTError(error.description) }
}

/// Inverse of an m×m row-major matrix (`Maths.luInvert`).
func invert(_ a: [Double], _ m: Int) throws -> [Double] {
  switch luInvert(a, m) {
  case .inverse(let out): return out
  case .singular: throw EFTError("singular matrix: R has dependent rows")
  case .failed(let what): throw EFTError(what)
  }
}
