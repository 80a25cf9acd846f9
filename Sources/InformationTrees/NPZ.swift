//===--- NPZ.swift --------------------------------------------------------===//
// NumPy .npz archives (zip of .npy arrays): read 1D/2D float64 arrays, write 1D columns.
//===----------------------------------------------------------------------===//

import CCompression
import Foundation

/// Reads a `.npz` archive into a table. 1D arrays become columns named by the array; a 2D
/// `[N, K]` array `a` becomes columns `a_0 … a_{K−1}`. Only little-endian float64/float32/int
/// arrays are supported.
public func readNPZ(_ path: String) throws -> Table {
  throw BITError(".npz input is not supported yet: \(path)")
}

/// Writes a table as a `.npz` archive with one 1D float64 array per column.
public func writeNPZ(_ table: Table, to path: String) throws {
  throw BITError(".npz output is not supported yet: \(path)")
}
