/// A wiring or shape error found while building or verifying a graph.
public struct GraphError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The human-readable reason, without location (the syntax layer adds `file:line:col`).
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
