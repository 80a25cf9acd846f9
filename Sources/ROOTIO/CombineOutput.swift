//===--- CombineOutput.swift ----------------------------------------------===//
// Combine's output files: `higgsCombine<NAME>.<METHOD>.mH<MASS>[.<SEED>].root` holding the `limit`
// tree, with Combine's branches, order and types (bin/combine.cpp and MultiDimFit.cc):
//   limit/D limitErr/D mh/D syst/I iToy/I iSeed/I iChannel/I t_cpu/F t_real/F quantileExpected/F,
//   then the POIs and saved nuisances /F (MultiDimFit), deltaNLL/F, and nll/D nll0/D (--saveNLL).
//===----------------------------------------------------------------------===//

import Foundation
import Support

public enum CombineOutput {
  /// Combine's default seed; a toy name (`.SEED`) is added to file names when the seed differs or
  /// toys are run (combine.cpp).
  public static let defaultSeed = 123456

  /// `higgsCombine<name>.<method>.mH<mass>.[<seed>.]root`: the mass as `%g`, the seed when
  /// `toys` > 0 or the seed is not 123456 (as combine.cpp names its output). Combine's `-n` value is
  /// `name` as given (default "Test").
  public static func fileName(name: String = "Test", method: String, mass: Double, seed: Int = defaultSeed, toys: Int = 0) -> String {
    let massName = "mH" + String(format: "%g", mass) + "."
    let toyName = (toys > 0 || seed != defaultSeed) ? "\(seed)." : ""
    return "higgsCombine\(name).\(method).\(massName)\(toyName)root"
  }

  /// The `limit` tree of `table` (a limit-tree CSV as Recombine writes it), in Combine's branch
  /// order and types. Standard branches the table lacks take Combine's values for a fit without
  /// toys: limit 0, limitErr 0, mh `mass`, syst 1 (0 with `-S 0`), iToy 0, iSeed `seed`,
  /// iChannel 0, t_cpu and t_real 0 (not measured: the tree is reproducible). Every other column
  /// (POIs, saved nuisances) is /F in table order, then deltaNLL /F, then nll and nll0 /D.
  public static func limitTree(_ table: LimitTreeTable, mass: Double, seed: Int = defaultSeed, systematics: Bool = true) -> FlatTree {
    let n = table.rows.count
    func column(_ name: String, _ fallback: Double) -> [Double] { table.column(name) ?? [Double](repeating: fallback, count: n) }
    func ints(_ v: [Double]) -> TreeColumn { .int(v.map { $0.isFinite ? Int32(clamping: Int64($0.rounded())) : 0 }) }
    func floats(_ v: [Double]) -> TreeColumn { .float(v.map(Float.init)) }
    var branches: [(name: String, values: TreeColumn)] = [
      ("limit", .double(column("limit", 0))),
      ("limitErr", .double(column("limitErr", 0))),
      ("mh", .double(column("mh", mass))),
      ("syst", ints(column("syst", systematics ? 1 : 0))),
      ("iToy", ints(column("iToy", 0))),
      ("iSeed", ints(column("iSeed", Double(seed)))),
      ("iChannel", ints(column("iChannel", 0))),
      ("t_cpu", floats(column("t_cpu", 0))),
      ("t_real", floats(column("t_real", 0))),
      ("quantileExpected", floats(column("quantileExpected", -1))),
    ]
    let standard = Set(branches.map(\.name)).union(["deltaNLL", "nll", "nll0"])
    for name in table.header where !standard.contains(name) {
      branches.append((name, floats(table.column(name)!)))
    }
    if let d = table.column("deltaNLL") { branches.append(("deltaNLL", floats(d))) }
    if let v = table.column("nll") { branches.append(("nll", .double(v))) }
    if let v = table.column("nll0") { branches.append(("nll0", .double(v))) }
    return FlatTree(name: "limit", title: "limit", branches: branches)
  }

  /// A limit tree (Combine's or ours) as a table: one column per branch, in order.
  public static func table(_ tree: FlatTree) -> LimitTreeTable {
    let columns = tree.branches.map(\.values.doubles)
    return LimitTreeTable(header: tree.branches.map(\.name),
                          values: (0..<tree.entries).map { k in columns.map { $0[k] } })
  }

  /// Reads a limit tree from Combine's output file (`.root`, its `limit` tree) or a CSV.
  public static func readTable(_ path: String) throws -> LimitTreeTable {
    path.lowercased().hasSuffix(".root") ? table(try ROOTFile(path: path).tree("limit")) : try LimitTreeTable.read(path)
  }

  /// Writes `table` as Combine's output file at `path` (atomically): the `limit` tree (Combine's
  /// `toys` directory is not written: Recombine does not save toys).
  public static func write(_ table: LimitTreeTable, mass: Double, seed: Int = defaultSeed, systematics: Bool = true,
                           to path: String) throws {
    let w = ROOTFileWriter(compression: .zlib(level: 1))
    try w.add(limitTree(table, mass: mass, seed: seed, systematics: systematics), at: "limit")
    try w.write(to: path)
  }
}
