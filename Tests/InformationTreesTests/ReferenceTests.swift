import Foundation
import Testing
import TestSupport

@testable import InformationTrees

/// Reference data of the BIT cross-check (../shared/reference/bit).
enum BITReference {
  static let dir = TestPaths.reference.appendingPathComponent("bit")
  static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
  static func json(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: dir.appendingPathComponent(name))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }
  static let zhFeatures = [
    "sqrt_s_hat", "pT", "y", "cos_theta", "phi_hat", "cos_theta_hat", "fLL", "f1TT", "f2TT", "f1LT", "f2LT",
    "f1tildeLT", "f2tildeLT", "fTTprime", "ftildeTTprime",
  ]
}

func relClose(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool {
  abs(a - b) <= tol * max(abs(a), abs(b)) || a == b
}

/// Compares a flat tree with the reference's nested dump; returns the first difference.
func compareTree(_ t: InformationTree, _ node: Int, _ ref: [String: Any], path: String = "root") -> String? {
  let K = t.weightStride
  if let f = ref["feature"] as? Int {
    guard node >= 0 else { return "\(path): leaf, reference splits on \(f)" }
    if t.feature[node] != f { return "\(path): feature \(t.feature[node]) vs \(f)" }
    let thr = ref["threshold"] as! Double
    if !relClose(t.threshold[node], thr) { return "\(path): threshold \(t.threshold[node]) vs \(thr)" }
    return compareTree(t, t.left[node], ref["left"] as! [String: Any], path: path + ".L")
      ?? compareTree(t, t.right[node], ref["right"] as! [String: Any], path: path + ".R")
  }
  guard node < 0 || t.nodeCount == 0 else { return "\(path): split, reference is a leaf" }
  let l = t.nodeCount == 0 ? 0 : -1 - node
  if t.leafSize[l] != ref["size"] as! Int { return "\(path): size \(t.leafSize[l]) vs \(ref["size"]!)" }
  if let score = ref["score"] as? Double {
    let v = t.leafSums[l * K + 1] / t.leafSums[l * K]
    if !relClose(v, score) { return "\(path): score \(v) vs \(score)" }
  }
  if let sums = ref["coefficient_sum"] as? [Double] {
    for d in 0..<K where !relClose(t.leafSums[l * K + d], sums[d]) {
      return "\(path): coefficient_sum[\(d)] \(t.leafSums[l * K + d]) vs \(sums[d])"
    }
  }
  return nil
}

@Suite struct ReferenceTests {
  @Test(.needsReference) func singleCoefficientBITMatchesReference() throws {
    let ref = try BITReference.json("bit1d_powerlaw_expected.json")
    let cfg = ref["config"] as! [String: Any]
    let events = try Events.read(
      BITReference.path("powerlaw_20k.csv.gz"),
      columns: EventColumns(features: ["x"], weight: "w", derivatives: ["d"]))
    #expect(events.count == 20000)
    let config = BITConfig(
      trees: cfg["n_trees"] as! Int, learningRate: cfg["learning_rate"] as! Double,
      maxDepth: cfg["max_depth"] as! Int, minSize: cfg["min_size"] as! Int, mode: .exact)
    let model = try trainBIT(events, config: config)
    let refTrees = ref["trees"] as! [[String: Any]]
    #expect(model.trees.count == refTrees.count)
    for (b, (t, r)) in zip(model.trees, refTrees).enumerated() {
      let diff = compareTree(t, t.nodeCount == 0 ? -1 : 0, r)
      #expect(diff == nil, "tree \(b): \(diff ?? "")")
    }
    // Σ_i d_i F_b(x_i) by stage
    let stages = ref["sum_d_times_F_by_stage"] as! [Double]
    let d = events.weightColumn(1)
    var worstStage = 0.0
    defer { print("single BIT: max relative deviation of Σ d·F by stage from the reference: \(worstStage)") }
    for b in 0..<stages.count {
      let F = model.predict(features: events.features, treeLimit: b + 1)
      var s = 0.0
      for i in 0..<events.count { s += d[i] * F[i] }
      worstStage = max(worstStage, abs(s - stages[b]) / abs(stages[b]))
      #expect(relClose(s, stages[b]), "stage \(b): \(s) vs \(stages[b])")
    }
    let grid = ref["F_on_grid"] as! [String: Any]
    let gx = grid["x"] as! [Double], gF = grid["F"] as! [Double]
    let pred = model.predict(features: gx)
    for j in 0..<gx.count { #expect(relClose(pred[j], gF[j]), "F(\(gx[j])) = \(pred[j]) vs \(gF[j])") }
  }

  /// The multi-coefficient BIT on 2k ZH events (coefficient_sum of every leaf, predictions).
  static func trainZHReference(mode: SplitMode, trees: Int? = nil, maxDepth: Int? = nil) throws -> (BITModel, Events, [String: Any]) {
    let ref = try BITReference.json("multibit_zh_expected.json")
    let cfg = ref["config"] as! [String: Any]
    let ders = (ref["derivatives_order_of_coefficient_sum"] as! [[String]])
    let coefficients = ["cHQ3", "cHW", "cHWtil"]
    let events = try Events.read(
      BITReference.path("zh_2k.csv.gz"),
      columns: EventColumns(coefficients: coefficients, quadratic: true, features: BITReference.zhFeatures))
    // the reference derivative order is the canonical one for sorted coefficient names
    let mine = [[]] + events.derivatives.map { $0.map { coefficients[$0] } }
    #expect(mine == ders)
    let bps = (ref["base_points"] as! [[String: Any]]).map { bp in
      coefficients.map { c in (bp[c] as? NSNumber)?.doubleValue ?? 0 }
    }
    let config = BITConfig(
      trees: trees ?? cfg["n_trees"] as! Int, learningRate: cfg["learning_rate"] as! Double,
      maxDepth: maxDepth ?? cfg["max_depth"] as! Int, minSize: cfg["min_size"] as! Int, mode: mode)
    return (try trainBIT(events, config: config, basePoints: bps), events, ref)
  }

  @Test(.needsReference) func multiCoefficientBITMatchesReference() throws {
    let (model, events, ref) = try Self.trainZHReference(mode: .exact)
    let refTrees = ref["trees"] as! [[String: Any]]
    #expect(model.trees.count == refTrees.count)
    for (b, (t, r)) in zip(model.trees, refTrees).enumerated() {
      let diff = compareTree(t, t.nodeCount == 0 ? -1 : 0, r)
      #expect(diff == nil, "tree \(b): \(diff ?? "")")
    }
    let P = model.predict(features: events.features)
    let D = model.learnedCount
    let first = ref["prediction_first_50_events"] as! [[Double]]
    var worst = 0.0
    for i in 0..<50 { for d in 0..<D { worst = max(worst, abs(P[i * D + d] - first[i][d]) / abs(first[i][d])) } }
    print("multi-BIT: max relative deviation of the first 50 predictions from the reference: \(worst)")
    #expect(worst < 1e-9, "max relative deviation of the predictions \(worst)")
    let sums = ref["prediction_column_sums"] as! [Double]
    for d in 0..<D {
      var s = 0.0
      for i in 0..<events.count { s += P[i * D + d] }
      #expect(relClose(s, sums[d]), "column \(d): \(s) vs \(sums[d])")
    }
  }
}
