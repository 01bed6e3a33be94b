/// Elementwise sum of two or more same-shaped inputs.
public struct Add: Hashable, Sendable {
    /// Why the sum exists; pruning treats the two roles alike (union of kept channels) but
    /// reports and emitters name them differently.
    public enum Role: String, Hashable, Sendable {
        /// A residual block's branch plus its shortcut.
        case residual
        /// A candidate-op layer: the plain sum of every candidate's output (ProxylessNAS as DNAL runs it).
        case candidates
        /// A user-written `add` of named layers.
        case plain
    }
    public var role: Role

    public init(role: Role) {
        self.role = role
    }
}
