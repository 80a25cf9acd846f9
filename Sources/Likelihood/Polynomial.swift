//===--- Polynomial.swift -------------------------------------------------===//
// Polynomials in named parameters: the one text grammar of products (`2.5*cHW^2*cHB`) that the
// EFT formats and the Gaussian measurements read, and sparse polynomials of any degree.
//===----------------------------------------------------------------------===//

import Foundation

/// The text grammar of polynomial terms.
///
/// A product is `*`-separated factors, each a number (where allowed) or a parameter name
/// optionally raised to a positive integer power (`name^k`); a name starts with a letter or `_`
/// and holds letters, digits and `_`. Whitespace around factors is ignored.
public enum PolynomialGrammar {
  /// A malformed product.
  public struct SyntaxError: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// The numeric coefficient (the product of the number factors, 1 without any) and the names of
  /// a product, each repeated as often as its power.
  public static func product(_ text: String, allowNumbers: Bool) throws -> (coefficient: Double, names: [String]) {
    var coefficient = 1.0
    var names: [String] = []
    for raw in text.split(separator: "*", omittingEmptySubsequences: false) {
      let factor = raw.trimmingCharacters(in: .whitespaces)
      if allowNumbers, let v = Double(factor) {
        coefficient *= v
        continue
      }
      let parts = factor.split(separator: "^", omittingEmptySubsequences: false)
      guard parts.count <= 2, let name = parts.first, let first = name.first, first.isLetter || first == "_",
        name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
      else {
        throw SyntaxError(description: "cannot parse factor '\(factor)': expected \(allowNumbers ? "a number, " : "")name or name^k")
      }
      var power = 1
      if parts.count == 2 {
        guard let k = Int(parts[1]), k >= 1 else { throw SyntaxError(description: "bad power in '\(factor)'") }
        power = k
      }
      names += Array(repeating: String(name), count: power)
    }
    return (coefficient, names)
  }
}

/// A sparse polynomial Σ_t a_t Π_{v ∈ t} x_v over named parameters (monomials of any degree).
public struct SparsePolynomial: Sendable, Equatable {
  public var constant: Double
  /// Each term: coefficient and the parameter indices of its factors (with repetition for powers).
  public var terms: [(coefficient: Double, variables: [Int])]

  public init(constant: Double, terms: [(coefficient: Double, variables: [Int])]) {
    self.constant = constant
    self.terms = terms
  }

  public static func == (a: SparsePolynomial, b: SparsePolynomial) -> Bool {
    a.constant == b.constant && a.terms.count == b.terms.count
      && zip(a.terms, b.terms).allSatisfy { $0.coefficient == $1.coefficient && $0.variables == $1.variables }
  }

  /// Parses a monomial key: `cHW`, `cHW^2`, `cHW*cHB`, `cHW^2*cHB` (spaces allowed; the grammar
  /// of `PolynomialGrammar.product`, without numbers).
  public static func parseMonomial(_ key: String) throws -> [String] {
    do {
      let (c, names) = try PolynomialGrammar.product(key, allowNumbers: false)
      precondition(c == 1)
      return names
    } catch let e as PolynomialGrammar.SyntaxError {
      throw LikelihoodError("bad monomial '\(key)': \(e.description)")
    }
  }

  /// p(x).
  public func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    var s = constant
    for t in terms {
      var m = t.coefficient
      for v in t.variables { m *= x[v] }
      s += m
    }
    return s
  }

  /// p(x) and ∂p/∂x added into `g` (zeroed by the caller).
  public func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutablePointer<Double>) -> Double {
    var s = constant
    for t in terms {
      let vs = t.variables
      var m = t.coefficient
      for v in vs { m *= x[v] }
      s += m
      // ∂/∂x_{v_k} of a·Π x_{v_m}: the product without factor k (product rule over repeats).
      for k in vs.indices {
        var d = t.coefficient
        for (j, v) in vs.enumerated() where j != k { d *= x[v] }
        g[vs[k]] += d
      }
    }
    return s
  }
}

