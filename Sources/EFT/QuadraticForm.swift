//===--- QuadraticForm.swift ----------------------------------------------===//
// The internal representation of every EFT scaling: a symmetric (n+1)×(n+1) matrix M over
// c̃ = (1, θ₁ … θₙ), stored sparse in the coefficients it depends on.
//===----------------------------------------------------------------------===//

/// How many orders in θ a scaling keeps.
public enum Truncation: String, Sendable, CaseIterable, Codable {
  /// Keep the constant and the terms linear in θ (interference only, order Λ⁻²): every
  /// θ_iθ_j term is dropped.
  case linear
  /// Keep everything up to θ_iθ_j (interference and squared terms, order Λ⁻⁴).
  case quadratic
}

/// A quadratic polynomial in the coefficients θ written as a symmetric matrix:
///
///     μ(θ) = c̃ᵀ M c̃,   c̃ = (1, θ₁, …, θₙ)
///          = M₀₀ + 2 Σ_i M_i0 θ_i + Σ_i M_ii θ_i² + 2 Σ_{i<j} M_ij θ_i θ_j.
///
/// In the usual A/B notation, μ = a₀ + Σ_i A_i θ_i + Σ_{i≤j} B_ij θ_i θ_j (B_ii multiplies θ_i²,
/// B_ij with i<j multiplies θ_iθ_j once), so
///
///     M₀₀ = a₀,   M_i0 = A_i / 2,   M_ii = B_ii,   M_ij = B_ij / 2  (i ≠ j).
///
/// This is exactly the matrix of Combine's `InterferenceModels` (`scalingData`).
///
/// **Storage.** Only the coefficients the form depends on are kept: `indices` (ascending, into the
/// global θ vector) and the packed lower triangle of the (m+1)×(m+1) local matrix over
/// (1, θ_indices[0], …, θ_indices[m−1]), row by row: local entry (r, c) with c ≤ r is at
/// `packed[r(r+1)/2 + c]`. Local slot 0 is the constant; slot k+1 is θ_indices[k].
/// The representation is canonical: an index whose whole row/column is zero is dropped, so two forms
/// describing the same polynomial compare equal.
public struct QuadraticForm: Sendable, Hashable, ScalingKernel {
  /// Global coefficient indices the form depends on, ascending.
  public private(set) var indices: [Int]
  /// Packed lower triangle of the local matrix (see the type's documentation).
  public private(set) var packed: [Double]

  /// The zero polynomial.
  public init() {
    indices = []
    packed = [0]
  }

  /// The constant polynomial μ = `value`.
  public init(constant value: Double) {
    indices = []
    packed = [value]
  }

  /// A form from its sparse storage. `packed` must have (m+1)(m+2)/2 entries for m = `indices.count`;
  /// `indices` must be strictly ascending and non-negative. Zero rows are pruned.
  public init(indices: [Int], packedLowerTriangle packed: [Double]) {
    let m = indices.count
    precondition(packed.count == (m + 1) * (m + 2) / 2, "packed lower triangle has the wrong size")
    for k in 1..<max(1, m) where indices[k] <= indices[k - 1] {
      preconditionFailure("indices must be strictly ascending")
    }
    self.indices = indices
    self.packed = packed
    prune()
  }

  /// A form from the A/B polynomial μ = a₀ + Σ_i A_i θ_i + Σ_{i≤j} B_ij θ_i θ_j.
  /// - Parameters:
  ///   - constant: a₀.
  ///   - linear: A_i keyed by the global coefficient index i.
  ///   - quadratic: B_ij keyed by the (unordered) index pair; B_ii multiplies θ_i², B_ij (i ≠ j)
  ///     multiplies θ_iθ_j once. Entries for (i, j) and (j, i) add up.
  public init(constant: Double, linear: [Int: Double] = [:], quadratic: [IndexPair: Double] = [:]) {
    var used = Set(linear.keys)
    for p in quadratic.keys {
      used.insert(p.first)
      used.insert(p.second)
    }
    let idx = used.sorted()
    precondition(idx.first.map { $0 >= 0 } ?? true, "negative coefficient index")
    var slot: [Int: Int] = [:]
    for (k, i) in idx.enumerated() { slot[i] = k + 1 }
    var p = [Double](repeating: 0, count: (idx.count + 1) * (idx.count + 2) / 2)
    p[0] = constant
    for (i, a) in linear { p[Self.packedIndex(slot[i]!, 0)] += a / 2 }
    for (pair, b) in quadratic {
      let r = slot[pair.first]!
      let c = slot[pair.second]!
      p[Self.packedIndex(max(r, c), min(r, c))] += r == c ? b : b / 2
    }
    self.indices = idx
    self.packed = p
    prune()
  }

