import CGSL

/// GSL aborts on errors by default; we check status codes instead. Evaluated once.
let gslErrorHandlerDisabled: Void = {
  _ = gsl_set_error_handler_off()
}()

/// Outcome of `invertSymmetric`.
enum InversionOutcome {
  case positiveDefinite
  case clipped
  case failed
}

/// Inverts the symmetric m×m matrix `a` (row-major, stride m) into `out` (stride m).
///
/// First a Cholesky decomposition A = LLᵀ and A⁻¹ = L⁻ᵀL⁻¹ (GSL); if A is not positive definite,
/// the eigen-decomposition A = Σ λ_k v_k v_kᵀ and A⁻¹ ≈ Σ v_k v_kᵀ / max(|λ_k|, 1e-8·max|λ|).
/// `a` is left unchanged. The eigen path allocates (GSL workspace); the Cholesky path does not.
func invertSymmetric(
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
