//===--- JSONPatch.swift --------------------------------------------------===//
// RFC 6902 JSON Patch on parsed JSON (the `[String: Any]` / `[Any]` trees of `ExactJSONParser`),
// as HEPData ships pyhf signal points: `patch.X.json` applied to a background-only workspace.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// Applies RFC 6902 patches: `add`, `remove`, `replace`, `move`, `copy`, `test`, with RFC 6901
/// pointers (`~1` = `/`, `~0` = `~`, `-` = the end of an array for `add`).
public enum JSONPatch {
  /// Applies the operations of `patch` (a JSON array) to `document` in order; `source` names the
  /// patch in errors ("patch.json, operation 3 (add /channels/0/samples/5): …").
  public static func apply(_ patch: Any, to document: Any, source: String) throws -> Any {
    guard let ops = patch as? [Any] else { throw WorkspaceError("\(source): a JSON Patch is an array of operations") }
    var doc = document
    for (k, raw) in ops.enumerated() {
      guard let op = raw as? [String: Any], let name = op["op"] as? String, let path = op["path"] as? String else {
        throw WorkspaceError("\(source), operation \(k): expected an object with \"op\" and \"path\"")
      }
      let here = "\(source), operation \(k) (\(name) \(path))"
      do {
        switch name {
        case "add":
          guard let v = op["value"] else { throw WorkspaceError("missing \"value\"") }
          doc = try add(v, at: try pointer(path), in: doc)
        case "remove":
          doc = try remove(at: try pointer(path), in: doc).document
        case "replace":
          guard let v = op["value"] else { throw WorkspaceError("missing \"value\"") }
          let p = try pointer(path)
          doc = try add(v, at: p, in: try remove(at: p, in: doc).document)
        case "move", "copy":
          guard let from = op["from"] as? String else { throw WorkspaceError("missing \"from\"") }
          let f = try pointer(from)
          let value = try get(f, in: doc)
          if name == "move" { doc = try remove(at: f, in: doc).document }
          doc = try add(value, at: try pointer(path), in: doc)
        case "test":
          guard let v = op["value"] else { throw WorkspaceError("missing \"value\"") }
          guard equal(try get(try pointer(path), in: doc), v) else { throw WorkspaceError("the test failed: the value differs") }
        default:
          throw WorkspaceError("unknown operation '\(name)' (add, remove, replace, move, copy, test)")
        }
      } catch let e as WorkspaceError {
        throw WorkspaceError("\(here): \(e.message)")
      }
    }
    return doc
  }

  /// The reference tokens of an RFC 6901 pointer.
  static func pointer(_ s: String) throws -> [String] {
    if s.isEmpty { return [] }
    guard s.hasPrefix("/") else { throw WorkspaceError("'\(s)' is not a JSON pointer (it must start with /)") }
    return s.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
      $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }
  }

  static func index(_ token: String, count: Int, allowEnd: Bool) throws -> Int {
    if allowEnd && token == "-" { return count }
    guard let i = Int(token), i >= 0, String(i) == token, i < count + (allowEnd ? 1 : 0) else {
      throw WorkspaceError("'\(token)' is not an index of an array of \(count)")
    }
    return i
  }

  static func get(_ p: [String], in doc: Any) throws -> Any {
    var cur = doc
    for t in p {
      if let o = cur as? [String: Any] {
        guard let v = o[t] else { throw WorkspaceError("no member '\(t)'") }
        cur = v
      } else if let a = cur as? [Any] {
        cur = a[try index(t, count: a.count, allowEnd: false)]
      } else {
        throw WorkspaceError("'\(t)' goes into a value that is neither an object nor an array")
      }
    }
    return cur
  }

  static func add(_ value: Any, at p: [String], in doc: Any) throws -> Any {
    guard let t = p.first else { return value }
    let rest = Array(p.dropFirst())
    if var o = doc as? [String: Any] {
      if rest.isEmpty { o[t] = value } else {
        guard let child = o[t] else { throw WorkspaceError("no member '\(t)'") }
        o[t] = try add(value, at: rest, in: child)
      }
      return o
    }
    if var a = doc as? [Any] {
      if rest.isEmpty {
        a.insert(value, at: try index(t, count: a.count, allowEnd: true))
      } else {
        let i = try index(t, count: a.count, allowEnd: false)
        a[i] = try add(value, at: rest, in: a[i])
      }
      return a
    }
    throw WorkspaceError("'\(t)' goes into a value that is neither an object nor an array")
  }

  static func remove(at p: [String], in doc: Any) throws -> (document: Any, removed: Any) {
    guard let t = p.first else { throw WorkspaceError("cannot remove the whole document") }
    let rest = Array(p.dropFirst())
    if var o = doc as? [String: Any] {
      guard let child = o[t] else { throw WorkspaceError("no member '\(t)'") }
      if rest.isEmpty {
        o[t] = nil
        return (o, child)
      }
      let r = try remove(at: rest, in: child)
      o[t] = r.document
      return (o, r.removed)
    }
    if var a = doc as? [Any] {
      let i = try index(t, count: a.count, allowEnd: false)
      if rest.isEmpty {
        let removed = a.remove(at: i)
        return (a, removed)
      }
      let r = try remove(at: rest, in: a[i])
      a[i] = r.document
      return (a, r.removed)
    }
    throw WorkspaceError("'\(t)' goes into a value that is neither an object nor an array")
  }

  /// JSON equality (numbers by value, objects by key set).
  public static func equal(_ a: Any, _ b: Any) -> Bool {
    switch (a, b) {
    case let (x as [String: Any], y as [String: Any]):
      return x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
    case let (x as [Any], y as [Any]):
      return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
    case let (x as String, y as String): return x == y
    case let (x as Bool, y as Bool): return x == y
    case (is NSNull, is NSNull): return true
    default:
      if let x = jsonNumber(a), let y = jsonNumber(b) { return x == y }
      return false
    }
  }
}