  /// A form from Combine's dense lower-triangle layout over (1, θ₀ … θ_{n−1}) (global indices
  /// 0…n−1): `[M00, M10, M11, M20, M21, M22, …]`, (n+1)(n+2)/2 numbers.
  public init(denseLowerTriangle dense: [Double], coefficientCount n: Int) {
    precondition(dense.count == (n + 1) * (n + 2) / 2, "dense lower triangle has the wrong size")
    self.indices = Array(0..<n)
    self.packed = dense
    prune()
  }

  /// The (row, column) position of local entry (r, c), c ≤ r, in `packed`.
  @inline(__always) static func packedIndex(_ r: Int, _ c: Int) -> Int { r * (r + 1) / 2 + c }

  // MARK: - Coefficients

  /// M₀₀ = a₀, the value at θ = 0.
  public var constant: Double { packed[0] }

  /// Number of coefficients the form depends on.
  public var dependencyCount: Int { indices.count }

  /// The local slot (1…m) of global coefficient `i`, or nil.
  @inline(__always) func slot(of i: Int) -> Int? {
    var lo = 0
    var hi = indices.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if indices[mid] < i { lo = mid + 1 } else { hi = mid }
    }
    return lo < indices.count && indices[lo] == i ? lo + 1 : nil
  }

  /// The matrix element M_rc over the global c̃ (0 = constant, i + 1 = θ_i); symmetric.
  public func matrixElement(_ r: Int, _ c: Int) -> Double {
    let sr = r == 0 ? 0 : slot(of: r - 1)
    let sc = c == 0 ? 0 : slot(of: c - 1)
    guard let a = sr, let b = sc else { return 0 }
    return packed[Self.packedIndex(max(a, b), min(a, b))]
  }

  /// A_i = 2 M_i0, the coefficient of θ_i.
  public func linearCoefficient(_ i: Int) -> Double { 2 * matrixElement(i + 1, 0) }

  /// B_ij: the coefficient of θ_i² when i = j (M_ii), of θ_iθ_j otherwise (2 M_ij).
  public func quadraticCoefficient(_ i: Int, _ j: Int) -> Double {
    i == j ? matrixElement(i + 1, i + 1) : 2 * matrixElement(i + 1, j + 1)
  }

  /// The non-zero A_i, by ascending global index.
  public var linearTerms: [(index: Int, value: Double)] {
    indices.enumerated().compactMap { k, i in
      let v = 2 * packed[Self.packedIndex(k + 1, 0)]
      return v == 0 ? nil : (i, v)
    }
  }

  /// The non-zero B_ij (i ≤ j), ordered by (j, i) (row-major lower triangle).
  public var quadraticTerms: [(first: Int, second: Int, value: Double)] {
    var out: [(Int, Int, Double)] = []
    for r in 1...max(1, indices.count) where r <= indices.count {
      for c in 1...r {
        let m = packed[Self.packedIndex(r, c)]
        if m != 0 { out.append((indices[c - 1], indices[r - 1], r == c ? m : 2 * m)) }
      }
    }
    return out
  }

  /// Combine's dense lower triangle over (1, θ₀ … θ_{n−1}); requires every index < n.
  public func denseLowerTriangle(coefficientCount n: Int) -> [Double] {
    precondition(indices.last.map { $0 < n } ?? true, "form depends on a coefficient ≥ n")
    var out = [Double](repeating: 0, count: (n + 1) * (n + 2) / 2)
    let g = [0] + indices.map { $0 + 1 }
    for r in 0..<g.count {
      for c in 0...r { out[Self.packedIndex(g[r], g[c])] = packed[Self.packedIndex(r, c)] }
    }
    return out
  }

  // MARK: - Evaluation

  /// The hot-loop kernel: value and (optionally) gradient in one pass over the packed triangle, with
  /// no allocation. With x₀ = 1, x_k = θ_indices[k−1]:
  ///
  ///     μ = Σ_r M_rr x_r² + 2 Σ_{c<r} M_rc x_r x_c,
  ///     ∂μ/∂x_r = 2 Σ_c M_rc x_c,
  ///
  /// and `weight · ∂μ/∂θ_i` is added to `gradient[i]` (if `gradient` is non-nil).
  @inline(__always)
  public func evaluate(
    _ theta: UnsafeBufferPointer<Double>, gradient: UnsafeMutablePointer<Double>?, weight: Double
  )
    -> Double
  {
    packed.withUnsafeBufferPointer { p in
      indices.withUnsafeBufferPointer { idx in
        var mu = p[0]
        let m = idx.count
        if m == 0 { return mu }
        var k = 1
        if let g = gradient {
          let w2 = 2 * weight
          for r in 1...m {
            let ir = idx[r - 1]
            let xr = theta[ir]
            // c = 0 (constant)
            let mr0 = p[k]
            var rowDot = mr0  // Σ_{c<r} M_rc x_c, later plus diagonal
            k += 1
            for c in 1..<r {
              let mrc = p[k]
              let ic = idx[c - 1]
              rowDot += mrc * theta[ic]
              g[ic] += w2 * mrc * xr
              k += 1
            }
            let mrr = p[k]
            k += 1
            mu += xr * (2 * rowDot + mrr * xr)
            g[ir] += w2 * (rowDot + mrr * xr)
          }
        } else {
          for r in 1...m {
            let xr = theta[idx[r - 1]]
            var rowDot = p[k]
            k += 1
            for c in 1..<r {
              rowDot += p[k] * theta[idx[c - 1]]
              k += 1
            }
            mu += xr * (2 * rowDot + p[k] * xr)
            k += 1
          }
        }
        return mu
      }
    }
  }

  // MARK: - Transformations

  /// Drops every entry with r ≥ 1 and c ≥ 1 (all θ_iθ_j terms) for `.linear`; unchanged for `.quadratic`.
  public func truncated(_ truncation: Truncation) -> QuadraticForm {
    guard truncation == .linear, !indices.isEmpty else { return self }
    var out = self
    for r in 1...indices.count {
      for c in 1...r { out.packed[Self.packedIndex(r, c)] = 0 }
    }
    out.prune()
    return out
  }

  /// s · μ(θ).
  public func scaled(by s: Double) -> QuadraticForm {
    var out = self
    for k in out.packed.indices { out.packed[k] *= s }
    out.prune()
    return out
  }

  /// The form in rescaled coefficients: with c_i = s_i θ_i (`scales[i] = s_i`), returns M' with
  /// M'_rc = s_r s_c M_rc (s₀ = 1), so that M'(θ) = M(c).
  public func rescaled(_ scales: [Double]) -> QuadraticForm {
    var out = self
    let s = [1.0] + indices.map { scales[$0] }
    for r in 0..<s.count {
      for c in 0...r { out.packed[Self.packedIndex(r, c)] *= s[r] * s[c] }
    }
    out.prune()
    return out
  }

  /// The form after the linear substitution c = T φ: `transform[i]` is row i of T (length
  /// `newCount`), giving c_i = Σ_a T_ia φ_a. Returns M' = Sᵀ M S with S = diag(1, T), a form over
  /// (1, φ₀ … φ_{newCount−1}).
  public func substituted(_ transform: [[Double]], newCount: Int) -> QuadraticForm {
    let m = indices.count
    // Rows of S restricted to the form's slots: S_0 = e_0, S_k = (0, T[indices[k−1]]).
    let n1 = newCount + 1
    var s = [Double](repeating: 0, count: (m + 1) * n1)
    s[0] = 1
    for k in 0..<m {
      let row = transform[indices[k]]
      precondition(row.count == newCount, "transform row has the wrong length")
      for a in 0..<newCount { s[(k + 1) * n1 + a + 1] = row[a] }
    }
    // Full symmetric local matrix, then M' = Sᵀ (M S).
    var mFull = [Double](repeating: 0, count: (m + 1) * (m + 1))
    for r in 0...m {
      for c in 0...r {
        let v = packed[Self.packedIndex(r, c)]
        mFull[r * (m + 1) + c] = v
        mFull[c * (m + 1) + r] = v
      }
    }
    var ms = [Double](repeating: 0, count: (m + 1) * n1)
    for r in 0...m {
      for c in 0...m {
        let v = mFull[r * (m + 1) + c]
        if v == 0 { continue }
        for b in 0..<n1 { ms[r * n1 + b] += v * s[c * n1 + b] }
      }
    }
    var full = [Double](repeating: 0, count: n1 * (n1 + 1) / 2)
    for a in 0..<n1 {
      for b in 0...a {
        var t = 0.0
        for r in 0...m { t += s[r * n1 + a] * ms[r * n1 + b] }
        full[Self.packedIndex(a, b)] = t
      }
    }
    return QuadraticForm(indices: Array(0..<newCount), packedLowerTriangle: full)
  }

  /// Drops indices whose row and column are entirely zero (canonical form).
  mutating func prune() {
    let m = indices.count
    guard m > 0 else { return }
    var keep: [Int] = []  // local slots 1…m kept
    for r in 1...m {
      var nonzero = false
      for c in 0...m where packed[Self.packedIndex(max(r, c), min(r, c))] != 0 {
        nonzero = true
        break
      }
      if nonzero { keep.append(r) }
    }
    if keep.count == m { return }
    let slots = [0] + keep
    var p = [Double](repeating: 0, count: (slots.count) * (slots.count + 1) / 2)
    for r in 0..<slots.count {
      for c in 0...r { p[Self.packedIndex(r, c)] = packed[Self.packedIndex(slots[r], slots[c])] }
    }
    indices = keep.map { indices[$0 - 1] }
    packed = p
  }
}

