import Foundation
import Testing

@testable import InformationTrees

@Suite struct ToyTests {
  /// The ZH generator's PDF lookups and weights equal the reference's for the events in zh_2k.
  @Test func zhWeightsMatchReference() throws {
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

  @Test func zhGeneratorIsDeterministicAndPositive() throws {
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
