import Foundation
import Testing
import TestSupport

@testable import InformationTrees

@Suite struct ToyTests {
  /// The ZH generator's PDF lookups and weights equal the reference's for the events in zh_2k.
  @Test(.needsReference) func zhWeightsMatchReference() throws {
    let zh = try ZHToy(pdfDirectory: BITReference.path("zh-pdf-tables"))
    let table = try Table.readCSV(BITReference.path("zh_2k.csv.gz"))
    let events = try Events(table: table, columns: EventColumns(
      coefficients: ZHToy.coefficients, quadratic: true, features: ZHToy.featureNames))
    let n = events.count
    #expect(n == 2000)
    // PDF values
    var worstPDF = 0.0
    let names = ["d", "u", "s", "c", "b"]
    let cols = names.map { q in
      ["pdf_\(q)_q_x1", "pdf_\(q)_qbar_x2", "pdf_\(q)_qbar_x1", "pdf_\(q)_q_x2"].map { table.column($0)! }
    }
    for i in 0..<n {
      let (x1, x2) = ZHToy.momentumFractions(sqrtSHat: events.feature(i, 0), y: events.feature(i, 2))
      for q in 0..<5 {
        let mine = [zh.quark[q].value(x1), zh.antiquark[q].value(x2), zh.antiquark[q].value(x1), zh.quark[q].value(x2)]
        for j in 0..<4 { worstPDF = max(worstPDF, abs(mine[j] - cols[q][j][i]) / max(abs(cols[q][j][i]), 1e-300)) }
      }
    }
    #expect(worstPDF < 1e-12, "PDF lookups: max relative deviation \(worstPDF)")
    // weights
    var W = [Double](repeating: 0, count: n * 10)
    events.features.withUnsafeBufferPointer { f in
      W.withUnsafeMutableBufferPointer { w in
        for i in 0..<n {
          let (x1, x2) = ZHToy.momentumFractions(sqrtSHat: f[i * 15], y: f[i * 15 + 2])
          ZHToy.weights(features: f.baseAddress! + i * 15, luminosities: zh.luminosities(x1: x1, x2: x2),
                        into: w.baseAddress! + i * 10)
        }
      }
    }
    var worstColumn = 0.0, worstEvent = 0.0
    for c in 0..<10 {
      let ref = events.weightColumn(c)
      let scale = ref.map(abs).max()!
      for i in 0..<n {
        let d = abs(W[i * 10 + c] - ref[i])
        worstColumn = max(worstColumn, d / scale)
        if c < 4 || [4, 7, 9].contains(c) { worstEvent = max(worstEvent, d / abs(ref[i])) }
      }
    }
    print("ZH weights: max |Δ|/max|ref| = \(worstColumn), max per-event relative (w_0, linear, diagonal) = \(worstEvent)")
    #expect(worstColumn < 1e-12)
    #expect(worstEvent < 1e-9)
  }

  @Test(.needsReference) func zhGeneratorIsDeterministicAndPositive() throws {
    let zh = try ZHToy(pdfDirectory: BITReference.path("zh-pdf-tables"))
    let a = zh.generate(count: 500, seed: 7), b = zh.generate(count: 500, seed: 7)
    #expect(a.features == b.features && a.weights == b.weights)
    // w(θ) ≥ 0 for a few θ, and rs in range
    for i in 0..<a.count {
      #expect(a.weight(i, 0) > 0)
      let rs = a.feature(i, 0)
      #expect(rs >= 216.2 && rs <= 2262)
    }
  }