/// An unordered pair of coefficient indices, stored with `first ≤ second`.
public struct IndexPair: Sendable, Hashable {
  public let first: Int
  public let second: Int
  public init(_ a: Int, _ b: Int) {
    first = min(a, b)
    second = max(a, b)
  }
}

@inline(__always) private func packedIndex(_ r: Int, _ c: Int) -> Int { r * (r + 1) / 2 + c }

// MARK: - Second-order series algebra (used by the Taylor-expanded ratio)

/// A polynomial kept to second order in θ on a dense set of global indices:
/// p(θ) = c + Σ_i l_i θ_i + Σ_{i,j} S_ij θ_i θ_j with S symmetric (full double sum).
struct SeriesPolynomial {
  var indices: [Int]
  var c: Double
  var l: [Double]
  var s: [Double]  // m×m row-major, symmetric

  init(_ form: QuadraticForm, on indices: [Int]) {
    self.indices = indices
    let m = indices.count
    c = form.constant
    l = indices.map { form.linearCoefficient($0) }
    s = [Double](repeating: 0, count: m * m)
    for a in 0..<m {
      for b in 0..<m { s[a * m + b] = form.matrixElement(indices[a] + 1, indices[b] + 1) }
    }
  }

  /// (self · other) kept to second order.
  func times(_ o: SeriesPolynomial) -> SeriesPolynomial {
    var r = self
    let m = indices.count
    r.c = c * o.c
    for a in 0..<m { r.l[a] = c * o.l[a] + o.c * l[a] }
    for a in 0..<m {
      for b in 0..<m {
        r.s[a * m + b] =
          c * o.s[a * m + b] + o.c * s[a * m + b] + 0.5 * (l[a] * o.l[b] + l[b] * o.l[a])
      }
    }
    return r
  }

