//===--- LinearAlgebra.swift ----------------------------------------------===//
// Dense linear algebra by GSL: symmetric inversion (Cholesky, else eigenvalue clipping), Cholesky
// factorisation and solves, symmetric eigen-decomposition, LU inversion; conditional covariances.
//===----------------------------------------------------------------------===//

import CGSL

/// Outcome of `invertSymmetric`.
public enum InversionOutcome: Sendable {
  case positiveDefinite
  case clipped
  case failed
}

/// Inverts the symmetric m×m matrix `a` (row-major, stride m) into `out` (stride m).
///
/// First a Cholesky decomposition A = LLᵀ and A⁻¹ = L⁻ᵀL⁻¹ (GSL); if A is not positive definite,
/// the eigen-decomposition A = Σ λ_k v_k v_kᵀ and A⁻¹ ≈ Σ v_k v_kᵀ / max(|λ_k|, 1e-8·max|λ|).
/// `a` is left unchanged. The eigen path allocates (GSL workspace); the Cholesky path does not.
public func invertSymmetric(
  _ a: UnsafeMutablePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ m: Int
) -> InversionOutcome {
  _ = gslErrorHandlerDisabled
  if m == 0 { return .positiveDefinite }
  out.update(from: a, count: m * m)
  var view = gsl_matrix_view_array(out, m, m)
  if Int(gsl_linalg_cholesky_decomp1(&view.matrix)) == GSL_SUCCESS,
    Int(gsl_linalg_cholesky_invert(&view.matrix)) == GSL_SUCCESS
  {
    var finite = true
    for i in 0..<(m * m) where !out[i].isFinite { finite = false; break }
    if finite { return .positiveDefinite }
  }
  // Eigenvalue clipping.
  out.update(from: a, count: m * m)
  for i in 0..<(m * m) where !out[i].isFinite { return .failed }
  guard let eval = gsl_vector_alloc(m), let evec = gsl_matrix_alloc(m, m),
    let work = gsl_eigen_symmv_alloc(m)
  else { return .failed }
  defer {
    gsl_vector_free(eval)
    gsl_matrix_free(evec)
    gsl_eigen_symmv_free(work)
  }
  var view2 = gsl_matrix_view_array(out, m, m)
  guard Int(gsl_eigen_symmv(&view2.matrix, eval, evec, work)) == GSL_SUCCESS else { return .failed }
  var lmax = 0.0
  for k in 0..<m { lmax = max(lmax, abs(gsl_vector_get(eval, k))) }
  guard lmax > 0, lmax.isFinite else { return .failed }
  let floor = 1e-8 * lmax
  for i in 0..<(m * m) { out[i] = 0 }
  for k in 0..<m {
    let inv = 1 / max(abs(gsl_vector_get(eval, k)), floor)
    for i in 0..<m {
      let vi = gsl_matrix_get(evec, i, k) * inv
      if vi == 0 { continue }
      for j in 0..<m { out[i * m + j] += vi * gsl_matrix_get(evec, j, k) }
    }
  }
  return .clipped
}

/// The conditional covariance (inverse Hessian of the remaining parameters with the `removed` ones
/// held fixed): the Schur complement
///   V_FF|S = V_FF − V_FS V_SS⁻¹ V_SF,
/// computed by successive rank-one eliminations V_ij ← V_ij − V_ik V_kj / V_kk, k ∈ S.
///
/// `v` is a full-layout n×n row-major covariance (e.g. `MinimizationResult.inverseHessian`);
/// the result has the same layout, with zero rows and columns for the removed indices.
/// This is the seed metric for scan points and profile fits (O(n²) per removed index).
public func conditionalCovariance(_ v: [Double], dimension n: Int, removing: [Int]) -> [Double] {
  precondition(v.count == n * n)
  var c = v
  var col = [Double](repeating: 0, count: n)
  for k in removing {
    let vkk = c[k * n + k]
    for i in 0..<n { col[i] = c[i * n + k] }
    if vkk > 0 && vkk.isFinite {
      for i in 0..<n where col[i] != 0 {
        let f = col[i] / vkk
        for j in 0..<n { c[i * n + j] -= f * col[j] }
      }
    }
    for i in 0..<n {
      c[i * n + k] = 0
      c[k * n + i] = 0
    }
  }
  return c
}

