//===--- TextUtilities.swift ----------------------------------------------===//
// Small text helpers shared by the parser, the writer and combine-cards.
//===----------------------------------------------------------------------===//

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shell-style wildcard match (`*`, `?`, `[...]`), as Python's `fnmatch.fnmatch` on POSIX
/// (case-sensitive). Combine uses it for rateParam and autoMCStats channel/process patterns.
public func fnmatch(_ pattern: String, _ string: String) -> Bool {
  #if canImport(Glibc) || canImport(Darwin)
  return pattern.withCString { p in string.withCString { s in fnmatch(p, s, 0) == 0 } }
  #else
  return pattern == string
  #endif
}

/// Formats a number so that it reads back to exactly the same Double: integers without a
/// decimal point (`1`, `3416`), everything else in Swift's shortest round-trip form (`1.025`, `1e-06`).
public func formatNumber(_ v: Double) -> String {
  if v.isFinite, v == v.rounded(), abs(v) < 1e15 {
    return String(Int64(v))
  }
  return v.description
}

/// Parses a number the way Python's `float()` does for datacard tokens (`1`, `1.`, `.5`, `1e-3`,
/// `inf`, `nan`); returns nil for anything else — hexadecimal (`0x10`, which Swift's `Double`
/// would read as 16) and tokens holding a NUL or another control character (Swift's `Double`
/// stops at a NUL: `1.\0\011` would read as 1.0).
func parseDouble(_ token: Substring) -> Double? {
  guard !token.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "x" || $0 == "X" }) else { return nil }
  if let v = Double(token) { return v }
  // Python accepts "1_000" in float(); Swift does not. Also accept a leading '+'.
  if token.hasPrefix("+"), let v = Double(token.dropFirst()) { return v }
  if token.contains("_"), let v = Double(String(token.filter { $0 != "_" })) { return v }
  return nil
}

/// Python's `re.match(pattern, s)`: the regex must match at the start of `s` (not necessarily to the end).
func regexMatchesPrefix(_ pattern: String, _ s: String) -> Bool {
  guard let re = try? Regex(pattern) else { return false }
  return (try? re.prefixMatch(in: s)) != nil
}

/// Python's `re.fullmatch(pattern, s)`.
func regexMatchesWhole(_ pattern: String, _ s: String) -> Bool {
  guard let re = try? Regex(pattern) else { return false }
  return (try? re.wholeMatch(in: s)) != nil
}

/// Parses `[lo,hi]` into a range; nil when malformed or lo > hi.
func parseRange(_ token: String) -> ClosedRange<Double>? {
  guard token.hasPrefix("["), token.hasSuffix("]") else { return nil }
  let inner = token.dropFirst().dropLast()
  let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
  guard parts.count == 2, let lo = parseDouble(parts[0]), let hi = parseDouble(parts[1]), lo <= hi else {
    return nil
  }
  return lo...hi
}

/// Parses the arguments of a `param` line: `mean sigma [range]` or `mean -σL/+σR [range]`.
func parseParamArguments(_ args: [String], location: SourceLocation?) throws -> ParamConstraint {
  guard args.count >= 2 else {
    throw DatacardError("a 'param' line needs a mean and a sigma ('name param MEAN SIGMA [lo,hi]')",
                        at: location, text: args.joined(separator: " "))
  }
  guard let mean = parseDouble(Substring(args[0])), mean.isFinite else {
    throw DatacardError("expected a finite number for the mean of 'param', found '\(args[0])'", at: location, text: args[0])
  }
  var lo: Double, hi: Double, asym = false
  let s = args[1]
  if s.contains("/") {
    let parts = s.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].hasPrefix("-"), parts[1].hasPrefix("+"),
      let l = parseDouble(parts[0].dropFirst()), let h = parseDouble(parts[1].dropFirst())
    else {
      throw DatacardError("expected an asymmetric sigma written '-σL/+σR' (both signs required), found '\(s)'",
                          at: location, text: s)
    }
    lo = l; hi = h; asym = true
  } else {
    guard let v = parseDouble(Substring(s)) else {
      throw DatacardError("expected a number for the sigma of 'param', found '\(s)'", at: location, text: s)
    }
    lo = v; hi = v
  }
  guard lo > 0, hi > 0, lo.isFinite, hi.isFinite else {
    throw DatacardError("the sigma of a 'param' must be positive and finite, found '\(s)'", at: location, text: s)
  }
  var range: ClosedRange<Double>?
  if args.count >= 3 {
    guard let r = parseRange(args[2]) else {
      throw DatacardError("expected a range '[lo,hi]' with lo ≤ hi as third 'param' argument, found '\(args[2])'",
                          at: location, text: args[2])
    }
    range = r
  }
  return ParamConstraint(mean: mean, sigmaLow: lo, sigmaHigh: hi, isAsymmetric: asym, explicitRange: range)
}