  /// 1/self kept to second order: 1/c − (l·θ)/c² − θᵀSθ/c² + (l·θ)²/c³.
  func reciprocal() -> SeriesPolynomial {
    var r = self
    let m = indices.count
    precondition(c != 0, "cannot expand 1/p around a zero constant term")
    r.c = 1 / c
    for a in 0..<m { r.l[a] = -l[a] / (c * c) }
    for a in 0..<m {
      for b in 0..<m { r.s[a * m + b] = -s[a * m + b] / (c * c) + l[a] * l[b] / (c * c * c) }
    }
    return r
  }

  var form: QuadraticForm {
    let m = indices.count
    var p = [Double](repeating: 0, count: (m + 1) * (m + 2) / 2)
    p[0] = c
    for a in 0..<m {
      p[packedIndex(a + 1, 0)] = l[a] / 2
      for b in 0...a { p[packedIndex(a + 1, b + 1)] = s[a * m + b] }
    }
    return QuadraticForm(indices: indices, packedLowerTriangle: p)
  }
}

extension QuadraticForm {
  /// Π numerators / Π denominators, Taylor-expanded to second order in θ around θ = 0 (the
  /// denominators must have a non-zero constant). With unit constants and one factor each this is
  /// STXStoSMEFT's `expand_equations`:
  ///
  ///     A_j  = A_j^P + A_j^f − A_j^tot
  ///     B_jj = B_jj^P + B_jj^f − B_jj^tot + A_j^P A_j^f − A_j^P A_j^tot − A_j^f A_j^tot + (A_j^tot)²
  ///     B_jk = B_jk^P + B_jk^f − B_jk^tot + A_j^P A_k^f + A_k^P A_j^f − A_j^P A_k^tot − A_k^P A_j^tot
  ///            − A_j^f A_k^tot − A_k^f A_j^tot + 2 A_j^tot A_k^tot
  public static func expandedRatio(numerators: [QuadraticForm], denominators: [QuadraticForm])
    -> QuadraticForm
  {
    let all = Set((numerators + denominators).flatMap { $0.indices }).sorted()
    var acc = SeriesPolynomial(QuadraticForm(constant: 1), on: all)
    for f in numerators { acc = acc.times(SeriesPolynomial(f, on: all)) }
    for f in denominators { acc = acc.times(SeriesPolynomial(f, on: all).reciprocal()) }
    return acc.form
  }
}