/// Cholesky factorisation in place: on success the lower triangle of the n×n row-major `a` holds
/// L with LLᵀ = A (GSL leaves Lᵀ in the upper one); false if A is not positive definite.
public func choleskyDecompose(_ a: UnsafeMutablePointer<Double>, _ n: Int) -> Bool {
  _ = gslErrorHandlerDisabled
  if n == 0 { return true }
  var view = gsl_matrix_view_array(a, n, n)
  return gsl_linalg_cholesky_decomp1(&view.matrix) == GSL_SUCCESS
}

/// The Cholesky factor of the n×n row-major `a` (L in the lower triangle, Lᵀ in the upper one, as
/// GSL leaves it), or nil if A is not positive definite.
public func choleskyFactor(_ a: [Double], _ n: Int) -> [Double]? {
  var l = a
  let ok = l.withUnsafeMutableBufferPointer { n == 0 || choleskyDecompose($0.baseAddress!, n) }
  return ok ? l : nil
}

/// Solves A x = b in place (`b` becomes x) with the factor `choleskyDecompose` left in `l`.
public func choleskySolve(_ l: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, _ n: Int) -> Bool {
  _ = gslErrorHandlerDisabled
  var m = gsl_matrix_view_array(l, n, n)
  var v = gsl_vector_view_array(b, n)
  return gsl_linalg_cholesky_svx(&m.matrix, &v.vector) == GSL_SUCCESS
}

/// A failure of GSL's linear algebra: what failed.
public struct LinearAlgebraError: Error, Sendable, CustomStringConvertible {
  public var description: String
}

/// Eigenvalues and eigenvectors of a symmetric matrix (`gsl_eigen_symmv`): `vectors[i*n + k]` is
/// component i of vector k.
public func symmetricEigen(_ a: [[Double]]) throws(LinearAlgebraError) -> (values: [Double], vectors: [Double]) {
  _ = gslErrorHandlerDisabled
  let n = a.count
  guard let m = gsl_matrix_alloc(n, n), let evec = gsl_matrix_alloc(n, n), let eval = gsl_vector_alloc(n),
    let work = gsl_eigen_symmv_alloc(n)
  else { throw LinearAlgebraError(description: "GSL allocation failed") }
  defer {
    gsl_matrix_free(m)
    gsl_matrix_free(evec)
    gsl_vector_free(eval)
    gsl_eigen_symmv_free(work)
  }
  for i in 0..<n { for j in 0..<n { gsl_matrix_set(m, i, j, a[i][j]) } }
  let status = gsl_eigen_symmv(m, eval, evec, work)
  guard status == 0 else { throw LinearAlgebraError(description: "gsl_eigen_symmv failed (status \(status))") }
  var values = [Double](repeating: 0, count: n)
  var vectors = [Double](repeating: 0, count: n * n)
  for k in 0..<n {
    values[k] = gsl_vector_get(eval, k)
    for i in 0..<n { vectors[i * n + k] = gsl_matrix_get(evec, i, k) }
  }
  return (values, vectors)
}

/// The result of `luInvert`.
public enum LUInversion: Sendable {
  case inverse([Double])
  /// A zero pivot: the rows are linearly dependent.
  case singular
  /// GSL failed (allocation, decomposition or inversion): what failed.
  case failed(String)
}

/// Inverse of an m×m row-major matrix by GSL's LU decomposition.
public func luInvert(_ a: [Double], _ m: Int) -> LUInversion {
  _ = gslErrorHandlerDisabled
  guard let mat = gsl_matrix_alloc(m, m), let inv = gsl_matrix_alloc(m, m), let perm = gsl_permutation_alloc(m) else {
    return .failed("GSL allocation failed")
  }
  defer {
    gsl_matrix_free(mat)
    gsl_matrix_free(inv)
    gsl_permutation_free(perm)
  }
  for i in 0..<m { for j in 0..<m { gsl_matrix_set(mat, i, j, a[i * m + j]) } }
  var signum: Int32 = 0
  guard gsl_linalg_LU_decomp(mat, perm, &signum) == 0 else { return .failed("LU decomposition failed") }
  for i in 0..<m where gsl_matrix_get(mat, i, i) == 0 { return .singular }
  guard gsl_linalg_LU_invert(mat, perm, inv) == 0 else { return .failed("matrix inversion failed") }
  var out = [Double](repeating: 0, count: m * m)
  for i in 0..<m { for j in 0..<m { out[i * m + j] = gsl_matrix_get(inv, i, j) } }
  return .inverse(out)
}