  /// Learned score against the analytic one on the closure toys.
  @Test(arguments: ClosureToy.allCases) func closure(_ toy: ClosureToy) throws {
    let train = toy.generate(count: 50_000, seed: 1)
    let test = toy.generate(count: 50_000, seed: 2)
    let config = BITConfig(trees: 50, learningRate: 0.2, maxDepth: 5, minSize: 50, mode: .histogram)
    let model = try trainBIT(train, config: config)
    let F = model.predict(features: test.features)
    let w = test.weightColumn(0), d = test.weightColumn(1)
    let frac = fisherFraction(w: w, wPrime: d, score: F)
    let edges = equalYieldEdges(statistic: F, weights: w, bins: 20)
    let binned = binnedFisherInformation(statistic: F, edges: edges, w: w, wPrime: d)
    let unbinned = zip(w, d).reduce(0.0) { $0 + $1.1 * $1.1 / $1.0 }
    print("\(toy): learned Σw'F/Σw'² = \(frac), 20 equal-yield bins keep \(binned / unbinned)")
    // Σw'F/Σw'² = 1 for the exact score; an over- or under-scaled score misses it either way.
    #expect(abs(frac - 1) < 1e-3)
    #expect(binned / unbinned >= 0.98)
  }
}

/// The ZH toy's built-in parton densities (used without the reference's tables).
@Suite struct BuiltinPDFTests {
  /// ∫₀¹ f(x) dx by the trapezoid rule on a grid log-spaced from 1e-9 (midpoint in ln x).
  static func integral(_ f: (Double) -> Double) -> Double {
    let n = 200_000
    var s = 0.0
    for k in 0..<n {
      let l0 = log(1e-9) * (1 - Double(k) / Double(n)), l1 = log(1e-9) * (1 - Double(k + 1) / Double(n))
      let x = exp(0.5 * (l0 + l1))
      s += f(x) * x * (l1 - l0)  // dx = x d(ln x)
    }
    return s
  }

  /// The valence number sum rules, which the fitted shapes were not made to satisfy:
  /// ∫(u − ū) dx = 2 and ∫(d − d̄) dx = 1.
  @Test func valenceSumRules() {
    let q = BuiltinPDF.quarks, a = BuiltinPDF.antiquarks
    let uv = Self.integral { BuiltinPDF.density(q[1], $0) - BuiltinPDF.density(a[1], $0) }
    let dv = Self.integral { BuiltinPDF.density(q[0], $0) - BuiltinPDF.density(a[0], $0) }
    #expect(abs(uv - 2) < 0.01, "∫u_v = \(uv)")
    #expect(abs(dv - 1) < 0.01, "∫d_v = \(dv)")
    // Strange, charm and bottom have no valence part.
    for k in 2..<5 { #expect(Self.integral { BuiltinPDF.density(q[k], $0) - BuiltinPDF.density(a[k], $0) } == 0) }
  }

  /// Where the reference's tables are: the built-in densities follow them, the valence-dominated
  /// u and d within 5% for 10⁻³ < x < 0.5, every sea density within 10% for 10⁻⁴ < x < 0.1.
  @Test(.needsReference) func builtinFollowsTheReferenceTables() throws {
    let tables = try ZHToy(pdfDirectory: BITReference.path("zh-pdf-tables"))
    let builtin = ZHToy()
    for x in stride(from: -3.0, through: log10(0.5), by: 0.1).map({ pow(10, $0) }) {
      for q in 0..<2 {
        let r = builtin.quark[q].value(x) / tables.quark[q].value(x)
        #expect(abs(r - 1) < 0.05, "quark \(q) at x = \(x): ratio \(r)")
      }
    }
    for x in stride(from: -4.0, through: -1.0, by: 0.1).map({ pow(10, $0) }) {
      for q in 0..<5 {
        let r = builtin.antiquark[q].value(x) / tables.antiquark[q].value(x)
        #expect(abs(r - 1) < 0.10, "antiquark \(q) at x = \(x): ratio \(r)")
      }
    }
  }

  /// `bit generate zh` needs no tables: events with finite, positive SM weights.
  @Test func toyRunsWithoutTables() {
    let ev = ZHToy().generate(count: 500, seed: 3)
    #expect(ev.count == 500)
    let w0 = ev.weightColumn(0)
    #expect(w0.allSatisfy { $0.isFinite && $0 >= 0 } && w0.contains { $0 > 0 })
  }
}
