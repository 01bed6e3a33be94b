/// Which training augmentation a run uses (`augment` in `search:` and `--set`).
public enum AugmentChoice: String, Hashable, Sendable, CaseIterable, Codable {
    /// What suits the data: CIFAR-10 crop (4-pixel padding) and flip; Fashion-MNIST crop (2) and
    /// flip; digits and other MNIST-family sets crop (2) only, since a flip changes a digit.
    case auto
    /// The images as they are.
    case none
    /// A random crop from the image padded with zeros (4 pixels for CIFAR-10, 2 otherwise).
    case crop
    /// The crop and a random horizontal flip.
    case cropFlip = "crop+flip"
}

/// How a run initialises the weights it does not load (`init` in `search:` and `--set`).
public enum WeightInitialization: String, Hashable, Sendable, CaseIterable, Codable {
    /// The DNAL reference's: conv weights N(0, sqrt(2 / (k * k * C_out))), linear weights
    /// N(0, 0.01), biases 0 (docs/dnal-method.md 8.2).
    case reference
    /// PyTorch's defaults for Conv2d and Linear: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    /// fan_in = C_in/groups * k * k (kaiming_uniform with a = sqrt(5)).
    case pytorch
}
