/// The DSL's vocabulary: every op, its attribute keys, and the header keys. One table, read by the
/// parser for validation and "did you mean" hints, and checked against Grammar.md by a test.
public enum Schema {
    /// Keys every layer item accepts besides its op's own.
    public static let commonKeys = ["name", "when", "from"]

    /// Each op's own keys, in the order Grammar.md documents them.
    public static let opKeys: [String: [String]] = [
        "conv": ["out", "kernel", "stride", "padding", "groups", "depthwise", "bias", "bn", "gate", "act", "prunable", "scale"],
        "linear": ["out", "bias", "bn", "act"],
        "bn": ["eps", "momentum"],
        "gate": [],
        "relu": [],
        "relu6": [],
        "maxpool": ["kernel", "stride", "padding"],
        "avgpool": ["kernel", "stride", "padding"],
        "gap": [],
        "flatten": [],
        "dropout": ["p"],
        "identity": [],
        "zeropad": ["out", "stride", "align", "offset", "scale"],
        "gather": ["channels"],
        "scatter": ["out", "channels"],
        "add": ["role"],
        "concat": [],
        "residual": ["branch", "shortcut", "shortcut_when", "act", "gate"],
        "choice": ["ops", "shortcut", "shortcut_when", "gate"],
        "seq": ["layers", "gate"],
        "repeat": ["times", "var", "layers", "gate"],
    ]

    /// Every op name, sorted.
    public static var opNames: [String] { opKeys.keys.sorted() }

    /// Block ops, whose `gate:` is the default for every conv inside them.
    public static let blockOps: Set<String> = ["residual", "choice", "seq", "repeat"]

    /// Ops whose `from` is a list of two or more layers rather than one.
    public static let multiInputOps: Set<String> = ["add", "concat"]

    /// Top-level keys of a network file.
    public static let headerKeys = ["network", "input", "classes", "width_multiplier", "width_divisor",
                                    "defaults", "templates", "search", "layers"]

    /// Keys of a template definition.
    public static let templateKeys = ["params", "layers"]

    /// Keys of the `search:` section.
    public static let searchKeys = ["lambda", "epochs", "batch", "lr", "momentum", "weight_decay",
                                    "threshold", "beta_final", "seed", "target_flops", "target_params",
                                    "target_tolerance", "target_gain", "target_rate", "lr_schedule", "beta_schedule",
                                    "augment", "init"]

    /// Keys of a `bn:` mapping inside conv and linear.
    public static let bnKeys = ["eps", "momentum"]

    /// Names the expression language reserves; templates may not use them as parameters.
    public static let reservedVariables: Set<String> = ["in", "classes", "true", "false", "and", "or", "not", "if", "else"]
}