/// A yield scaling μ(θ) evaluated by a pointer kernel (value and weighted gradient in one pass, no
/// allocation): `QuadraticForm`, `CompiledScaling`. The array forms below are for callers outside
/// hot loops.
public protocol ScalingKernel {
  /// μ(θ); with a non-nil `gradient`, `weight · ∂μ/∂θ_i` is added to `gradient[i]`.
  func evaluate(_ theta: UnsafeBufferPointer<Double>, gradient: UnsafeMutablePointer<Double>?, weight: Double) -> Double
}

extension ScalingKernel {
  /// μ(θ). `theta` is the full global coefficient vector.
  public func value(at theta: [Double]) -> Double {
    theta.withUnsafeBufferPointer { evaluate($0, gradient: nil, weight: 0) }
  }

  /// μ(θ), and `weight · ∂μ/∂θ_i` **added** to `gradient[i]` for every i μ depends on.
  public func valueAndGradient(at theta: [Double], accumulatingInto gradient: inout [Double], weight: Double = 1) -> Double {
    precondition(gradient.count >= theta.count, "gradient shorter than theta")
    return theta.withUnsafeBufferPointer { t in
      gradient.withUnsafeMutableBufferPointer { g in
        evaluate(t, gradient: g.baseAddress, weight: weight)
      }
    }
  }
}
